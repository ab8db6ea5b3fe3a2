import type { Socket } from 'node:net';
import { type AddressOutcome, type HttpSpec, type ProbeOutcome, unbracket } from '@vigil/core';
import type { buildConnector, Dispatcher } from 'undici';
import { connectTo, type PinnedAddress, sniName } from '../net/connector.js';
import { resolveTarget } from '../net/resolve.js';
import { failedOutcome, finalVerdict, type ProbeContext, ProbeTrace, settle } from '../probe-context.js';
import { ProbeFailure } from '../probe-errors.js';
import { bodyMatches } from './body-pattern-matcher.js';
import { bodyFailure, needsBody, statusFailure } from './http-assertions.js';
import { Client, request as requestOn } from './undici-client.js';

/** An HTTP probe's outcome; `addresses` holds one outcome per address when the check asks for all. */
export type HttpProbeOutcome = ProbeOutcome & { addresses?: AddressOutcome[] };

interface HttpRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

interface Exchange {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  body: Dispatcher.ResponseData['body'];
  client: Client;
}

interface HopContext {
  spec: HttpSpec;
  ctx: ProbeContext;
  trace: ProbeTrace;
  pinned?: (PinnedAddress & { hostname: string }) | undefined;
}

const MAX_ADDRESSES = 64;
/** Failing addresses named in the message; the rest are counted. */
const NAMED_FAILURES = 5;
/** Enough of an unasserted body to time the transfer without holding on to a large download. */
const DUMP_LIMIT = 128 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/**
 * Probes an HTTP(S) check once, following redirects itself so every hop is re-resolved and re-guarded.
 * With `allAddresses`, the name is resolved once and every address probed in parallel, each pinned
 * to its IP while Host and SNI keep the name; the probe is ok only when every address is.
 */
export async function probeHttp(spec: HttpSpec, ctx: ProbeContext): Promise<HttpProbeOutcome> {
  if (spec.allAddresses) return probeEveryAddress(spec, ctx);
  const trace = new ProbeTrace();
  return settle(ctx, trace, () => followRedirects({ spec, ctx, trace }));
}

async function probeEveryAddress(spec: HttpSpec, ctx: ProbeContext): Promise<HttpProbeOutcome> {
  const trace = new ProbeTrace();
  const hostname = unbracket(new URL(spec.url).hostname);
  let addresses: string[];
  try {
    addresses = await ctx.untilAborted(resolveTarget(hostname, ctx, trace));
  } catch (error) {
    return failedOutcome(ctx, trace, error);
  }
  const dnsMs = trace.timings.dns;
  const outcomes = await Promise.all(
    addresses.slice(0, MAX_ADDRESSES).map(async (address): Promise<AddressOutcome> => {
      const sub = new ProbeTrace();
      const pinned = { hostname, address, dnsMs };
      return { address, ...(await settle(ctx, sub, () => followRedirects({ spec, ctx, trace: sub, pinned }))) };
    }),
  );
  return combine(outcomes, ctx);
}

/** The first failing address speaks for the probe, with a message counting how many fail. */
function combine(outcomes: AddressOutcome[], ctx: ProbeContext): HttpProbeOutcome {
  const failing = outcomes.filter((outcome) => !outcome.ok);
  const first = failing[0] ?? outcomes[0];
  if (!first) return { ok: false, error: 'dns', message: 'the name resolved to no address', timings: { total: 0 } };
  const { address, slow: _slow, ...representative } = first;
  const slow = outcomes.some((outcome) => outcome.slow);
  const named = failing.slice(0, NAMED_FAILURES).map((outcome) => `${outcome.address} ${outcome.error}`);
  if (failing.length > NAMED_FAILURES) named.push(`${failing.length - NAMED_FAILURES} more`);
  const list = named.join(', ');
  return {
    ...representative,
    ...(failing.length > 0 && {
      message: `${failing.length} of ${outcomes.length} addresses failing: ${list} (${address}: ${first.message})`,
    }),
    ...(slow && { slow: true }),
    timings: { ...representative.timings, total: ctx.elapsed() },
    addresses: outcomes,
  };
}

async function followRedirects(hop: HopContext): Promise<ProbeOutcome> {
  const { spec, ctx, trace } = hop;
  let request = firstRequest(spec);
  const visited = new Set([requestKey(request)]);
  for (let redirects = 0; ; redirects += 1) {
    trace.beginHop();
    const exchange = await send(request, hop);
    const next = spec.maxRedirects > 0 ? redirectFrom(request, exchange) : undefined;
    if (!next) return judge(exchange, hop);
    ctx.release(exchange.client);
    if (redirects >= spec.maxRedirects) {
      throw new ProbeFailure(
        'too_many_redirects',
        `more than ${spec.maxRedirects} redirects (the last to ${next.url})`,
      );
    }
    if (visited.has(requestKey(next))) {
      throw new ProbeFailure('too_many_redirects', `redirect loop: ${request.url} sent the probe back to ${next.url}`);
    }
    visited.add(requestKey(next));
    request = next;
  }
}

