import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A real SMTP server on loopback that keeps what it receives, parsed: the mail sink of channel tests. */
export interface SmtpSink {
  port: number;
  messages: ParsedMail[];
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1 (an ephemeral port); `options` add auth, rejections and such. */
export async function startSmtpSink(options: SMTPServerOptions = {}): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP sink has no TCP address');
  return { port: address.port, messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** An error an SMTP server callback answers with: `code` becomes the reply code. */
export function smtpReply(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** One request as a webhook receiver saw it: raw body, headers, path with query. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP server on loopback that records requests and answers with `respond` (default 200). */
export interface HttpSink {
  url: string;
  requests: ReceivedRequest[];
  respond: (request: ReceivedRequest) => { status: number; body?: string; headers?: Record<string, string> } | 'hang';
  close(): Promise<void>;
}

export async function startHttpSink(): Promise<HttpSink> {
  const sockets = new Set<Socket>();
  const sink: HttpSink = {
    url: '',
    requests: [],
    respond: () => ({ status: 200, body: 'ok' }),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      sink.requests.push(request);
      const answer = sink.respond(request);
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? '');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('HTTP sink has no TCP address');
  sink.url = `http://127.0.0.1:${address.port}`;
  return sink;
}
