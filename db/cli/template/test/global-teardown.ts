export { globalTeardown as default } from "gatehouse-rls/testing";
