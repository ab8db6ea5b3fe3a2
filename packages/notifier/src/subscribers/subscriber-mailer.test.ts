import { Writable } from 'node:stream';
import {
  createLogger,
  type IncidentStore,
  type OpenRequest,
  type Redis,
  type RedisKeys,
  type SubscriberStore,
  validateConfig,
} from '@vigil/core';
import { eventually, streamDrained, T0, type TestContext, testContext } from '@vigil/core/testing';
import type { ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeChannels, createChannels } from '../paging/channels/registry.js';
import { type SmtpSink, startSmtpSink } from '../paging/channels/test-servers.js';
import { testNotifierContext } from '../testing.js';
import { SubscriberMailer } from './subscriber-mailer.js';

const SECRET = 'test-secret-0123456789';
const config = validateConfig({
  vantages: ['alpha'],
  components: [
    { id: 'api', name: 'Public API' },
    { id: 'lb', name: 'Load balancers' },
  ],
  statusPage: { title: 'Acme Status', url: 'https://status.example.com/' },
});

function openRequest(component: string, overrides: Partial<OpenRequest> = {}): OpenRequest {
  return {
    group: `component:${component}`,
    title: `${component} internal check api-health is down`,
    impact: 'major',
    severity: 'major',
    component,
    startedAt: T0,
    openedMessage: 'api-health: connect_refused from alpha',
    joinedMessage: 'joined',
    ...overrides,
  };
}

const recipientsOf = (mail: ParsedMail) => [mail.to ?? []].flat().flatMap((to) => to.value.map((v) => v.address));

/** A header as sent, unfolded (mailparser files List-* headers under `list`). */
function header(mail: ParsedMail | undefined, name: string): string | undefined {
  const line = mail?.headerLines.find((entry) => entry.key === name.toLowerCase())?.line;
  return line
    ?.slice(name.length + 1)
    .replace(/\r\n\s+/g, ' ')
    .trim();
}

