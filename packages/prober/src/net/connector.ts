import { once } from 'node:events';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { unbracket } from '@vigil/core';
import type { ProbeContext, ProbeTrace } from '../probe-context.js';
import { classifyError, ProbeFailure } from '../probe-errors.js';
import { assertAllowed, resolveTarget } from './resolve.js';

/** TLS on top of the TCP connection; `servername` is the name sent in SNI and checked in the certificate. */
export interface TlsRequest {
  servername?: string | undefined;
  /** Accept a certificate that does not verify; its expiry is still read. */
  insecure: boolean;
  alpn?: string[];
}

/** An address already resolved (by an `allAddresses` probe) that this connection must use. */
export interface PinnedAddress {
  address: string;
  dnsMs?: number | undefined;
}

/** Where to connect: `host` as the check wrote it (name or IP), and how. */
export interface ConnectRequest {
  host: string;
  port: number;
  tls?: TlsRequest | undefined;
  pinned?: PinnedAddress | undefined;
}

/**
 * Opens a fresh connection the way a probe must: resolve, guard every address at connect time (so
 * neither DNS rebinding nor a redirect reaches a private host), connect to the IP itself from the
 * vantage's source address, then TLS with SNI for the original name. Phases land in the trace.
 */
export async function connectTo(request: ConnectRequest, ctx: ProbeContext, trace: ProbeTrace): Promise<Socket> {
  const addresses = request.pinned ? [request.pinned.address] : await resolveTarget(request.host, ctx, trace);
  if (request.pinned?.dnsMs !== undefined) trace.timings.dns = request.pinned.dnsMs;
  let lastError: unknown;
  for (const address of reachableFrom(ctx.localAddress, addresses, request.host)) {
    try {
      return await connectAddress({ ...request, address }, ctx, trace);
    } catch (error) {
      if (ctx.aborted || !isWorthAnotherAddress(error)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

/** SNI names a host, never an IP (Node refuses IPs there). */
export function sniName(host: string): string | undefined {
  const name = unbracket(host);
  return isIP(name) === 0 ? name : undefined;
}

/** With a source address, only addresses of its family can be reached. */
function reachableFrom(localAddress: string | undefined, addresses: string[], host: string): string[] {
  if (localAddress === undefined) return addresses;
  const family = isIP(localAddress);
  const usable = addresses.filter((address) => isIP(address) === family);
  if (usable.length === 0) {
    throw new ProbeFailure('unreachable', `${host} has no IPv${family} address to reach from ${localAddress}`);
  }
  return usable;
}

function isWorthAnotherAddress(error: unknown): boolean {
  const { error: errorClass } = classifyError(error);
  return errorClass === 'connect_refused' || errorClass === 'unreachable';
}

async function connectAddress(
  request: ConnectRequest & { address: string },
  ctx: ProbeContext,
  trace: ProbeTrace,
): Promise<Socket> {
  assertAllowed(ctx, request.address);
  trace.remoteAddress = request.address;
  trace.phase = 'connecting';
  const started = ctx.now();
  const socket = ctx.track(
    connectTcp({
      host: request.address,
      port: request.port,
      ...(ctx.localAddress !== undefined && { localAddress: ctx.localAddress }),
    }),
  );
  socket.on('error', ignoreUnobservedError);
  // No signal: at the deadline the context destroys the socket and `settle` answers for the probe.
  await once(socket, 'connect');
  trace.timings.connect = ctx.elapsed(started);
  if (!request.tls) return socket;
  return handshake({ socket, address: request.address, tls: request.tls }, ctx, trace);
}

async function handshake(
  { socket, address, tls }: { socket: Socket; address: string; tls: TlsRequest },
  ctx: ProbeContext,
  trace: ProbeTrace,
): Promise<TLSSocket> {
  trace.phase = 'in the TLS handshake';
  const started = ctx.now();
  const secure = connectTls({
    socket,
    host: address,
    ...(tls.servername !== undefined && { servername: tls.servername }),
    ...(tls.alpn && { ALPNProtocols: tls.alpn }),
    // Verified below instead, so an untrusted certificate still reports its expiry.
    rejectUnauthorized: false,
  });
  ctx.transfer(socket, secure);
  secure.on('error', ignoreUnobservedError);
  await once(secure, 'secureConnect');
  trace.timings.tls = ctx.elapsed(started);
  const expiresAt = Date.parse(secure.getPeerCertificate().valid_to ?? '');
  if (Number.isFinite(expiresAt)) trace.certExpiresAt = expiresAt;
  if (!tls.insecure && !secure.authorized) {
    throw new ProbeFailure('tls', `the certificate is not trusted (${String(secure.authorizationError)})`);
  }
  return secure;
}

/**
 * Errors that matter reach the probe through whoever is reading the socket at the time (`once`,
 * undici, the TCP reply reader); this listener only keeps a late one from crashing the process.
 */
function ignoreUnobservedError(): void {}
