import {
  CHANNEL_KINDS,
  type ChannelKind,
  type ProbeResult,
  type RoleConnections,
  type RoleContext,
  validateConfig,
} from '@vigil/core';
import { roundResult } from '@vigil/core/testing';
import { CheckCatalog } from './evaluation/check-catalog.js';
import { Evaluator } from './evaluation/evaluator.js';
import { VantageHealth } from './evaluation/vantage-health.js';
import { IncidentDesk } from './incidents/incident-desk.js';
import { createNotifierContext, type NotifierContext, type NotifierInput } from './notifier-context.js';
import type { Channel, ChannelRegistry } from './paging/channels/channel.js';

/** The secret test notifiers sign with. */
export const TEST_SECRET = 'test-secret-0123456789';

/** Channels for tests that page nobody: a page that reaches one fails, saying so. */
function unusedChannels(): ChannelRegistry {
  const channel = <K extends ChannelKind>(kind: K): Channel<K> => ({
    kind,
    send: async () => {
      throw new Error(`this test has no ${kind} channel`);
    },
  });
  // One per kind, so a new kind needs nothing here; the cast restores what Object.fromEntries drops.
  return Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind, channel(kind)])) as ChannelRegistry;
}

/**
 * A notifier context on a test process (core's `testContext()`, or one of its peers), built as the
 * role builds it: one vantage and no channels unless the test gives its own.
 */
export function testNotifierContext(
  base: RoleContext & RoleConnections,
  input: Partial<NotifierInput> = {},
): NotifierContext {
  return createNotifierContext(base, {
    config: input.config ?? validateConfig({ vantages: ['alpha'] }, 'test config'),
    channels: input.channels ?? unusedChannels(),
    secret: input.secret ?? TEST_SECRET,
    publicUrl: input.publicUrl ?? 'http://127.0.0.1:8080',
  });
}

/** Opens an incident for check `web` as the evaluator would at its first failed round; returns its id. */
export async function openWebIncident(ctx: Pick<NotifierContext, 'incidents'>): Promise<string> {
  const now = Date.now();
  const opened = await ctx.incidents.openOrJoin(
    {
      group: 'check:web',
      title: 'web is down',
      impact: 'major',
      severity: 'major',
      startedAt: now,
      openedMessage: 'down',
      joinedMessage: '',
    },
    now,
    0,
  );
  return opened.id;
}

/**
 * A notifier's evaluation parts wired as `Notifier` wires them (catalog, vantage health, incident
 * desk, evaluator), minus BullMQ and paging; the catalog loaded from the registry.
 */
export async function testEvaluation(ctx: NotifierContext) {
  const catalog = new CheckCatalog(ctx);
  const health = new VantageHealth(ctx);
  const desk = new IncidentDesk(ctx, { catalog });
  const evaluator = new Evaluator(ctx, { catalog, desk, health });
  await catalog.reload();
  return { catalog, health, desk, evaluator };
}

/** The two addresses behind one name in the per-address tests: one falls sick, one stays fine. */
export const SICK_ADDRESS = '5.104.101.30';
export const FINE_ADDRESS = '109.232.236.90';

/** A vantage's result of a round that probed both addresses; `sick` says whether the sick one failed. */
export function twoAddressResult(checkId: string, vantage: string, round: number, sick: boolean): ProbeResult {
  return {
    ...roundResult(checkId, vantage, round, !sick),
    addresses: [
      { address: SICK_ADDRESS, ok: !sick, timings: { total: 4 }, ...(sick && { error: 'timeout' as const }) },
      { address: FINE_ADDRESS, ok: true, timings: { total: 4 } },
    ],
  };
}
