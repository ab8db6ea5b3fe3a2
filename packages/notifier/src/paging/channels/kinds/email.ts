import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from '@vigil/core';
import type { NodemailerError, SendMailOptions, Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import {
  type Channel,
  type ChannelContext,
  type ChannelModule,
  type Page,
  PermanentDeliveryError,
} from '../channel.js';
import { DEFAULT_TIMEOUT_MS } from '../http-delivery.js';
import { oneLine, renderPage, truncate } from '../page-content.js';

const require = createRequire(import.meta.url);
/** nodemailer (~40 modules) loads with the first mail: a notifier that pages no one by email never holds it. */
const mailer = () => require('nodemailer') as typeof import('nodemailer');

export interface EmailChannelOptions {
  /** Connect, greeting and idle-socket timeout of the SMTP connection. */
  timeoutMs?: number;
}

/**
 * Email pages: over SMTP when `ctx.smtpUrl` is set, else as readable .eml files in `ctx.outboxDir`
 * (a laptop or a demo has no mail server, and a page must still land somewhere a person can read).
 */
export function createEmailChannel(ctx: ChannelContext, options: EmailChannelOptions = {}): Channel<'email'> {
  const deliver = ctx.smtpUrl ? smtpDelivery(ctx, ctx.smtpUrl, options) : outboxDelivery(ctx);
  let closing: Promise<void> | undefined;
  const channel: Channel<'email'> = {
    kind: 'email',
    async send(page, target) {
      if (target.to.length === 0) throw new PermanentDeliveryError('email page has no recipients');
      await deliver.send(pageMail(page, { from: ctx.from, to: target.to, date: new Date(ctx.clock.now()) }), page);
    },
    close() {
      closing ??= deliver.close();
      return closing;
    },
  };
  transports.set(channel, { deliver, from: ctx.from, clock: ctx.clock });
  return channel;
}

/** The transport behind each email channel, so mail that is not a page leaves the same way. */
const transports = new WeakMap<Channel<'email'>, { deliver: Delivery; from: string; clock: ChannelContext['clock'] }>();

/**
 * Sends a mail that is not a page (status page subscriber mail) through an email channel's SMTP or
 * outbox. `key` names it (Message-ID, outbox file); `logAs` is logged instead of the private recipient.
 */
export async function sendChannelMail(
  channel: Channel<'email'>,
  mail: Omit<SendMailOptions, 'from' | 'date' | 'messageId'>,
  meta: { key: string; logAs: string },
): Promise<void> {
  const transport = transports.get(channel);
  if (!transport) throw new Error('not an email channel from createEmailChannel');
  const { deliver, from, clock } = transport;
  const envelope = { from, date: new Date(clock.now()), messageId: pageMessageId(meta.key, from) };
  await deliver.send({ ...mail, ...envelope }, { dedupKey: meta.key, logAs: meta.logAs });
}

/**
 * `<key.hash@domain>` from the page's dedup key: the same page always gets the same Message-ID,
 * so a receiver (or a mail server) can drop the duplicate an at-least-once retry may send.
 */
export function pageMessageId(dedupKey: string, from: string): string {
  return `<${atom(dedupKey, 64)}.${sha256(dedupKey).slice(0, 16)}@${mailDomain(from)}>`;
}

/** The .eml name in the outbox: sorts by time, says which delivery it is. */
export function outboxFileName(now: number, dedupKey: string): string {
  return `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${atom(dedupKey, 100)}.eml`;
}

interface Delivery {
  send(mail: SendMailOptions, meta: DeliveryMeta): Promise<void>;
  close(): Promise<void>;
}

/** What names a mail in the outbox and logs; `logAs` replaces the recipients in log lines. */
interface DeliveryMeta {
  dedupKey: string;
  logAs?: string;
}

function pageMail(page: Page, envelope: { from: string; to: string[]; date: Date }): SendMailOptions {
  const { subject, text, html } = renderPage(page);
  const domain = mailDomain(envelope.from);
  return {
    ...envelope,
    subject,
    text,
    html,
    messageId: pageMessageId(page.dedupKey, envelope.from),
    // Every page of one incident episode refers to one thread, so mail clients show them together.
    references: `<vigil-${atom(page.incident.id, 64)}-${page.incident.episode}@${domain}>`,
    priority: page.action === 'trigger' ? 'high' : 'normal',
    headers: {
      'X-Vigil-Incident': page.incident.id,
      'X-Vigil-Dedup-Key': page.dedupKey,
      'X-Vigil-Action': page.action,
      'Auto-Submitted': 'auto-generated',
    },
  };
}

function smtpDelivery(ctx: ChannelContext, smtpUrl: string, options: EmailChannelOptions): Delivery {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const server = smtpServerName(smtpUrl);
  let transport: Transporter<SMTPTransport.SentMessageInfo> | undefined;
  // An SMTPTransport, never a pool: a page opens its own connection, so one stuck session cannot hold the rest.
  const open = () => {
    const Smtp = require('nodemailer/lib/smtp-transport') as typeof SMTPTransport;
    const options = {
      url: smtpUrl,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    };
    return mailer().createTransport(new Smtp(options));
  };
  return {
    async send(mail, meta) {
      let info: SMTPTransport.SentMessageInfo;
      try {
        transport ??= open();
        info = await transport.sendMail(mail);
      } catch (err) {
        throw smtpError(err, server);
      }
      const refused = info.rejected.map(String);
      if (refused.length > 0)
        ctx.log.warn({ refused: meta.logAs ?? refused, smtp: server, dedupKey: meta.dedupKey }, 'recipients refused');
      logSent(ctx.log, {
        to: meta.logAs ?? info.accepted.map(String),
        subject: mail.subject,
        messageId: info.messageId,
        smtp: server,
      });
    },
    async close() {
      transport?.close();
    },
  };
}

function outboxDelivery(ctx: ChannelContext): Delivery {
  let composer: ReturnType<typeof composerOf> | undefined;
  return {
    async send(mail, meta) {
      composer ??= composerOf();
      const info = await composer.sendMail(mail);
      if (!Buffer.isBuffer(info.message)) throw new Error('outbox: the message was not composed into a buffer');
      await mkdir(ctx.outboxDir, { recursive: true });
      const file = join(ctx.outboxDir, outboxFileName(ctx.clock.now(), meta.dedupKey));
      // Written aside then renamed, so whoever watches the folder never reads half a message.
      const partial = `${file}.partial`;
      await writeFile(partial, info.message);
      await rename(partial, file);
      logSent(ctx.log, { to: meta.logAs ?? mail.to, subject: mail.subject, file });
    },
    async close() {},
  };
}

/** A transport that composes the message into a buffer instead of sending it. */
function composerOf() {
  return mailer().createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
}

function logSent(log: Logger, fields: Record<string, unknown>): void {
  log.info(fields, 'page emailed');
}

/**
 * SMTP failures by nodemailer's stable fields: a reply the server marks permanent (5xx but 503) is
 * `PermanentDeliveryError`; refused connections, timeouts and 4xx replies stay retryable.
 */
function smtpError(err: unknown, server: string): Error {
  if (!(err instanceof Error)) return new Error(`email via ${server} failed`);
  const failure: NodemailerError = err;
  const reply = failure.response ? `: ${truncate(oneLine(failure.response), 200)}` : '';
  if (failure.permanent === true) return new PermanentDeliveryError(`email via ${server} refused${reply}`);
  const code = failure.originalCode ?? failure.code ?? 'error';
  return new Error(`email via ${server} failed (${code})${reply}`);
}

/** `smtp://mail.example.com:587`: where mail goes, without the credentials the URL carries. */
function smtpServerName(smtpUrl: string): string {
  try {
    const url = new URL(smtpUrl);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '(unparseable SMTP URL)';
  }
}

function mailDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'vigil.invalid';
}

/** Letters, digits, `_` and `-` only: safe in a Message-ID's local part and in a file name. */
function atom(text: string, max: number): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, max) || 'page';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Email: a reply the server marks permanent (5xx but 503) or no recipients is permanent; refused connections, timeouts, 4xx retry. */
export const emailChannel = {
  kind: 'email',
  create: createEmailChannel,
  contact: (person) => (person.email ? { to: [person.email] } : undefined),
} satisfies ChannelModule<'email'>;
