export { globalSetup as default } from "gatehouse-rls/testing";
