import {
  CHANNEL_KINDS,
  type ChannelKind,
  checkInputSchema,
  createLogger,
  parseConfig,
  resolveCheck,
} from '@vigil/core';
import { eventually, roundResult, streamDrained, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BlindSpots } from '../evaluation/blind-spots.js';
import { CheckCatalog } from '../evaluation/check-catalog.js';
import { Evaluator } from '../evaluation/evaluator.js';
import { VantageHealth } from '../evaluation/vantage-health.js';
import type { Channel, ChannelRegistry, Page } from '../paging/channels/channel.js';
import { Deliveries } from '../paging/delivery.js';
import { Escalations } from '../paging/escalation.js';
import { testNotifierContext } from '../testing.js';
import { IncidentDesk } from './incident-desk.js';
import { IncidentReactor } from './incident-reactor.js';

/**
 * The operators own `api` and page `default` (Ana). team-b has no grant; team-c is granted `api` and
 * its own policy (Tia). A tenant's check in the operators' component must never join the operators'
 * incident, and must page only what its owner is granted.
 */
const config = parseConfig(`
vantages: [alpha, beta, gamma]
defaults: { interval: 30s, timeout: 10s, confirmations: 2 }
notifier: { groupingWindow: 0s }
components: [{ id: api, name: Public API }]
people:
  - { id: ana, name: Ana, email: ana@example.com }
  - { id: tia, name: Tia, email: tia@example.com }
escalations:
  - { id: default, levels: [{ notify: [person:ana] }] }
  - { id: team-c-oncall, levels: [{ notify: [person:tia] }] }
grants:
  - { owner: team-c, components: [api], escalations: [team-c-oncall] }
checks:
  - { id: api-health, name: API health, component: api, http: { url: "https://api.example.com/health" } }
`);
const VANTAGES = ['alpha', 'beta', 'gamma'] as const;
const INTERVAL = 30_000;
const R = (k: number) => T0 + k * INTERVAL;
const log = createLogger({ level: 'silent' });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Email pages land in `pages`; any other channel would fail the test. */
function recordingChannels(pages: { incident: string; to: string[] }[]): ChannelRegistry {
  const unused = <K extends ChannelKind>(kind: K): Channel<K> => ({
    kind,
    send: async () => {
      throw new Error(`this test has no ${kind} channel`);
    },
  });
  const others = Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind, unused(kind)])) as ChannelRegistry;
  return {
    ...others,
    email: {
      kind: 'email',
      send: async (page: Page, target) => {
        if (page.action === 'trigger') pages.push({ incident: page.incident.id, to: target.to });
      },
    },
  };
}

async function fleet() {
  const clock = { t: T0, now: (): number => clock.t };
  const base = await testContext('tenant-incidents', { clock, log });
  cleanups.push(base.cleanup);
  const pages: { incident: string; to: string[] }[] = [];
  const ctx = testNotifierContext(base, { config, channels: recordingChannels(pages) });
  for (const check of config.checks) await ctx.checks.put(check);
  const tenant = (id: string, owner: string) => ({
    ...resolveCheck(
      checkInputSchema.parse({ id, component: 'api', escalation: 'default', http: { url: `https://${id}.example/` } }),
      config.defaults,
    ),
    owner,
  });
  // As if registered before a grant was withdrawn: in the operators' component, naming `default`.
  await ctx.checks.put(tenant('b-probe', 'team-b'));
  await ctx.checks.put(tenant('c-probe', 'team-c'));
  // Registered with an admin token: root is the operators, its check is theirs.
  await ctx.tokens.create({ owner: 'root', scope: 'admin' }, { now: clock.t, createdBy: 'test' });
  await ctx.checks.put(tenant('root-probe', 'root'));
  const catalog = new CheckCatalog(ctx);
  const desk = new IncidentDesk(ctx, { catalog });
  const evaluator = new Evaluator(ctx, { catalog, desk, health: new VantageHealth(ctx) });
  new BlindSpots(ctx, { catalog });
  await catalog.reload();
  const deliveries = new Deliveries(ctx);
  const escalations = new Escalations(ctx, { deliveries });
  const reactor = new IncidentReactor(ctx, { escalations, deliveries });
  await deliveries.start();
  await escalations.start();
  await reactor.start();
  cleanups.push(async () => {
    await reactor.close();
    await escalations.close();
    await deliveries.close();
  });
  /** Round `k` of `checks` from every vantage: failing (connection refused), or up with `ok`. */
  const round = async (k: number, checks: readonly string[], ok: boolean) => {
    clock.t = Math.max(clock.t, R(k) + 1_000);
    for (const checkId of checks) {
      for (const vantage of VANTAGES) {
        const result = roundResult(checkId, vantage, R(k), ok);
        await evaluator.onResult({ result, intervalMs: INTERVAL });
      }
    }
  };
  const fail = (k: number, checks: readonly string[]) => round(k, checks, false);
  const pass = (k: number, checks: readonly string[]) => round(k, checks, true);
  return { ctx, pages, fail, pass, now: () => clock.t };
}

