import { makeHTMLParts } from "ruru/server";

/** What Ruru opens with for one persona: request headers (its token) and a first query. */
export interface RuruExample {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: string;
}

/**
 * Looks up the example for `/graphiql?as=<username>`; `undefined` for an unknown username (Ruru then opens
 * empty). Development only: `gatehouse start` passes one that mints the persona's token.
 */
export type RuruExampleLookup = (username: string) => Promise<RuruExample | undefined>;

/**
 * A grafserv plugin: Ruru served at `/graphiql?as=<username>` opens with that persona's headers and query
 * already filled in (GraphiQL's `initialHeaders` and `initialQuery`).
 *
 * @example
 * plugins: [ruruExamplePlugin(async (username) => ({ headers: { Authorization: `Bearer ${await tokenOf(username)}` }, query: "{ __typename }" }))]
 */
export function ruruExamplePlugin(lookup: RuruExampleLookup): GraphileConfig.Plugin {
  return {
    name: "GatehouseRuruExamplePlugin",
    version: "1.0.0",
    description: "Ruru opens with a persona's token and first query at /graphiql?as=<username>",
    grafserv: {
      middleware: {
        async ruruHTML(next, event) {
          const as = (await event.request.getQueryParams()).as;
          const example = typeof as === "string" ? await lookup(as) : undefined;
          if (example) {
            // grafserv builds a fresh configuration for every page it serves
            Object.assign(event.config.clientConfig!, {
              initialQuery: example.query,
              initialHeaders: JSON.stringify(example.headers, null, 2),
            });
            // the page's configuration script was rendered before this hook ran
            event.htmlParts.configScript = makeHTMLParts(event.config).configScript;
          }
          return next();
        },
      },
    },
  };
}
