import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a provider fake received. */
export interface ProviderRequest {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One loopback server standing in for every chat and push provider: each answers on its own path
 * prefix as the provider documents (Teams 202, Discord 204, Pushover JSON with a receipt, the others 200).
 */
export interface ProviderFakes {
  url: string;
  requests: ProviderRequest[];
  /** Requests whose path starts with `prefix`. */
  to(prefix: string): ProviderRequest[];
  close(): Promise<void>;
}

function answer(url: string): { status: number; body: string } {
  if (url.startsWith('/teams/')) return { status: 202, body: '' };
  if (url.startsWith('/discord/')) return { status: 204, body: '' };
  if (url.startsWith('/pushover/'))
    return { status: 200, body: '{"status":1,"request":"0c7a5b3e","receipt":"rLqVuqTRh62UzxtmqiaLzQmVcPgiCy"}' };
  return { status: 200, body: 'ok' };
}

export async function startProviderFakes(): Promise<ProviderFakes> {
  const requests: ProviderRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      requests.push({
        at: Date.now(),
        method: req.method ?? '',
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const { status, body } = answer(url);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    to: (prefix) => requests.filter((request) => request.url.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
