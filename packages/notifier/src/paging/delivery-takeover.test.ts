import { parseConfig } from '@vigil/core';
import { eventually, type TestContext, testContext } from '@vigil/core/testing';
import type { SMTPServerOptions } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWebIncident, TEST_SECRET, testNotifierContext } from '../testing.js';
import type { ChannelRegistry } from './channels/channel.js';
import { pageMessageId } from './channels/kinds/email.js';
import { closeChannels, createChannels } from './channels/registry.js';
import { type SmtpSink, smtpReply, startSmtpSink } from './channels/test-servers.js';
import { Deliveries, type DeliveryJob, dedupKey, lateKey } from './delivery.js';
import { PageAttempts } from './page-attempts.js';

const FROM = 'vigil@example.test';
const PEOPLE = 'people: [{ id: ana, name: Ana, email: ana@example.test }]';

describe('deliveries: attempts in doubt, late pages, pages sent while resolving', () => {
  let base: TestContext;
  let smtp: SmtpSink;
  let channels: ChannelRegistry | undefined;
  let deliveries: Deliveries | undefined;
  let ctx: ReturnType<typeof testNotifierContext>;

  async function start(smtpOptions: SMTPServerOptions = {}): Promise<string> {
    smtp = await startSmtpSink(smtpOptions);
    const config = parseConfig(`vantages: [alpha]\n${PEOPLE}`);
    channels = createChannels({
      log: base.log,
      clock: base.clock,
      secret: TEST_SECRET,
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      outboxDir: '/tmp/vigil-outbox-test',
      from: FROM,
    });
    ctx = testNotifierContext(base, { config, channels });
    const delivery = { attempts: 8, backoff: 100, takeoverAfter: 30_000 };
    deliveries = new Deliveries({ ...ctx, settings: { ...config.notifier, delivery } });
    await deliveries.start();
    return openWebIncident(ctx);
  }

  const trigger = (incidentId: string, level = 0): DeliveryJob => ({
    incidentId,
    episode: 1,
    cycle: 0,
    level,
    action: 'trigger',
    destination: { type: 'person', personId: 'ana', contact: 0 },
  });

  async function outcome(job: DeliveryJob): Promise<unknown> {
    return eventually(
      async () => (await deliveries?.queue.getJob(dedupKey(job)))?.returnvalue ?? undefined,
      15_000,
      `the outcome of ${dedupKey(job)}`,
    );
  }

  beforeEach(async () => {
    base = await testContext('delivery-takeover');
  });
  afterEach(async () => {
    await deliveries?.close();
    deliveries = undefined;
    if (channels) await closeChannels(channels);
    await smtp?.close();
    await base.cleanup();
  });

  it('resends a page left in doubt once, with the same Message-ID, and records the doubt', async () => {
    const id = await start();
    const job = trigger(id);
    const attempts = new PageAttempts(base);
    // A notifier began this page and went silent before it knew whether the server accepted it.
    expect((await attempts.begin(dedupKey(job), dedupKey(job))).verdict).toBe('first');

    await deliveries?.enqueue(job);
    expect(await outcome(job)).toBe('resent');
    expect(smtp.messages.map((mail) => mail.messageId)).toEqual([pageMessageId(dedupKey(job), FROM)]);
    expect(await attempts.read(dedupKey(job))).toMatchObject({ inDoubt: 1, open: false, attempts: 2 });
    expect(await base.redis.hkeys(base.keys.incidentPaged(id))).toEqual(['person-ana']);
  });

  it('gives up on a second attempt in doubt: no third send', async () => {
    const id = await start();
    const job = trigger(id);
    const attempts = new PageAttempts(base);
    await attempts.begin(dedupKey(job), dedupKey(job));
    expect((await attempts.begin(dedupKey(job), dedupKey(job))).verdict).toBe('in-doubt');

    await deliveries?.enqueue(job);
    expect(await outcome(job)).toBe('in-doubt');
    expect(smtp.messages).toHaveLength(0);
    expect(await attempts.read(dedupKey(job))).toMatchObject({ inDoubt: 2, gaveUpAt: expect.any(Number) });
  });

  it('an incident that resolved before its pages got through sends one late message, no ack link', async () => {
    let smtpDown = true;
    let refused = 0;
    const id = await start({
      onRcptTo(_address, _session, callback) {
        if (!smtpDown) return callback();
        refused++;
        callback(smtpReply(451, 'try again later'));
      },
    });
    const levels = [trigger(id, 0), trigger(id, 1)];
    for (const job of levels) await deliveries?.enqueue(job);
    await eventually(() => refused >= 2, 10_000, 'both levels refused while SMTP is down');
    await ctx.incidents.resolve(id, 'vigil', Date.now(), 'back up');
    smtpDown = false;

    expect((await Promise.all(levels.map(outcome))).sort()).toEqual(['late', 'merged']);
    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail?.subject).toMatch(
      /^\[RESOLVED\] web is down was down from .+Z to .+Z, your page could not be delivered/,
    );
    expect(mail?.text).not.toMatch(/Acknowledge|\/ack\//);
    expect(mail?.messageId).toBe(pageMessageId(lateKey(levels[0] as DeliveryJob), FROM));
  });

  it('a page delivered while its incident resolves gets its resolve', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = false;
    const id = await start({
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => {
          holding = true;
          // The first message (the trigger) waits for its 250 while the incident resolves.
          void held.then(() => callback());
        });
      },
    });
    const job = trigger(id);
    await deliveries?.enqueue(job);
    await eventually(() => holding, 10_000, 'the trigger held by the server');
    await ctx.incidents.resolve(id, 'vigil', Date.now(), 'back up');
    expect(await base.redis.hlen(base.keys.incidentPaged(id))).toBe(0);
    release();

    expect(await outcome(job)).toBe('sent');
    expect(await outcome({ ...job, action: 'resolve' })).toBe('sent');
  });
});
