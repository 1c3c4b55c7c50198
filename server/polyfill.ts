/** Imported for its side effects before anything from PostGraphile runs. */
import "./promise-with-resolvers";

// grafast reads GRAPHILE_ENV when it loads and warns when it is unset: production unless asked otherwise.
process.env.GRAPHILE_ENV ??= "production";

export {};
