import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP target that counts what it served; `handler` decides the answer. */
export interface HttpTarget {
  url: string;
  port: number;
  requests: number;
  /** Requests seen from each remote address. */
  byAddress: Map<string, number>;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startHttpTarget(port = 0): Promise<HttpTarget> {
  const target: HttpTarget = {
    url: '',
    port: 0,
    requests: 0,
    byAddress: new Map(),
    handler: (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    target.requests++;
    const from = req.socket.remoteAddress ?? '?';
    target.byAddress.set(from, (target.byAddress.get(from) ?? 0) + 1);
    target.handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  target.port = (server.address() as AddressInfo).port;
  target.url = `http://127.0.0.1:${target.port}/health`;
  target.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return target;
}
