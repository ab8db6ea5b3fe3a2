import { parseConfig } from '@vigil/core';
import { eventually, type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWebIncident, TEST_SECRET, testNotifierContext } from '../testing.js';
import type { ChannelRegistry } from './channels/channel.js';
import { closeChannels, createChannels } from './channels/registry.js';
import { type HttpSink, type SmtpSink, smtpReply, startHttpSink, startSmtpSink } from './channels/test-servers.js';
import { Deliveries } from './delivery.js';

describe('deliveries: fallback to the next contact, and the per-person cap', () => {
  let base: TestContext;
  let smtp: SmtpSink;
  let hook: HttpSink;
  let channels: ChannelRegistry | undefined;
  let deliveries: Deliveries;
  let started = false;

  async function start(yaml: string, rejectEmail: boolean) {
    smtp = await startSmtpSink(
      rejectEmail ? { onRcptTo: (_address, _session, callback) => callback(smtpReply(550, 'no such mailbox')) } : {},
    );
    hook = await startHttpSink();
    const config = parseConfig(`vantages: [alpha]\n${yaml.replaceAll('HOOK', hook.url)}`);
    channels = createChannels({
      log: base.log,
      clock: base.clock,
      secret: TEST_SECRET,
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      outboxDir: '/tmp/vigil-outbox-test',
      from: 'vigil@example.test',
    });
    const ctx = testNotifierContext(base, { config, channels });
    deliveries = new Deliveries({
      ...ctx,
      settings: { ...config.notifier, delivery: { attempts: 2, backoff: 100, takeoverAfter: 30_000 } },
    });
    await deliveries.start();
    started = true;
    return openWebIncident(ctx);
  }

  beforeEach(async () => {
    base = await testContext('delivery');
  });
  afterEach(async () => {
    if (started) await deliveries.close();
    started = false;
    if (channels) await closeChannels(channels);
    await smtp?.close();
    await hook?.close();
    await base.cleanup();
  });

  it("a person's email that keeps failing falls back to their webhook, once", async () => {
    const id = await start(`people: [{ id: ana, name: Ana, email: ana@example.test, webhook: "HOOK" }]`, true);
    await deliveries.enqueue({
      incidentId: id,
      episode: 1,
      cycle: 0,
      level: 0,
      action: 'trigger',
      destination: { type: 'person', personId: 'ana', contact: 0 },
    });
    const request = await eventually(async () => hook.requests[0], 10_000, 'the webhook fallback');
    expect(JSON.parse(request.body)).toMatchObject({ action: 'trigger', incident: { id } });
    expect(smtp.messages).toHaveLength(0);
    // The same page again (a restart, a second notifier) sends nothing new.
    await deliveries.enqueue({
      incidentId: id,
      episode: 1,
      cycle: 0,
      level: 0,
      action: 'trigger',
      destination: { type: 'person', personId: 'ana', contact: 0 },
    });
    await eventually(
      async () => (await deliveries.queue.getJobCountByTypes('waiting', 'prioritized', 'active', 'delayed')) === 0,
      10_000,
      'every page handled',
    );
    expect(hook.requests).toHaveLength(1);
  });

  it('stops paging a person past the cap for the window', async () => {
    const id = await start(
      `people: [{ id: ana, name: Ana, email: ana@example.test }]\nnotifier: { personCap: { max: 2, per: 1h } }`,
      false,
    );
    for (const level of [0, 1, 2, 3]) {
      await deliveries.enqueue({
        incidentId: id,
        episode: 1,
        cycle: 0,
        level,
        action: 'trigger',
        destination: { type: 'person', personId: 'ana', contact: 0 },
      });
    }
    await eventually(async () => smtp.messages.length >= 2, 10_000, 'two pages');
    await eventually(async () => (await deliveries.queue.getCompletedCount()) === 4, 10_000, 'all four handled');
    expect(smtp.messages).toHaveLength(2);
  });

  it("waits out a provider's Retry-After before the next attempt, rather than the shorter backoff", async () => {
    const id = await start(`channels: [{ id: ops, webhook: { url: "HOOK" } }]`, false);
    const at: number[] = [];
    hook.respond = () => {
      at.push(Date.now());
      return at.length === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200, body: 'ok' };
    };
    await deliveries.enqueue({
      incidentId: id,
      episode: 1,
      cycle: 0,
      level: 0,
      action: 'trigger',
      destination: { type: 'channel', channelId: 'ops' },
    });
    await eventually(async () => at.length >= 2, 10_000, 'the retry after the 429');
    // The backoff alone (100 ms) would have retried at once; Retry-After: 1 holds it a second.
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(950);
  });
});
