import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { parseConfig } from '@vigil/core';
import { eventually, openRequestFixture } from '@vigil/core/testing';
import { buildApp, createWebContext } from '@vigil/web';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';

/** The fleet's notifier signs with this; the web role must verify with the same. */
const SECRET = 'test-secret-0123456789';
const SIGNING_SECRET = 'slack-signing-secret-0123456789';
const PD_SECRET = 'pagerduty-webhook-secret-0123456789';
const OG_SECRET = 'opsgenie-webhook-secret-0123456789';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  json: Record<string, unknown>;
}

/** One loopback server playing Slack's Web API, PagerDuty's Events API, Opsgenie's Alert API and a webhook. */
async function startProviders() {
  const received: Received[] = [];
  let ts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '';
      received.push({ method: req.method ?? '', url, headers: req.headers, json: JSON.parse(body || '{}') });
      if (url.startsWith('/slack/')) {
        ts += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, ts: `1700.${ts}` }));
      } else if (url.startsWith('/pd/')) {
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}');
      } else if (url.startsWith('/og/')) {
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"result":"Request will be processed"}');
      } else {
        res.writeHead(200).end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    to: (prefix: string) => received.filter((r) => r.url.startsWith(prefix)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
type Providers = Awaited<ReturnType<typeof startProviders>>;

/** Level 0 pages the provider's channel; level 1, two seconds on, a webhook: it must never be called once acked. */
function config(providers: Providers, channel: string) {
  return parseConfig(`
vantages: [alpha]
components: [{ id: api, name: Public API }]
people:
  - { id: ana, name: Ana, email: ana@example.test, slack: { userId: U0ANA } }
channels:
  - id: slack-ops
    slack: { botToken: xoxb-1234567890-abcdefghij, channelId: C0123ABCD, signingSecret: ${SIGNING_SECRET}, apiBase: "${providers.base}/slack" }
  - { id: pd, pagerduty: { routingKey: R0UT1NGKEY, url: "${providers.base}/pd/v2/enqueue", webhookSecret: ${PD_SECRET} } }
  - { id: og, opsgenie: { apiKey: genie-key-0123, apiBase: "${providers.base}/og", webhookSecret: ${OG_SECRET} } }
  - { id: next-level, webhook: { url: "${providers.base}/hook/next" } }
escalations:
  - id: default
    levels:
      - { notify: [channel:${channel}], after: 0s }
      - { notify: [channel:next-level], after: 2s }
notifier:
  groupingWindow: 200ms
  delivery: { attempts: 5, backoff: 200ms }
`);
}

/** What each provider's user does to acknowledge: a signed request built from what Vigil sent it. */
const ACKS: Record<
  string,
  (trigger: Received, at: number) => { url: string; headers: Record<string, string>; payload: string }
> = {
  'slack-ops': (trigger, at) => {
    const actions = (trigger.json.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find(
      (block) => block.type === 'actions',
    );
    const button = actions?.elements?.find((element) => element.action_id === 'vigil_acknowledge');
    const payload = { type: 'block_actions', user: { id: 'U0ANA', username: 'ana' }, actions: [button] };
    const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const timestamp = String(Math.floor(at / 1000));
    const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    return {
      url: '/integrations/slack/actions',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signature,
      },
      payload: body,
    };
  },
  pd: (trigger) => {
    const body = JSON.stringify({
      event: {
        id: '01ACKEVENT',
        event_type: 'incident.acknowledged',
        agent: { summary: 'Ana' },
        data: { type: 'incident', incident_key: trigger.json.dedup_key },
      },
    });
    const signature = `v1=${createHmac('sha256', PD_SECRET).update(body).digest('hex')}`;
    return {
      url: '/integrations/pagerduty/webhook',
      headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature },
      payload: body,
    };
  },
  og: (trigger) => ({
    url: '/integrations/opsgenie/webhook',
    headers: { 'content-type': 'application/json', 'x-vigil-secret': OG_SECRET },
    payload: JSON.stringify({ action: 'Acknowledge', alert: { alias: trigger.json.alias, username: 'Ana' } }),
  }),
};

/** Where each provider's trigger, acknowledgement and resolve land. */
const PATHS: Record<string, { trigger: string; ack: string; resolve: string }> = {
  'slack-ops': { trigger: '/slack/chat.postMessage', ack: '/slack/chat.update', resolve: '/slack/chat.update' },
  pd: { trigger: '/pd/v2/enqueue', ack: '/pd/v2/enqueue', resolve: '/pd/v2/enqueue' },
  og: { trigger: '/og/v2/alerts', ack: '/og/v2/alerts/', resolve: '/og/v2/alerts/' },
};

describe('acknowledging from where the page arrived stops the escalation', () => {
  let fleet: Fleet;
  let providers: Providers;
  let app: ReturnType<typeof buildApp> | undefined;
  beforeEach(async () => {
    fleet = await startFleet(['alpha']);
    providers = await startProviders();
  });
  afterEach(async () => {
    await app?.close();
    await fleet.close();
    await providers.close();
  });

  it.each(['slack-ops', 'pd', 'og'])('%s: page → ack there → no next level → resolve there once', async (channel) => {
    const cfg = config(providers, channel);
    await fleet.notifier(cfg, { secret: SECRET });
    app = buildApp(createWebContext(fleet, { config: cfg, secret: SECRET }));
    await app.ready();
    const paths = PATHS[channel] ?? { trigger: '', ack: '', resolve: '' };
    const request = openRequestFixture('api-health', Date.now(), { escalation: 'default', component: 'api' });
    const { id } = await fleet.incidents.openOrJoin(request, Date.now(), 60_000);

    const trigger = await eventually(async () => providers.to(paths.trigger)[0], 10_000, `the ${channel} page`);
    const ack = ACKS[channel]?.(trigger, Date.now());
    if (!ack) throw new Error(`no ack for ${channel}`);
    const answer = await app.inject({ method: 'POST', ...ack });
    expect(answer.statusCode, answer.body).toBe(200);
    const incident = await fleet.incidents.get(id);
    expect(incident?.acknowledgedBy).toMatch(/^Ana via (slack|pagerduty|opsgenie)$/);

    // The provider hears of the acknowledgement: the Slack message updated, the alert acknowledged.
    const acked = await eventually(
      async () =>
        providers
          .to(paths.ack)
          .find((r) => r !== trigger && !('event_action' in r.json && r.json.event_action === 'trigger')),
      10_000,
      `the ${channel} acknowledgement`,
    );
    if (channel === 'slack-ops') expect(acked.json.ts).toBe('1700.1');
    if (channel === 'pd')
      expect(acked.json).toEqual({
        routing_key: 'R0UT1NGKEY',
        event_action: 'acknowledge',
        dedup_key: trigger.json.dedup_key,
      });
    if (channel === 'og')
      expect(acked.url).toBe(`/og/v2/alerts/${trigger.json.alias}/acknowledge?identifierType=alias`);
    // A fixed wait is the assertion: unacknowledged, the next level would have been called after 2 s.
    await setTimeout(3_000);
    expect(providers.to('/hook/')).toEqual([]);
    // The same press again is a replay: refused, nothing sent.
    const sentBefore = providers.received.length;
    expect((await app.inject({ method: 'POST', ...ack })).statusCode).toBe(403);

    await fleet.incidents.resolve(id, 'ana', Date.now());
    const resolves = await eventually(
      async () => {
        const found = providers.received.slice(sentBefore).filter((r) => r.url.startsWith(paths.resolve));
        return found.length > 0 ? found : undefined;
      },
      10_000,
      `the ${channel} resolve`,
    );
    await setTimeout(500);
    expect(providers.received.slice(sentBefore).filter((r) => r.url.startsWith(paths.resolve))).toHaveLength(1);
    if (channel === 'og')
      expect(resolves[0]?.url).toBe(`/og/v2/alerts/${trigger.json.alias}/close?identifierType=alias`);
    if (channel === 'pd') expect(resolves[0]?.json.event_action).toBe('resolve');
    // One page for the whole episode: the trigger, never a second one.
    const triggers = providers.received.filter(
      (r) => r.url === paths.trigger && (r.json.event_action ?? 'trigger') === 'trigger',
    );
    expect(triggers).toHaveLength(1);
  });
});
