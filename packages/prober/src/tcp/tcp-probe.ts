import type { Socket } from 'node:net';
import type { ProbeOutcome, TcpSpec } from '@vigil/core';
import { connectTo, sniName } from '../net/connector.js';
import { finalVerdict, type ProbeContext, ProbeTrace, settle } from '../probe-context.js';

/** The most of a reply searched for `expect`: a talkative target cannot grow the prober's memory. */
const REPLY_LIMIT = 64 * 1024;
const PREVIEW_BYTES = 200;

interface Reply {
  found: boolean;
  received: Buffer;
  closed: boolean;
}

/**
 * Probes a TCP (or TLS) service: connect, optionally send a line and wait for `expect` in the reply.
 * `firstByte` is the time from connection to the first byte of the reply.
 */
export async function probeTcp(spec: TcpSpec, ctx: ProbeContext): Promise<ProbeOutcome> {
  const trace = new ProbeTrace();
  return settle(ctx, trace, () => converse(spec, ctx, trace));
}

async function converse(spec: TcpSpec, ctx: ProbeContext, trace: ProbeTrace): Promise<ProbeOutcome> {
  const tls = spec.tls ? { servername: spec.servername ?? sniName(spec.host), insecure: spec.insecureTls } : undefined;
  const socket = await connectTo({ host: spec.host, port: spec.port, tls }, ctx, trace);
  const reply = spec.expect === undefined ? undefined : awaitReply(socket, spec.expect, { ctx, trace });
  reply?.catch(() => {});
  if (spec.send !== undefined) {
    trace.phase = 'sending the request';
    await write(socket, spec.send);
  }
  if (reply && spec.expect !== undefined) {
    trace.phase = 'waiting for the reply';
    const problem = describeMissing(await reply, spec.expect);
    if (problem) return trace.failure(ctx, 'assertion', problem);
  }
  return finalVerdict(ctx, trace, spec);
}

function write(socket: Socket, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(data, (error) => (error ? reject(error) : resolve()));
  });
}

/** Reads until `expect` shows up, the peer closes, or `REPLY_LIMIT` bytes came without it. */
function awaitReply(socket: Socket, expect: string, { ctx, trace }: { ctx: ProbeContext; trace: ProbeTrace }) {
  const started = ctx.now();
  return new Promise<Reply>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (reply: Reply | Error) => {
      socket.off('data', onData).off('end', onClose).off('close', onClose).off('error', finish);
      if (reply instanceof Error) reject(reply);
      else resolve(reply);
    };
    const onData = (chunk: Buffer) => {
      trace.timings.firstByte ??= ctx.elapsed(started);
      received = Buffer.concat([received, chunk]);
      if (received.length > REPLY_LIMIT) received = received.subarray(0, REPLY_LIMIT);
      const found = received.includes(expect);
      if (found || received.length >= REPLY_LIMIT) finish({ found, received, closed: false });
    };
    const onClose = () => finish({ found: false, received, closed: true });
    socket.on('data', onData).once('end', onClose).once('close', onClose).once('error', finish);
  });
}

function describeMissing(reply: Reply, expect: string): string | undefined {
  if (reply.found) return undefined;
  const sample = JSON.stringify(reply.received.subarray(0, PREVIEW_BYTES).toString('utf8'));
  const wanted = JSON.stringify(expect);
  if (reply.closed) {
    return `expected ${wanted} in the reply; the connection closed after ${reply.received.length} bytes: ${sample}`;
  }
  return `expected ${wanted} within the first ${REPLY_LIMIT / 1024} KiB of the reply; it begins ${sample}`;
}
