/**
 * The loopback probe target, run as a child process so serving requests never competes with the
 * benchmark's own event loop: HTTP answers 200 "ok", TCP accepts and closes, DNS answers one A record
 * (UDP and TCP on one port). Prints its ports as JSON.
 */
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server } from 'node:net';
import { startDnsServer } from '@vigil/prober/testing';

/** A safety net: the target stops by itself even if its parent never says so. */
const MAX_LIFETIME_MS = 15 * 60_000;

const http = createHttpServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
});
http.keepAliveTimeout = 1_000;

const tcp = createTcpServer((socket) => {
  socket.on('error', () => {});
  socket.end();
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const dns = await startDnsServer(
  (question) => ({ answers: [{ type: 'A', name: question?.name ?? 'bench.test', ttl: 60, data: '127.0.0.1' }] }),
  { record: false },
);

function shutdown(): void {
  http.closeAllConnections();
  http.close();
  tcp.close();
  void dns.close();
  setTimeout(() => process.exit(0), 200).unref();
}

const [httpPort, tcpPort] = await Promise.all([listen(http), listen(tcp)]);
process.stdout.write(`${JSON.stringify({ http: httpPort, tcp: tcpPort, dns: dns.port })}\n`);
process.on('SIGTERM', shutdown);
process.stdin.on('end', shutdown).resume();
setTimeout(shutdown, MAX_LIFETIME_MS).unref();
