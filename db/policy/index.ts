export * from "./scopes";
export * from "./columns";
export * from "./masks";
export * from "./roles";
export * from "./restrict";
export * from "./views";
export * from "./operations";
export * from "./define";
export { sql } from "../sql/ddl";
