// @ts-check
/**
 * The provider APIs of `pnpm bench channels` on loopback, in a process of their own so their CPU is not
 * the sender's: answers every POST as Twilio (201 JSON), Telegram (200 `{ ok: true }`) and Slack (200
 * `ok`) do on success, after reading the body. Prints its URL; stops on SIGTERM or when stdin closes.
 */
import { createServer } from 'node:http';

const MAX_LIFETIME_MS = 15 * 60_000;
const TWILIO = JSON.stringify({ sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' });
const TELEGRAM = JSON.stringify({ ok: true, result: { message_id: 7 } });

const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    const url = req.url ?? '';
    if (url.startsWith('/2010-04-01/')) res.writeHead(201, { 'content-type': 'application/json' }).end(TWILIO);
    else if (url.startsWith('/bot')) res.writeHead(200, { 'content-type': 'application/json' }).end(TELEGRAM);
    else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
server.keepAliveTimeout = 60_000;
function stop() {
  server.close();
  process.exit(0);
}
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', stop);
process.stdin.on('end', stop).resume();
setTimeout(stop, MAX_LIFETIME_MS).unref();
