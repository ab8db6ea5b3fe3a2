import { createServer } from 'node:net';

/**
 * A loopback port free right now: bound on 127.0.0.1 by the kernel's pick, then released. For a
 * process about to listen on it, or, in tests, a port where connecting is refused.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no TCP address')),
      );
    });
  });
}
