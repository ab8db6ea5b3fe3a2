import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP, type Socket } from 'node:net';
import type { DnsRecordType } from '@vigil/core';
import { type DecodedPacket, decode, encode, RECURSION_DESIRED, streamEncode } from 'dns-packet';
import { connectTo } from '../net/connector.js';
import type { ProbeContext, ProbeTrace } from '../probe-context.js';
import { ProbeFailure } from '../probe-errors.js';

/** A question to one resolver address (already vetted by the guard). */
export interface DnsExchangeRequest {
  address: string;
  port: number;
  name: string;
  type: DnsRecordType;
}

export interface DnsExchangeResult {
  response: DecodedPacket;
  transport: 'udp' | 'tcp';
}

/** UDP loses packets: the question is sent again this often until the deadline, as stub resolvers do. */
const UDP_RETRY_MS = 1_000;
/** A DNS message over TCP is at most 64 KiB after its two-byte length. */
const TCP_MESSAGE_LIMIT = 2 + 65_535;

/**
 * Asks over UDP and, when the answer comes back truncated (TC bit), asks again over TCP, as a
 * resolver does. `dns-packet` encodes and decodes; the sockets are ours so the probe's deadline
 * owns them (nothing in the library would close them). Phases land in the trace.
 */
export async function exchange(
  request: DnsExchangeRequest,
  ctx: ProbeContext,
  trace: ProbeTrace,
): Promise<DnsExchangeResult> {
  const id = randomInt(0, 65_536);
  const query = {
    type: 'query' as const,
    id,
    flags: RECURSION_DESIRED,
    questions: [{ type: request.type, name: request.name }],
  };
  trace.remoteAddress = request.address;
  trace.phase = 'waiting for the reply';
  const started = ctx.now();
  const udp = await overUdp(request, encode(query), ctx);
  trace.timings.firstByte = ctx.elapsed(started);
  const response = expectReplyTo(id, udp);
  if (!response.flag_tc) return { response, transport: 'udp' };
  const socket = await connectTo(
    { host: request.address, port: request.port, pinned: { address: request.address } },
    ctx,
    trace,
  );
  trace.phase = 'waiting for the reply';
  const tcpStarted = ctx.now();
  const tcp = await overTcp(socket, streamEncode(query));
  trace.timings.firstByte = ctx.elapsed(tcpStarted);
  return { response: expectReplyTo(id, tcp), transport: 'tcp' };
}

function expectReplyTo(id: number, message: Buffer): DecodedPacket {
  let response: DecodedPacket;
  try {
    response = decode(message);
  } catch {
    throw new ProbeFailure('protocol', `the resolver sent ${message.length} bytes that are not a DNS message`);
  }
  if (response.id !== id || !response.flag_qr) {
    throw new ProbeFailure('protocol', 'the resolver answered something other than the question asked');
  }
  return response;
}

/** One datagram back from the resolver's address and port; the socket is connected, so nothing else gets in. */
function overUdp(request: DnsExchangeRequest, message: Buffer, ctx: ProbeContext): Promise<Buffer> {
  const socket: UdpSocket = createSocket(isIP(request.address) === 6 ? 'udp6' : 'udp4');
  let timer: NodeJS.Timeout | undefined;
  ctx.track({
    destroy: () => {
      clearInterval(timer);
      try {
        socket.close();
      } catch {
        // Already closed by an error: nothing left to release.
      }
    },
  });
  return new Promise<Buffer>((resolve, reject) => {
    // Kept for the socket's life: a late error (a second ICMP unreachable) must not crash the process.
    socket.on('error', reject);
    socket.once('message', (reply) => {
      clearInterval(timer);
      resolve(reply);
    });
    const send = () => socket.send(message, (error) => error && reject(error));
    const connect = () =>
      socket.connect(request.port, request.address, () => {
        send();
        timer = setInterval(send, UDP_RETRY_MS);
      });
    if (ctx.localAddress === undefined) connect();
    else socket.bind({ address: ctx.localAddress, port: 0 }, connect);
  });
}

/** The one length-prefixed message of a TCP exchange. */
function overTcp(socket: Socket, message: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (result: Buffer | Error) => {
      socket.off('data', onData).off('close', onClose).off('error', finish);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > TCP_MESSAGE_LIMIT) received = received.subarray(0, TCP_MESSAGE_LIMIT);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        finish(received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    };
    const onClose = () =>
      finish(
        new ProbeFailure(
          'reset',
          `the resolver closed the TCP connection after ${received.length} bytes, before a whole answer`,
        ),
      );
    socket.on('data', onData).once('close', onClose).once('error', finish);
    socket.write(message);
  });
}