function firstRequest(spec: HttpSpec): HttpRequest {
  const headers: Record<string, string> = { 'user-agent': 'vigil-prober' };
  for (const [name, value] of Object.entries(spec.headers)) headers[name.toLowerCase()] = value;
  return { url: new URL(spec.url), method: spec.method, headers, body: spec.body };
}

function requestKey(request: HttpRequest): string {
  return `${request.method} ${request.url.href}`;
}

/**
 * One request on a connection of its own. A `Client` per hop, handed the socket our connector opened,
 * is what makes every probe measure a fresh connect and TLS handshake on the address the guard approved.
 */
async function send(request: HttpRequest, { spec, ctx, trace, pinned }: HopContext): Promise<Exchange> {
  const { url } = request;
  const secure = url.protocol === 'https:';
  const socket = await connectTo(
    {
      host: url.hostname,
      port: Number(url.port) || (secure ? 443 : 80),
      pinned: pinned && unbracket(url.hostname) === pinned.hostname ? pinned : undefined,
      tls: secure ? { servername: sniName(url.hostname), insecure: spec.insecureTls, alpn: ['http/1.1'] } : undefined,
    },
    ctx,
    trace,
  );
  const client = ctx.track(
    new Client(url.origin, {
      connect: handOver(socket),
      pipelining: 1,
      headersTimeout: ctx.timeoutMs,
      bodyTimeout: ctx.timeoutMs,
    }),
  );
  trace.phase = 'waiting for response headers';
  const sent = ctx.now();
  const response = await requestOn(client, {
    path: `${url.pathname}${url.search}`,
    method: request.method as Dispatcher.HttpMethod,
    headers: request.headers,
    body: request.body ?? null,
    // No signal: the client is tracked, so the deadline destroys it and this request with it.
  });
  trace.timings.firstByte = ctx.elapsed(sent);
  trace.status = response.statusCode;
  return { status: response.statusCode, headers: response.headers, body: response.body, client };
}

/**
 * undici's connector, giving it the one socket already opened; it never gets to open another. The
 * callback must not run synchronously: undici ignores a resume requested from inside its own resume.
 */
function handOver(socket: Socket): buildConnector.connector {
  let handed = false;
  return (_options, callback) => {
    const first = !handed;
    handed = true;
    queueMicrotask(() =>
      first
        ? callback(null, socket)
        : callback(new ProbeFailure('internal', 'the HTTP client asked for a second connection'), null),
    );
  };
}

/** The next hop of a redirect, or undefined when the response is final. Credentials stay on their origin. */
function redirectFrom(request: HttpRequest, exchange: Exchange): HttpRequest | undefined {
  const location = exchange.headers.location;
  if (!REDIRECT_STATUSES.has(exchange.status) || typeof location !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(location, request.url);
  } catch {
    throw new ProbeFailure('protocol', `the redirect location is not a URL: ${location.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProbeFailure('protocol', `redirect to an unsupported scheme (${url.protocol})`);
  }
  url.hash = '';
  const becomesGet =
    exchange.status === 303 ? request.method !== 'HEAD' : exchange.status <= 302 && request.method === 'POST';
  const headers = { ...request.headers };
  if (url.origin !== request.url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
  return becomesGet ? { url, method: 'GET', headers, body: undefined } : { ...request, url, headers };
}

async function judge(exchange: Exchange, { spec, ctx, trace }: HopContext): Promise<ProbeOutcome> {
  const statusProblem = statusFailure(exchange.status, spec.expect.status);
  if (statusProblem) return trace.failure(ctx, 'http_status', statusProblem);
  trace.phase = 'reading the body';
  if (!needsBody(spec.expect)) {
    await exchange.body.dump({ limit: Math.min(spec.maxBodyBytes, DUMP_LIMIT) });
    return finalVerdict(ctx, trace, spec.expect);
  }
  const body = await readBody(exchange, spec.maxBodyBytes);
  const { bodyRegex } = spec.expect;
  const patternMatched = bodyRegex === undefined || (await bodyMatches(ctx, bodyRegex, body));
  const bodyProblem = bodyFailure(body, spec.expect, patternMatched);
  if (bodyProblem) return trace.failure(ctx, 'assertion', bodyProblem);
  return finalVerdict(ctx, trace, spec.expect);
}

/** Buffers the body up to `maxBytes` and stops reading the moment it is exceeded. */
async function readBody(exchange: Exchange, maxBytes: number): Promise<string> {
  const declared = Number(exchange.headers['content-length']);
  if (declared > maxBytes) throw tooLarge(maxBytes, `; it declares ${declared}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of exchange.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes, '');
    chunks.push(chunk);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

function tooLarge(maxBytes: number, detail: string): ProbeFailure {
  return new ProbeFailure(
    'body_too_large',
    `the body is larger than the ${maxBytes} bytes allowed (maxBodyBytes)${detail}`,
  );
}
