// Jest test files get a fresh `Promise` per VM context, so the polyfill runs as a setupFile.
import "../../server/promise-with-resolvers";
