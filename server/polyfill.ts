/**
 * Node 20 lacks `Promise.withResolvers` (ES2024), which grafast (PostGraphile v5) calls on every query.
 * Imported for its side effect before anything from PostGraphile runs. (Jest test files get a `Promise`
 * of their own and are covered by test/setup/polyfills.ts.)
 */
const PromiseConstructor = Promise as PromiseConstructor & { withResolvers?: unknown };

if (typeof PromiseConstructor.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

// grafast reads GRAPHILE_ENV when it loads and warns when it is unset: production unless asked otherwise.
process.env.GRAPHILE_ENV ??= "production";

export {};
