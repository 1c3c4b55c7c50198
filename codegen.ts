/**
 * graphql-codegen: typed documents for the example operations in generated/operations/<role>/, each checked
 * against that role's schema (generated/schema.<role>.graphql). `npm run gatehouse -- schema` regenerates
 * both; test/server/generated.test.ts fails when either is stale.
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

/** Roles with example operations. */
export const CLIENT_ROLES = ["sales_rep", "finance", "support"] as const;

const client = (role: string) => ({
  schema: `generated/schema.${role}.graphql`,
  documents: `generated/operations/${role}/*.graphql`,
  plugins: ["typescript", "typescript-operations", "typed-document-node"],
  config: {
    // PostGraphile's BigInt, BigFloat, Datetime and Cursor travel as strings
    scalars: { BigInt: "string", BigFloat: "string", Datetime: "string", Cursor: "string" },
    enumsAsTypes: true,
    useTypeImports: true,
    onlyOperationTypes: true,
  },
});

const config: CodegenConfig = {
  overwrite: true,
  silent: true,
  generates: Object.fromEntries(CLIENT_ROLES.map((role) => [`generated/graphql/${role}.ts`, client(role)])),
};

export default config;
