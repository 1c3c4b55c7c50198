// Node 20 lacks Promise.withResolvers (ES2024), which grafast (PostGraphile v5) calls on every
// query. Jest test files get a fresh `Promise` per VM context, so this runs as a setupFile.
const PromiseConstructor = Promise as PromiseConstructor & { withResolvers?: unknown };

if (typeof PromiseConstructor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
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
