import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import {
  type Answer,
  type DecodedPacket,
  decode,
  encode,
  type Question,
  streamEncode,
  TRUNCATED_RESPONSE,
} from 'dns-packet';

/** What the test server says to one question; `silent` says nothing at all. */
export type DnsReply =
  | 'silent'
  | {
      /** 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED. */
      rcode?: number;
      answers?: Answer[];
      /** Over UDP, answer with the TC bit and no records, as a server does when the answer does not fit. */
      truncateUdp?: boolean;
    };

export interface DnsTestServer {
  host: string;
  port: number;
  /** Stops both listeners; idempotent. */
  close(): Promise<void>;
  /** Questions received, with the transport each came over (none kept with `record: false`, as a bench's target). */
  questions: { question: Question | undefined; transport: 'udp' | 'tcp' }[];
}

function response(query: DecodedPacket, reply: Exclude<DnsReply, 'silent'>, truncated: boolean): DecodedPacket {
  return {
    ...query,
    type: 'response',
    flags: (reply.rcode ?? 0) | (truncated ? TRUNCATED_RESPONSE : 0),
    answers: truncated ? [] : (reply.answers ?? []),
  } as DecodedPacket;
}

/**
 * A DNS server on loopback, UDP and TCP on the same port, encoding with `dns-packet` as the probe
 * decodes: `answer` decides what each question gets, knowing whom it answers (a vantage's source address).
 */
export async function startDnsServer(
  answer: (question: Question | undefined, from: string) => DnsReply,
  { record = true }: { record?: boolean } = {},
): Promise<DnsTestServer> {
  const host = '127.0.0.1';
  const tcp = createServer();
  const sockets = new Set<Socket>();
  tcp.listen(0, host);
  await once(tcp, 'listening');
  const { port } = tcp.address() as AddressInfo;
  const udp = createSocket('udp4');
  udp.bind(port, host);
  await once(udp, 'listening');
  let closing: Promise<void> | undefined;
  const server: DnsTestServer = {
    host,
    port,
    questions: [],
    close: () => {
      closing ??= (async () => {
        for (const socket of sockets) socket.destroy();
        await Promise.all([
          new Promise((done) => tcp.close(done)),
          new Promise<void>((done) => udp.close(() => done())),
        ]);
      })();
      return closing;
    },
  };
  udp.on('message', (message, peer) => {
    const query = decode(message);
    if (record) server.questions.push({ question: query.questions?.[0], transport: 'udp' });
    const reply = answer(query.questions?.[0], peer.address);
    if (reply === 'silent') return;
    udp.send(encode(response(query, reply, reply.truncateUdp === true)), peer.port, peer.address);
  });
  tcp.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      const query = decode(received.subarray(2, 2 + received.readUInt16BE(0)));
      if (record) server.questions.push({ question: query.questions?.[0], transport: 'tcp' });
      const reply = answer(query.questions?.[0], socket.remoteAddress ?? '');
      if (reply !== 'silent') socket.end(streamEncode(response(query, reply, false)));
    });
  });
  return server;
}
