import { setTimeout } from 'node:timers/promises';
import { parseConfig } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { buildApp } from '@vigil/web';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ProviderFakes, startProviderFakes } from './support/chat-fakes.js';
import { type Fleet, startFleet } from './support/fleet.js';
import { PAGING_NOTIFIER_YAML } from './support/paging.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

const PUSHOVER_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const PUSHOVER_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';

/** The paths each destination's pages arrive on at the fakes. */
const DESTINATIONS = {
  teams: '/teams/workflows/ops/invoke',
  discord: '/discord/api/webhooks/1/t0k',
  mattermost: '/mattermost/hooks/mm',
  rocketchat: '/rocketchat/hooks/rc',
  ntfy: '/ntfy/ops-pages',
} as const;

/** Level 0: five chat and push channels and Ana by Pushover; level 1 (after 4 s): another ntfy topic. */
function chatYaml(fakes: string): string {
  return `
people:
  - { id: ana, name: Ana, pushover: { token: ${PUSHOVER_TOKEN}, user: ${PUSHOVER_USER}, apiBase: "${fakes}/pushover" }, contact: [pushover] }
  - { id: cy, name: Cy, ntfy: "${fakes}/ntfy/fleet" }
channels:
  - { id: teams-ops, teams: { webhookUrl: "${fakes}${DESTINATIONS.teams}" } }
  - { id: discord-ops, discord: { webhookUrl: "${fakes}${DESTINATIONS.discord}" } }
  - { id: mm-ops, mattermost: { webhookUrl: "${fakes}${DESTINATIONS.mattermost}" } }
  - { id: rc-ops, mattermost: { webhookUrl: "${fakes}${DESTINATIONS.rocketchat}", flavour: rocketchat } }
  - { id: ntfy-ops, ntfy: { server: "${fakes}/ntfy", topic: ops-pages, token: tk_secret } }
  - { id: ntfy-escalated, ntfy: { server: "${fakes}/ntfy", topic: escalated } }
escalations:
  - id: default
    levels:
      - { notify: [channel:teams-ops, channel:discord-ops, channel:mm-ops, channel:rc-ops, channel:ntfy-ops, person:ana], after: 0s }
      - { notify: [channel:ntfy-escalated], after: 4s }
  - id: fleet
    levels: [{ notify: [person:cy] }]
${PAGING_NOTIFIER_YAML}
`;
}

describe('paging end to end through the chat and push channels', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let fakes: ProviderFakes;
  beforeEach(async () => {
    fleet = await startFleet(['alpha', 'beta', 'gamma']);
    target = await startHttpTarget();
    fakes = await startProviderFakes();
  });
  afterEach(async () => {
    await fleet.close();
    await target.close();
    await fakes.close();
  });

  it('pages each destination once, stops escalating on a Pushover acknowledgement, and resolves each once', async () => {
    const config = parseConfig(`
vantages: [alpha, beta, gamma]
components: [{ id: api, name: Public API }]
checks:
  - { id: api-health, name: API health, component: api, interval: 1s, timeout: 800ms, allowPrivateTarget: true, http: { url: "${target.url}" } }
${chatYaml(fakes.url)}`);
    await fleet.runConfig(config);
    await fleet.historyUntil('api-health', (h) => h.filter((r) => r.ok).length >= 6);

    const port = target.port;
    await target.close();
    const pushovers = () => fakes.to('/pushover/1/messages.json');
    await eventually(
      async () =>
        Object.values(DESTINATIONS).every((path) => fakes.to(path).length > 0) && pushovers().length > 0
          ? true
          : undefined,
      15_000,
      'a page at every destination',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the fakes got ${fakes.requests.map((r) => r.url).join(' ') || 'nothing'}`);
    });
    for (const path of Object.values(DESTINATIONS)) expect(fakes.to(path), path).toHaveLength(1);
    expect(pushovers()).toHaveLength(1);
    const [incident] = await fleet.incidents.listOpen();
    expect(incident).toBeDefined();

    // Each page is the provider's documented request.
    const teams = JSON.parse(fakes.to(DESTINATIONS.teams)[0]?.body ?? '');
    expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.parse(fakes.to(DESTINATIONS.discord)[0]?.body ?? '').allowed_mentions).toEqual({ parse: [] });
    expect(JSON.parse(fakes.to(DESTINATIONS.rocketchat)[0]?.body ?? '').alias).toBe('Vigil');
    expect(fakes.to(DESTINATIONS.ntfy)[0]?.headers).toMatchObject({ authorization: 'Bearer tk_secret' });
    const emergency = new URLSearchParams(pushovers()[0]?.body);
    expect(emergency.get('priority')).toBe('2');
    expect(emergency.get('user')).toBe(PUSHOVER_USER);

    // Ana acknowledges on her phone: Pushover calls the signed callback URL on the web role.
    const callback = new URL(emergency.get('callback') ?? '');
    const web = buildApp(fleet.ctx);
    try {
      const forged = await web.inject({
        method: 'POST',
        url: `${callback.pathname}${callback.search.replace('by=Ana', 'by=Mallory')}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'receipt=rLqVuqTRh62UzxtmqiaLzQmVcPgiCy&acknowledged=1',
      });
      expect(forged.statusCode).toBe(403);
      const acked = await web.inject({
        method: 'POST',
        url: `${callback.pathname}${callback.search}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `receipt=rLqVuqTRh62UzxtmqiaLzQmVcPgiCy&acknowledged=1&acknowledged_at=${Math.floor(Date.now() / 1000)}&acknowledged_by=${PUSHOVER_USER}`,
      });
      expect(acked.json()).toEqual({ outcome: 'acknowledged' });
    } finally {
      await web.close();
    }
    expect(await fleet.incidents.get(incident?.id ?? '')).toMatchObject({ acknowledgedBy: 'Ana via pushover' });

    // A fixed wait is the assertion: unacknowledged, level 1 would have paged the escalated topic after 4 s.
    await setTimeout(6_000);
    expect(fakes.to('/ntfy/escalated')).toHaveLength(0);
    // The channels heard of the acknowledgement, once each; Ana's Pushover re-alerts are cancelled by tag.
    await eventually(
      async () =>
        Object.values(DESTINATIONS).every((path) => fakes.to(path).length === 2) && pushovers().length === 2
          ? true
          : undefined,
      10_000,
      'an acknowledgement at every destination',
    );
    expect(fakes.to('/pushover/1/receipts/cancel_by_tag/')).toHaveLength(1);
    expect(new URLSearchParams(pushovers()[1]?.body).get('priority')).toBe('-1');

    const back = await startHttpTarget(port);
    try {
      await eventually(
        async () => ((await fleet.incidents.get(incident?.id ?? ''))?.status === 'resolved' ? true : undefined),
        15_000,
        'the incident resolved',
      );
      await eventually(
        async () =>
          Object.values(DESTINATIONS).every((path) => fakes.to(path).length === 3) && pushovers().length === 3
            ? true
            : undefined,
        10_000,
        'a resolve at every destination',
      );
      // Let any duplicate arrive before counting: one trigger, one acknowledgement, one resolve each.
      await setTimeout(1_500);
      for (const path of Object.values(DESTINATIONS)) expect(fakes.to(path), path).toHaveLength(3);
      expect(pushovers()).toHaveLength(3);
      expect(new URLSearchParams(pushovers()[2]?.body).get('priority')).toBe('0');
      expect(fakes.to('/pushover/1/receipts/cancel_by_tag/')).toHaveLength(2);
      expect(fakes.to('/ntfy/escalated')).toHaveLength(0);
    } finally {
      await back.close();
    }
  }, 60_000);
});
