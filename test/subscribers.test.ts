import { Writable } from 'node:stream';
import { createLogger, type IncidentStore, type VigilConfig, validateConfig } from '@vigil/core';
import { eventually, streamDrained } from '@vigil/core/testing';
import { createWebContext, WebServer } from '@vigil/web';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type MailSink, type ReceivedMail, startMailSink } from './support/mail-sink.js';

const SECRET = 'test-secret-0123456789';
const SUBSCRIBER = 'sub@example.test';

function fleetConfig(statusPageUrl?: string): VigilConfig {
  return validateConfig({
    vantages: ['alpha'],
    components: [
      { id: 'api', name: 'Public API' },
      { id: 'lb', name: 'Load balancers' },
    ],
    statusPage: { title: 'Acme Status', ...(statusPageUrl && { url: statusPageUrl }) },
  });
}

function link(mail: ReceivedMail | undefined, path: RegExp): string {
  const found = new RegExp(`https?://\\S+${path.source}`).exec(mail?.text ?? '')?.[0];
  if (!found) throw new Error(`no ${path.source} link in:\n${mail?.text}`);
  return found;
}

describe('status page subscribers end to end: web → notifier → SMTP', () => {
  let fleet: Fleet;
  let mail: MailSink;
  let web: WebServer;
  let webUrl: string;
  let incidents: IncidentStore;
  const responses: string[] = [];
  const webLog: string[] = [];

  beforeEach(async () => {
    fleet = await startFleet(['alpha']);
    mail = await startMailSink();
    const log = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          webLog.push(chunk.toString());
          done();
        },
      }),
    });
    web = new WebServer(createWebContext({ ...fleet, log }, { config: fleetConfig(), secret: SECRET }));
    webUrl = await web.listen(0);
    // The notifier knows where the page is published: the links of update mails point there.
    await fleet.notifier(fleetConfig(webUrl), { smtpUrl: mail.url, secret: SECRET });
    ({ incidents } = fleet);
  });
  afterEach(async () => {
    await web.close();
    await fleet.close();
    await mail.stop();
  });

  async function request(url: string, init?: RequestInit): Promise<Response> {
    const response = await fetch(url, init);
    responses.push(await response.clone().text());
    return response;
  }

  function signUp(email: string, components: string[]): Promise<Response> {
    const form = new URLSearchParams({ email });
    for (const component of components) form.append('components', component);
    return request(`${webUrl}/subscribe`, { method: 'POST', body: form });
  }

  /** Signs up and follows the confirmation link from the mail. */
  async function subscribe(email: string, components: string[]): Promise<void> {
    const answer = await signUp(email, components);
    expect(answer.status).toBe(200);
    const confirmation = await eventually(() => mail.to(email)[0], 10_000, `the confirmation mail to ${email}`);
    expect(confirmation.subject).toBe('[Acme Status] Confirm your subscription');
    const confirmed = await request(link(confirmation, /\/subscribe\/confirm\/\S+/));
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('subscribed');
  }

  function openApiIncident(): Promise<{ id: string }> {
    return incidents.openOrJoin(
      {
        group: 'component:api',
        title: 'api-health is down',
        impact: 'major',
        severity: 'major',
        component: 'api',
        startedAt: Date.now(),
        openedMessage: 'api-health failing: connect_refused',
        joinedMessage: 'joined',
      },
      Date.now(),
      60_000,
    );
  }

  it('subscribe → confirm → receive an update → unsubscribe → receive nothing, addresses shown nowhere', async () => {
    await subscribe(SUBSCRIBER, ['api']);
    await subscribe('lb-only@example.test', ['lb']);
    await subscribe('witness@example.test', []);

    const { id } = await openApiIncident();
    const update = await eventually(() => mail.to(SUBSCRIBER)[1], 10_000, 'the incident mail');
    expect(update.subject).toBe('[Acme Status] Investigating: Public API outage');
    expect(update.to).toEqual([SUBSCRIBER]);
    expect(update.text).toContain(`${webUrl}/incidents/${id}`);
    expect(update.text).not.toContain('api-health');
    await eventually(() => mail.to('witness@example.test')[1], 10_000, 'the witness mail');

    // Unsubscribe by the mail's link: the GET only shows a button (scanners prefetch); the POST unsubscribes.
    const unsubscribeUrl = link(update, /\/unsubscribe\/\S+/);
    const list = update.headers.get('list') as {
      unsubscribe?: { url?: string };
      'unsubscribe-post'?: { name?: string };
    };
    expect(list.unsubscribe?.url).toBe(unsubscribeUrl);
    expect(list['unsubscribe-post']?.name).toBe('List-Unsubscribe=One-Click');
    const form = await request(unsubscribeUrl);
    expect(await form.text()).toContain('<button type="submit">Unsubscribe</button>');
    // What a mail client's one-click unsubscribe (RFC 8058) sends.
    const oneClick = new URLSearchParams({ 'List-Unsubscribe': 'One-Click' });
    const done = await request(unsubscribeUrl, { method: 'POST', body: oneClick });
    expect(done.status).toBe(200);

    await incidents.addUpdate(
      id,
      { by: 'ana', status: 'identified', message: 'A bad deploy; rolling back.' },
      Date.now(),
    );
    const witnessed = await eventually(() => mail.to('witness@example.test')[2], 10_000, 'the second update');
    expect(witnessed.subject).toBe('[Acme Status] Identified: Public API outage');
    expect(witnessed.text).toContain('A bad deploy; rolling back.');
    // The subscriber mailer has handled every incident event: whatever it was going to mail is sent.
    await eventually(
      () => streamDrained(fleet.redis, fleet.keys.incidentEvents, 'subscriber-mailer'),
      10_000,
      'the subscriber mailer to handle every event',
    );
    expect(mail.to(SUBSCRIBER)).toHaveLength(2);
    // A subscriber of another component heard nothing about this one.
    expect(mail.to('lb-only@example.test')).toHaveLength(1);

    const everything = [...responses, ...webLog].join('\n');
    for (const address of [SUBSCRIBER, 'lb-only@example.test', 'witness@example.test'])
      expect(everything).not.toContain(address);
  });

  it('limits sign-ups from one client to the hourly allowance', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await signUp(`person${i}@example.test`, [])).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
