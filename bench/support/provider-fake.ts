/**
 * The chat and push providers' fake for `pnpm bench deliveries`, in a child process of its own so
 * answering never competes with the sender being measured: it reads each body and answers on a path
 * prefix as the provider does (Teams 202, Discord 204, Twilio 201, Opsgenie 202, Pushover and Telegram their JSON, the others 200). Prints its port.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A safety net: the fake stops by itself even if its parent never says so. */
const MAX_LIFETIME_MS = 15 * 60_000;
const PUSHOVER_OK = '{"status":1,"request":"0c7a5b3e","receipt":"rLqVuqTRh62UzxtmqiaLzQmVcPgiCy"}';

/** The last request's path and body size, answered on `GET /last`: the bench's peers post the same. */
let last = { url: '', bytes: 0 };

const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on('end', () => {
    const url = req.url ?? '';
    if (url === '/last') return json(res, 200, JSON.stringify(last));
    last = { url, bytes };
    if (url.startsWith('/teams/')) res.writeHead(202).end();
    else if (url.startsWith('/discord/')) res.writeHead(204).end();
    else if (url.startsWith('/pushover/')) res.writeHead(200, { 'content-type': 'application/json' }).end(PUSHOVER_OK);
    else if (url.startsWith('/telegram/')) json(res, 200, '{"ok":true,"result":{"message_id":1}}');
    else if (url.startsWith('/twilio/'))
      json(res, 201, '{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}');
    else if (url.startsWith('/opsgenie/')) json(res, 202, '{"result":"Request will be processed","requestId":"r1"}');
    else res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
  });
});
server.keepAliveTimeout = 5_000;

function json(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(body);
}

function shutdown(): void {
  server.closeAllConnections();
  server.close();
  setTimeout(() => process.exit(0), 200).unref();
}

server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', shutdown);
process.stdin.on('end', shutdown).resume();
setTimeout(shutdown, MAX_LIFETIME_MS).unref();
