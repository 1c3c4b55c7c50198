/**
 * `Promise.withResolvers` (ES2024) for Node 20, which grafast (PostGraphile v5) calls on every query.
 * Imported for its side effect (by `polyfill.ts`, which `index.ts` imports first). Jest gives each test file
 * a `Promise` of its own; a test file that imports the server's barrel runs the polyfill in its own context.
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

export {};
