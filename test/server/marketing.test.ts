/**
 * Over HTTP with a real token for mark: marketing's API shows the de-identified export and nothing else, since
 * marketing holds no privilege on any base table (the export view runs as its own owner role).
 */
import { column } from "../crm/crm-database";
import { customerExpectation, MARKETING_EXPORT_COLUMNS } from "../crm/expectations/customers";
import { openCrmApi, type CrmApi } from "./api";
import { fieldOf } from "./graphql-names";

let api: CrmApi;
let mark: string;
beforeAll(async () => {
  api = await openCrmApi();
  mark = await api.token("mark");
});
afterAll(() => api?.close());

interface Schema {
  __schema: {
    queryType: { fields: { name: string }[] };
    mutationType: { fields: { name: string }[] } | null;
    types: { name: string; kind: string }[];
  };
}

const introspection = "{ __schema { queryType { fields { name } } mutationType { fields { name } } types { name kind } } }";

test("mark's schema has one query field for data, allMarketingExports, beside Relay's query, node and id; no mutation", async () => {
  const { data } = await api.query<Schema>(introspection, { token: mark });
  expect(data!.__schema.queryType.fields.map((f) => f.name).sort()).toEqual(["allMarketingExports", "id", "node", "query"]);
  expect(data!.__schema.mutationType).toBeNull();
  const objects = data!.__schema.types.filter((t) => t.kind === "OBJECT" && !t.name.startsWith("__")).map((t) => t.name);
  expect(objects.sort()).toEqual(["MarketingExport", "MarketingExportConnection", "MarketingExportEdge", "PageInfo", "Query"]);
});

test("mark's allCustomers is refused: the field does not exist in his schema", async () => {
  const { data } = await api.query<Schema>(introspection, { token: mark });
  expect(data!.__schema.queryType.fields.map((f) => f.name)).not.toContain("allCustomers");
  const refused = await api.query("{ allCustomers { totalCount } }", { token: mark });
  expect(refused.errors?.map((e) => [e.extensions?.code, e.extensions?.table])).toEqual([["FORBIDDEN", "crm.customers"]]);
  expect(await api.crm.root((c) => column<number>(c, "select count(*)::int from crm.customers"))).toEqual([22]);
});

test("mark's export query returns exactly the export's rows and its six columns", async () => {
  const fields = MARKETING_EXPORT_COLUMNS.map(fieldOf);
  const { data, errors } = await api.query<{ allMarketingExports: { nodes: Record<string, unknown>[] } }>(
    `{ allMarketingExports(orderBy: ROW_ID_ASC) { nodes { ${fields.join(" ")} } } }`,
    { token: mark },
  );
  expect(errors).toBeUndefined();
  const nodes = data!.allMarketingExports.nodes;
  expect(nodes.map((n) => Number(n.rowId))).toEqual(customerExpectation("mark").ids);
  expect(Object.keys(nodes[0]!).sort()).toEqual([...fields].sort());
  const expected = await api.crm.root(
    async (c) =>
      (
        await c.query(
          "select id::text as row_id, region, industry, tier, stage, to_char(created_month, 'YYYY-MM-DD') as month from crm.customers where consent_marketing and deleted_at is null and archived_at is null order by customers.id",
        )
      ).rows,
  );
  expect(nodes).toEqual(
    expected.map((r) => ({
      rowId: r.row_id,
      region: r.region,
      industry: r.industry,
      tier: r.tier,
      stage: r.stage,
      createdMonth: r.month,
    })),
  );
});

test("mark's export on the mobile channel returns no row, though the rows exist", async () => {
  const mobile = await api.token("mark", { channel: "mobile" });
  const { data } = await api.query<{ allMarketingExports: { totalCount: number } }>("{ allMarketingExports { totalCount } }", {
    token: mobile,
  });
  expect(data!.allMarketingExports.totalCount).toBe(0);
  const { data: web } = await api.query<{ allMarketingExports: { totalCount: number } }>(
    "{ allMarketingExports { totalCount } }",
    {
      token: mark,
    },
  );
  expect(web!.allMarketingExports.totalCount).toBe(customerExpectation("mark").ids.length);
});
