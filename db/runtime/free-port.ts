import { createServer, type AddressInfo } from "node:net";

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it).
 *
 * @example
 * const port = await freePort(); // e.g. 41873
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
