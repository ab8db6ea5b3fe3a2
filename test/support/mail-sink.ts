import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A message the sink received, parsed. */
export interface ReceivedMail {
  at: number;
  to: string[];
  subject: string;
  text: string;
  messageId: string;
  headers: Map<string, unknown>;
}

/** A real SMTP server on loopback that keeps what it receives; it can be stopped and restarted on its port. */
export interface MailSink {
  port: number;
  url: string;
  received: ReceivedMail[];
  to(address: string): ReceivedMail[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `holdReplyMs`: the sink keeps each message as soon as it has it all, then waits this long before its
 * `250` (a slow provider: the window in which a sender that stops cannot know the page was accepted).
 */
export async function startMailSink(port = 0, options: { holdReplyMs?: number } = {}): Promise<MailSink> {
  let server: SMTPServer | undefined;
  const sink: MailSink = {
    port,
    url: '',
    received: [],
    to: (address) => sink.received.filter((mail) => mail.to.includes(address)),
    async start() {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData(stream, session, callback) {
          simpleParser(stream)
            .then((mail) => {
              sink.received.push({
                at: Date.now(),
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
                subject: mail.subject ?? '',
                text: mail.text ?? '',
                messageId: mail.messageId ?? '',
                headers: mail.headers,
              });
              if (options.holdReplyMs) setTimeout(() => callback(), options.holdReplyMs);
              else callback();
            })
            .catch((err: Error) => callback(err));
        },
      });
      const listening = server;
      await new Promise<void>((resolve) => listening.listen(sink.port, '127.0.0.1', resolve));
      sink.port = (listening.server.address() as AddressInfo).port;
      sink.url = `smtp://127.0.0.1:${sink.port}`;
    },
    async stop() {
      const closing = server;
      server = undefined;
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
  await sink.start();
  return sink;
}