describe('SubscriberMailer', () => {
  let base: TestContext;
  let redis: Redis;
  let keys: RedisKeys;
  let sink: SmtpSink;
  let logged: string[];
  let store: SubscriberStore;
  let incidents: IncidentStore;
  const stops: (() => Promise<void>)[] = [];
  /** The mailer has read and acknowledged every incident event: whatever it was going to mail is sent. */
  const drained = () => streamDrained(redis, keys.incidentEvents, 'subscriber-mailer');

  async function startMailer(): Promise<SubscriberMailer> {
    const log = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(chunk.toString());
          done();
        },
      }),
    });
    const channels = createChannels({
      log,
      clock: base.clock,
      secret: SECRET,
      smtpUrl: `smtp://127.0.0.1:${sink.port}`,
      outboxDir: '/nonexistent',
      from: 'Acme Status <status@example.com>',
    });
    const ctx = testNotifierContext({ ...base, log }, { config, channels, secret: SECRET });
    const mailer = new SubscriberMailer(ctx, { reader: base.dedicated('subscriber-mail') });
    await mailer.start();
    stops.push(async () => {
      await mailer.close();
      await closeChannels(channels);
    });
    return mailer;
  }

  /** Signs up and follows the link, as a person would: returns the subscriber id. */
  async function confirmedSubscriber(email: string, components: string[]): Promise<string> {
    const { id } = await store.subscribe({ email, components, baseUrl: 'https://status.example.com' }, T0);
    const confirmation = await eventually(
      () => sink.messages.find((mail) => recipientsOf(mail).includes(email) && /Confirm/.test(mail.subject ?? '')),
      5_000,
      `the confirmation mail to ${email}`,
    );
    const token = /\/subscribe\/confirm\/([A-Za-z0-9_-]+)/.exec(confirmation.text ?? '')?.[1];
    expect(await store.confirm(token ?? '', T0)).toMatchObject({ id });
    return id;
  }

  beforeEach(async () => {
    base = await testContext('subscriber-mailer');
    ({ redis, keys } = base);
    sink = await startSmtpSink();
    logged = [];
    ({ subscribers: store, incidents } = testNotifierContext(base, { config, secret: SECRET }));
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await sink.close();
    await base.cleanup();
  });

  it('sends the confirmation mail with a working single-use link, logging no address', async () => {
    await startMailer();
    await confirmedSubscriber('ana@example.com', ['api']);
    expect(await store.subscribersFor(['api'])).toEqual([expect.objectContaining({ email: 'ana@example.com' })]);
    const [mail] = sink.messages;
    expect(mail?.subject).toBe('[Acme Status] Confirm your subscription');
    expect(mail?.text).toContain('about Public API');
    expect(logged.join('')).not.toContain('ana@example.com');
  });

  it('mails each subscriber of the component once, alone, in public wording, with an unsubscribe link', async () => {
    await startMailer();
    const ana = await confirmedSubscriber('ana@example.com', ['api']);
    await confirmedSubscriber('bo@example.com', []);
    await confirmedSubscriber('cy@example.com', ['lb']);
    const before = sink.messages.length;

    const { id } = await incidents.openOrJoin(openRequest('api'), Date.now(), 60_000);
    const updates = await eventually(
      () => (sink.messages.length >= before + 2 ? sink.messages.slice(before) : undefined),
      5_000,
      'the incident mails',
    );
    expect(updates.map(recipientsOf).sort()).toEqual([['ana@example.com'], ['bo@example.com']]);
    const toAna = updates.find((mail) => recipientsOf(mail).includes('ana@example.com'));
    expect(toAna?.subject).toBe('[Acme Status] Investigating: Public API outage');
    expect(toAna?.text).toContain(`https://status.example.com/incidents/${id}`);
    expect(toAna?.text).not.toMatch(/api-health|connect_refused|alpha/);
    expect(toAna?.cc).toBeUndefined();
    const unsubscribe = `https://status.example.com/unsubscribe/${store.unsubscribeToken(ana)}`;
    expect(toAna?.text).toContain(unsubscribe);
    expect(header(toAna, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(header(toAna, 'List-Unsubscribe')).toBe(`<${unsubscribe}>`);

    // Acknowledging is not news; resolving is.
    await incidents.acknowledge(id, 'ana', Date.now());
    await incidents.resolve(id, 'ana', Date.now(), 'Fixed the load balancer config.');
    const resolved = await eventually(
      () => (sink.messages.length >= before + 4 ? sink.messages.slice(before + 2) : undefined),
      5_000,
      'the resolved mails',
    );
    expect(resolved.map((mail) => mail.subject)).toEqual([
      '[Acme Status] Resolved: Public API outage',
      '[Acme Status] Resolved: Public API outage',
    ]);
    expect(resolved[0]?.text).toContain('Fixed the load balancer config.');
    expect(logged.join('')).not.toMatch(/(ana|bo|cy)@example\.com/);
  });

  it('mails nobody about fleet incidents', async () => {
    await startMailer();
    await confirmedSubscriber('ana@example.com', []);
    const before = sink.messages.length;
    await incidents.openOrJoin(
      openRequest('api', { group: 'fleet:blind', impact: 'fleet', title: 'blind' }),
      Date.now(),
      60_000,
    );
    const { id } = await incidents.openOrJoin(openRequest('lb'), Date.now(), 60_000);
    await eventually(() => sink.messages.length > before, 5_000, 'the lb mail');
    await eventually(drained, 5_000, 'every incident event handled');
    expect(sink.messages.slice(before).map((mail) => mail.text)).toEqual([expect.stringContaining(id)]);
  });

  it('mails each status change once and never a postmortem save: 3 changes and 3 saves are 3 mails', async () => {
    await startMailer();
    await confirmedSubscriber('ana@example.com', ['api']);
    const before = sink.messages.length;
    const { id } = await incidents.openOrJoin(openRequest('api'), Date.now(), 60_000);
    await eventually(() => sink.messages.length === before + 1, 5_000, 'the investigating mail');
    await incidents.addUpdate(id, { by: 'ana', status: 'identified', message: 'A bad deploy.' }, Date.now());
    await eventually(() => sink.messages.length === before + 2, 5_000, 'the identified mail');
    await incidents.resolve(id, 'ana', Date.now(), 'Rolled back.');
    await eventually(() => sink.messages.length === before + 3, 5_000, 'the resolved mail');
    for (const revision of ['# What happened', '# What happened\n\nA deploy.', '# What happened\n\nA bad deploy.'])
      await incidents.setPostmortem(id, { markdown: revision, by: 'ana' }, Date.now());
    const events = await redis.xrange(keys.incidentEvents, '-', '+');
    expect(events.filter(([, fields]) => fields.includes('postmortem'))).toHaveLength(3);
    await eventually(drained, 5_000, 'every incident event handled');

    const mails = sink.messages.slice(before);
    expect(mails.map((mail) => mail.subject)).toEqual([
      '[Acme Status] Investigating: Public API outage',
      '[Acme Status] Identified: Public API outage',
      '[Acme Status] Resolved: Public API outage',
    ]);
  });

  it('mails a timeline entry once even when a second event names it', async () => {
    await startMailer();
    await confirmedSubscriber('ana@example.com', ['api']);
    const before = sink.messages.length;
    const { id } = await incidents.openOrJoin(openRequest('api'), Date.now(), 60_000);
    await eventually(() => sink.messages.length === before + 1, 5_000, 'the investigating mail');
    // An `updated` event that adds no entry (as postmortem saves once wrote) names the same entry.
    await redis.xadd(keys.incidentEvents, '*', 'type', 'updated', 'id', id, 'at', String(Date.now()), 'by', 'x');
    await eventually(drained, 5_000, 'every incident event handled');
    expect(sink.messages).toHaveLength(before + 1);
  });

  it('never mails twice when its entries are delivered again after a restart', async () => {
    const first = await startMailer();
    await confirmedSubscriber('ana@example.com', ['api']);
    await incidents.openOrJoin(openRequest('api'), Date.now(), 60_000);
    await eventually(() => sink.messages.length === 2, 5_000, 'the incident mail');
    await first.close();

    // Rewind the group: every entry is delivered again to the next mailer.
    await redis.xgroup('SETID', keys.incidentEvents, 'subscriber-mailer', '0');
    await redis.xgroup('SETID', keys.subscriberMail, 'subscriber-mailer', '0');
    await startMailer();
    await eventually(drained, 5_000, 'the replay');
    expect(sink.messages).toHaveLength(2);
  });
});
