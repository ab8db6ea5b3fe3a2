import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@vigil/core';
import { freePort, T0 } from '@vigil/core/testing';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChannelContext, PermanentDeliveryError } from '../channel.js';
import { LINKS, pageSequence, samplePage } from '../page-fixtures.js';
import { type SmtpSink, smtpReply, startSmtpSink } from '../test-servers.js';
import { createEmailChannel, pageMessageId } from './email.js';

const FROM = 'Vigil <pages@vigil.example.com>';
const TO = ['ana@example.com'];

describe('email channel', () => {
  let outboxDir: string;
  let logged: string[];
  let sinks: SmtpSink[];

  const context = (overrides: Partial<ChannelContext> = {}): ChannelContext => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    return {
      log: createLogger({ destination }),
      clock: { now: () => T0 + 12 * 60_000 },
      secret: 'test-secret',
      outboxDir,
      from: FROM,
      ...overrides,
    };
  };
  const sink = async (options?: Parameters<typeof startSmtpSink>[0]) => {
    const started = await startSmtpSink(options);
    sinks.push(started);
    return started;
  };

  beforeEach(async () => {
    outboxDir = join(await mkdtemp(join(tmpdir(), 'vigil-email-')), 'nested', 'outbox');
    logged = [];
    sinks = [];
  });
  afterEach(async () => {
    await Promise.all(sinks.map((s) => s.close()));
    await rm(join(outboxDir, '..', '..'), { recursive: true, force: true });
  });

  describe('over SMTP', () => {
    it('delivers one message with the subject, the body, the Vigil headers and a Message-ID from the dedup key', async () => {
      const smtp = await sink();
      const channel = createEmailChannel(context({ smtpUrl: `smtp://127.0.0.1:${smtp.port}` }));
      const page = samplePage();
      await channel.send(page, { to: TO });
      await channel.close?.();

      expect(smtp.messages).toHaveLength(1);
      const [mail] = smtp.messages;
      expect(mail?.subject).toBe('[DOWN] Public API: 2 of 3 checks down — connect_refused');
      expect(mail?.from?.value[0]?.address).toBe('pages@vigil.example.com');
      expect(mail?.text).toContain(`Acknowledge: ${LINKS.ack}`);
      expect(mail?.text).toContain('connect_refused: connect ECONNREFUSED 203.0.113.10:443');
      expect(mail?.html).toContain(`<a href="${LINKS.ack}">Acknowledge</a>`);
      expect(mail?.headers.get('x-vigil-incident')).toBe('inc-1');
      expect(mail?.headers.get('x-vigil-dedup-key')).toBe(page.dedupKey);
      expect(mail?.messageId).toBe(pageMessageId(page.dedupKey, FROM));
      expect(mail?.messageId).toMatch(/^<inc-1-1-0-0-person-ana-trigger\.[0-9a-f]{16}@vigil\.example\.com>$/);
      expect(logged.join('')).toContain('"msg":"page emailed"');
    });

    it('gives a retried page the same Message-ID and each page of an incident its own, in one thread', async () => {
      const smtp = await sink();
      const channel = createEmailChannel(context({ smtpUrl: `smtp://127.0.0.1:${smtp.port}` }));
      const pages = pageSequence();
      await channel.send(pages.trigger, { to: TO });
      await channel.send(pages.trigger, { to: TO });
      await channel.send(pages.acknowledge, { to: TO });
      await channel.send(pages.resolve, { to: TO });
      await channel.close?.();

      const ids = smtp.messages.map((mail) => mail.messageId);
      expect(ids[0]).toBe(ids[1]);
      expect(new Set(ids).size).toBe(3);
      expect(new Set(smtp.messages.map((mail) => String(mail.references)))).toEqual(
        new Set(['<vigil-inc-1-1@vigil.example.com>']),
      );
      expect(smtp.messages.map((mail) => mail.subject?.slice(0, 6))).toEqual(['[DOWN]', '[DOWN]', '[ACK] ', '[RESOL']);
    });

    it('logs in with the URL credentials and never logs the password', async () => {
      const smtp = await sink({
        authOptional: false,
        allowInsecureAuth: true,
        onAuth(auth, _session, callback) {
          if (auth.username === 'vigil' && auth.password === 's3cr3t-pw') callback(null, { user: 'vigil' });
          else callback(smtpReply(535, 'bad credentials'));
        },
      });
      const channel = createEmailChannel(context({ smtpUrl: `smtp://vigil:s3cr3t-pw@127.0.0.1:${smtp.port}` }));
      await channel.send(samplePage(), { to: TO });
      await channel.close?.();

      expect(smtp.messages).toHaveLength(1);
      expect(logged.join('')).toContain(`"smtp":"smtp://127.0.0.1:${smtp.port}"`);
      expect(logged.join('')).not.toContain('s3cr3t-pw');
    });

    it('fails permanently when the server rejects the recipient with 550', async () => {
      const smtp = await sink({
        onRcptTo(_address, _session, callback) {
          callback(smtpReply(550, 'No such user here'));
        },
      });
      const channel = createEmailChannel(context({ smtpUrl: `smtp://127.0.0.1:${smtp.port}` }));
      const failure = channel.send(samplePage(), { to: ['nobody@example.com'] });
      await expect(failure).rejects.toBeInstanceOf(PermanentDeliveryError);
      await expect(failure).rejects.toThrow(/550 No such user here/);
      await channel.close?.();
    });

    it('stays retryable when the server defers the recipient with 450', async () => {
      const smtp = await sink({
        onRcptTo(_address, _session, callback) {
          callback(smtpReply(450, 'Mailbox busy, try later'));
        },
      });
      const channel = createEmailChannel(context({ smtpUrl: `smtp://127.0.0.1:${smtp.port}` }));
      const error = await channel.send(samplePage(), { to: TO }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PermanentDeliveryError);
      expect(String(error)).toMatch(/450/);
      await channel.close?.();
    });

    it('stays retryable when nothing listens, and keeps the password out of the error', async () => {
      const port = await freePort();
      const channel = createEmailChannel(context({ smtpUrl: `smtp://vigil:s3cr3t-pw@127.0.0.1:${port}` }));
      const error = await channel.send(samplePage(), { to: TO }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PermanentDeliveryError);
      expect(String(error)).toMatch(/ECONNREFUSED/);
      expect(String(error)).not.toContain('s3cr3t-pw');
      expect(logged.join('')).not.toContain('s3cr3t-pw');
      await channel.close?.();
    });
  });

  describe('without SMTP', () => {
    it('writes a readable .eml into the outbox, creating the folder, and logs where', async () => {
      const channel = createEmailChannel(context());
      const page = samplePage();
      await channel.send(page, { to: TO });

      const files = await readdir(outboxDir);
      expect(files).toEqual(['2026-11-20T12-12-00-000Z-inc-1-1-0-0-person-ana-trigger.eml']);
      const file = join(outboxDir, files[0] ?? '');
      const raw = await readFile(file, 'utf8');
      expect(raw).toContain(`X-Vigil-Dedup-Key: ${page.dedupKey}\n`);
      expect(raw).toContain(`Acknowledge: ${LINKS.ack}\n`);
      const mail = await simpleParser(raw);
      expect(mail.subject).toBe('[DOWN] Public API: 2 of 3 checks down — connect_refused');
      expect(mail.text).toContain(`Acknowledge: ${LINKS.ack}`);
      expect(mail.headers.get('x-vigil-dedup-key')).toBe(page.dedupKey);
      expect(mail.messageId).toBe(pageMessageId(page.dedupKey, FROM));

      const line = JSON.parse(logged.find((l) => l.includes('page emailed')) ?? '{}');
      expect(line).toMatchObject({ level: 30, to: TO, subject: mail.subject, file });
    });

    it('writes one file per page', async () => {
      let now = T0;
      const channel = createEmailChannel(context({ clock: { now: () => now++ } }));
      const pages = pageSequence();
      for (const page of Object.values(pages)) await channel.send(page, { to: TO });
      const files = await readdir(outboxDir);
      expect(files.map((f) => f.replace(/^.*-(\w+)\.eml$/, '$1')).sort()).toEqual([
        'acknowledge',
        'resolve',
        'trigger',
      ]);
    });
  });
});
