// Jest test files get a fresh `Promise` per VM context, so the polyfill runs as a setupFile.
import "../../db/runtime/promise-with-resolvers";