describe('tenancy in the incident desk', () => {
  it('keeps a tenant’s failing check out of the operators’ incident, paging only what its owner is granted', async () => {
    const w = await fleet();
    // The tenants fail first, so their incidents are handled before the operators' one is paged.
    await w.fail(0, ['b-probe', 'c-probe']);
    await w.fail(1, ['b-probe', 'c-probe', 'api-health', 'root-probe']);
    await w.fail(2, ['api-health', 'root-probe']);

    const open = await w.ctx.incidents.listOpen();
    const byMember = new Map(open.map((incident) => [incident.members.map((m) => m.checkId).join(','), incident]));
    expect([...byMember.keys()].sort()).toEqual(['api-health,root-probe', 'b-probe', 'c-probe']);
    const ops = byMember.get('api-health,root-probe');
    const b = byMember.get('b-probe');
    const c = byMember.get('c-probe');
    expect(ops).toMatchObject({ group: 'component:api', component: 'api', escalation: 'default' });
    // Not the component's incident: no component (so not on the public page under it), no `default`.
    expect(b?.group).toBe('check:b-probe');
    expect(b?.component).toBeUndefined();
    expect(b?.escalation).toBeUndefined();
    // Granted the component: an incident of api, but team-c's own, paging team-c's policy.
    expect(c).toMatchObject({ group: 'component:api:owner:team-c', component: 'api', escalation: 'team-c-oncall' });
    // Each member names the owner it was recorded for: the incident stays theirs if the id is reused.
    expect(b?.members.map((m) => m.owner)).toEqual(['team-b']);
    expect(ops?.members.map((m) => m.owner)).toEqual([undefined, undefined]);

    await eventually(() => w.pages.length >= 2, 10_000, 'two pages');
    await eventually(() => streamDrained(w.ctx.redis, w.ctx.keys.incidentEvents, 'notifier'), 10_000, 'events handled');
    expect(w.pages.sort((x, y) => x.to[0]?.localeCompare(y.to[0] ?? '') ?? 0)).toEqual([
      { incident: ops?.id, to: ['ana@example.com'] },
      { incident: c?.id, to: ['tia@example.com'] },
    ]);
  });

  it('resolves an incident through the check that opened it after its owner became the operators', async () => {
    const w = await fleet();
    await w.fail(0, ['c-probe']);
    await w.fail(1, ['c-probe']);
    const [opened] = await w.ctx.incidents.listOpen();
    expect(opened).toMatchObject({ group: 'component:api:owner:team-c' });
    // team-c gets an admin token mid-incident: its checks now group as the operators' (component:api).
    await w.ctx.tokens.create({ owner: 'team-c', scope: 'admin' }, { now: w.now(), createdBy: 'test' });
    await w.pass(2, ['c-probe']);
    await w.pass(3, ['c-probe']);
    expect(await w.ctx.incidents.get(opened?.id ?? '')).toMatchObject({ status: 'resolved' });
    expect(await w.ctx.incidents.listOpen()).toEqual([]);
  });
});
