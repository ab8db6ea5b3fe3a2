import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import {
  dnsSpecSchema,
  httpSpecSchema,
  type ProbeResult,
  type ProbeTarget,
  TargetGuard,
  tcpSpecSchema,
} from '@vigil/core';
import { generate } from 'selfsigned';
import { type ProbeOptions, runProbe } from './probe.js';

/** Test helpers: real loopback servers as probe targets, and complete probe targets from partial specs. */

export const openGuard = new TargetGuard({ allowPrivateTargets: true, allowTargets: [] });
export const strictGuard = new TargetGuard({ allowPrivateTargets: false, allowTargets: [] });

/** A loopback server that counts connections and knows which are still open. */
export interface TestServer {
  port: number;
  host: string;
  connections: number;
  open: Set<Socket>;
  close(): Promise<void>;
}

export interface CertificatePair {
  key: string;
  cert: string;
  notAfter: Date;
}

/** A check's spec as written in vigil.yaml: defaults are applied by core's schema, as in production. */
type HttpSpecInput = (typeof httpSpecSchema)['_zod']['input'];
type TcpSpecInput = (typeof tcpSpecSchema)['_zod']['input'];
type DnsSpecInput = (typeof dnsSpecSchema)['_zod']['input'];

export async function probeHttpSpec(
  spec: HttpSpecInput,
  options: Partial<ProbeOptions> & { timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const http = httpSpecSchema.parse(spec);
  return probe({ id: 'web', kind: 'http', http, intervalMs: 30_000, timeoutMs: options.timeoutMs ?? 5_000 }, options);
}

/**
 * A probe job whose URL never went through the schema (credentials and all), as a registry written by
 * something other than Vigil could hold it: the guard alone must still refuse a private target.
 */
export async function probeStoredUrl(
  url: string,
  options: Partial<ProbeOptions> & { timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const http = { ...httpSpecSchema.parse({ url: 'http://stored.invalid/' }), url };
  return probe({ id: 'web', kind: 'http', http, intervalMs: 30_000, timeoutMs: options.timeoutMs ?? 5_000 }, options);
}

export async function probeTcpSpec(
  spec: TcpSpecInput,
  options: Partial<ProbeOptions> & { timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const tcp = tcpSpecSchema.parse(spec);
  return probe({ id: 'tcp', kind: 'tcp', tcp, intervalMs: 30_000, timeoutMs: options.timeoutMs ?? 5_000 }, options);
}

export async function probeDnsSpec(
  spec: DnsSpecInput,
  options: Partial<ProbeOptions> & { timeoutMs?: number } = {},
): Promise<ProbeResult> {
  const dns = dnsSpecSchema.parse(spec);
  return probe({ id: 'dns', kind: 'dns', dns, intervalMs: 30_000, timeoutMs: options.timeoutMs ?? 5_000 }, options);
}

function probe(target: ProbeTarget, options: Partial<ProbeOptions>): Promise<ProbeResult> {
  return runProbe(target, { vantage: 'test', round: 0, guard: openGuard, ...options });
}

function watch(server: Server, host: string): TestServer {
  const state: TestServer = {
    port: 0,
    host,
    connections: 0,
    open: new Set(),
    close: async () => {
      for (const socket of state.open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connection', (socket: Socket) => {
    state.connections += 1;
    state.open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => state.open.delete(socket));
  });
  return state;
}

async function listen(server: Server, state: TestServer, port: number): Promise<TestServer> {
  server.listen(port, state.host);
  await once(server, 'listening');
  state.port = (server.address() as AddressInfo).port;
  return state;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function startHttpServer(handler: Handler, { host = '127.0.0.1', port = 0 } = {}): Promise<TestServer> {
  const server = createHttpServer(handler);
  return listen(server, watch(server, host), port);
}

export function startHttpsServer(handler: Handler, pair: CertificatePair): Promise<TestServer> {
  const server = createHttpsServer({ key: pair.key, cert: pair.cert }, handler);
  return listen(server, watch(server, '127.0.0.1'), 0);
}

/** A raw TCP server: `onSocket` decides what (if anything) is said; by default it reads and never answers. */
export function startTcpServer(onSocket: (socket: Socket) => void = (socket) => socket.resume()): Promise<TestServer> {
  const server = createNetServer(onSocket);
  return listen(server, watch(server, '127.0.0.1'), 0);
}

export function startTlsServer(onSocket: (socket: TLSSocket) => void, pair: CertificatePair): Promise<TestServer> {
  const server = createTlsServer({ key: pair.key, cert: pair.cert }, onSocket);
  const state = watch(server, '127.0.0.1');
  server.on('tlsClientError', () => {});
  return listen(server, state, 0);
}

/** A self-signed certificate for localhost and 127.0.0.1, valid for `days` days from now. */
export async function selfSignedCertificate(days: number): Promise<CertificatePair> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + days * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: notAfter,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert, notAfter };
}

/** Elapsed wall time of a result, for asserting the deadline held. */
export function durationOf(result: Pick<ProbeResult, 'startedAt' | 'finishedAt'>): number {
  return result.finishedAt - result.startedAt;
}
