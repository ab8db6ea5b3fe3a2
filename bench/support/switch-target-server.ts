/**
 * A loopback HTTP target that can be made to fail, run as a child process: it answers 200 "ok"
 * until SIGUSR1, then destroys every request's socket (the probe sees the connection drop) until
 * SIGUSR2. Prints its port as JSON. The detection bench kills and heals it through these signals.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A safety net: the target stops by itself even if its parent never says so. */
const MAX_LIFETIME_MS = 15 * 60_000;

let failing = false;
const server = createServer((req, res) => {
  if (failing) {
    req.socket.destroy();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
});
server.keepAliveTimeout = 1_000;

function shutdown(): void {
  server.closeAllConnections();
  server.close();
  setTimeout(() => process.exit(0), 200).unref();
}

await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve);
});
process.on('SIGUSR1', () => {
  failing = true;
});
process.on('SIGUSR2', () => {
  failing = false;
});
process.stdout.write(`${JSON.stringify({ http: (server.address() as AddressInfo).port })}\n`);
process.on('SIGTERM', shutdown);
process.stdin.on('end', shutdown).resume();
setTimeout(shutdown, MAX_LIFETIME_MS).unref();
