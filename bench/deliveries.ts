/**
 * Deliveries a second per channel kind, each kind's sender posting pages to a loopback fake of its
 * provider (a child process), and the notifier's CPU per delivery (`process.cpuUsage` of this
 * process, which holds only the senders). Beside each, the raw peer measured in the same run: a bare
 * undici POST of a body of the same size to the same fake path, so the ratio is what rendering,
 * escaping and Vigil's HTTP handling cost. Table-driven over the registry: a kind without a loopback
 * target in `BENCH_TARGETS` still gets its row, saying so.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CHANNEL_KINDS,
  type ChannelKind,
  type ChannelSettings,
  type ChannelTarget,
  createLogger,
  type Incident,
} from '@vigil/core';
import { type ChannelRegistry, closeChannels, createChannels, type Page } from '@vigil/notifier';
import { request } from 'undici';
import { startChild } from './support/child.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt } from './support/stats.js';
import type { Table } from './support/table.js';

export interface DeliveriesBenchOptions {
  /** Pages sent per kind (and raw POSTs per peer). */
  count: number;
  /** Sends in flight at once, as the delivery queue's concurrency would have them. */
  concurrency: number;
  /** Rounds of (sender, raw peer, fetch peer) per kind; the last, warm one is reported. */
  repeats: number;
}

export const DELIVERIES_DEFAULTS: DeliveriesBenchOptions = { count: 2_000, concurrency: 8, repeats: 2 };

const PUSHOVER_KEY = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';

/** Where each kind's pages go on the fake (`fake` is its origin); email is SMTP, not an HTTP fake. */
const BENCH_TARGETS: { [K in ChannelKind]?: (fake: string) => ChannelSettings<K> } = {
  webhook: (fake) => ({ url: `${fake}/webhook/vigil` }),
  slack: (fake) => ({ webhookUrl: `${fake}/slack/services/T/B/X` }),
  pagerduty: (fake) => ({ routingKey: 'R0UT1NGKEY', url: `${fake}/pagerduty/v2/enqueue` }),
  teams: (fake) => ({ webhookUrl: `${fake}/teams/workflows/ops/invoke` }),
  discord: (fake) => ({ webhookUrl: `${fake}/discord/api/webhooks/1/t0k` }),
  mattermost: (fake) => ({ webhookUrl: `${fake}/mattermost/hooks/mm`, flavour: 'mattermost' }),
  ntfy: (fake) => ({ server: `${fake}/ntfy`, topic: 'ops-pages', token: 'tk_bench' }),
  twilio: (fake) => twilioSettings(fake),
  telegram: (fake) => ({
    botToken: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
    chatId: '42',
    apiBase: `${fake}/telegram`,
  }),
  opsgenie: (fake) => ({ apiKey: 'bench-api-key-0123', apiBase: `${fake}/opsgenie` }),
  pushover: (fake) => ({
    token: PUSHOVER_KEY,
    user: PUSHOVER_KEY,
    retry: 60,
    expire: 3_600,
    apiBase: `${fake}/pushover`,
  }),
};

/** Rows beyond one per kind: a second mode of a kind, posted to its fake as the kind's own row is. */
const EXTRA_TARGETS: { label: string; target: (fake: string) => ChannelTarget }[] = [
  {
    label: 'twilio (call)',
    target: (fake) => ({ kind: 'twilio', ...twilioSettings(fake), mode: 'call' }),
  },
];

function twilioSettings(fake: string): ChannelSettings<'twilio'> {
  return {
    accountSid: `AC${'0'.repeat(32)}`,
    authToken: 'bench-auth-token-0123456789',
    from: '+14155550100',
    to: ['+33612345678'],
    mode: 'sms',
    apiBase: `${fake}/twilio`,
  };
}

interface Run {
  deliveries: number;
  errors: number;
  perSecond: number;
  /** User + system CPU of this process per delivery, in µs. */
  cpuUs: number;
}

interface KindResult {
  /** The kind, or the extra row's label (`twilio (call)`). */
  label: string;
  channel?: Run;
  raw?: Run;
  /** The same POST through `fetch` (what `postJson` used before undici): what fetch itself costs. */
  fetch?: Run;
}

/** A trigger of a 3-check incident, as the delivery queue builds one. */
function benchPage(index: number): Page {
  const now = Date.now();
  const member = (i: number) => ({
    checkId: `api-${i}`,
    name: `API check ${i}`,
    down: true,
    firstFailedRound: now - 60_000,
    lastFailedRound: now,
    lastGoodBefore: now - 90_000,
    vantagesFailing: ['eu-west', 'us-east'],
    vantagesTotal: 3,
    error: 'connect_refused' as const,
    message: 'connect ECONNREFUSED 203.0.113.10:443',
  });
  const incident: Incident = {
    id: `inc-${index}`,
    title: 'Public API is down',
    group: 'component:api',
    impact: 'major',
    severity: 'critical',
    status: 'investigating',
    component: 'api',
    escalation: 'default',
    episode: 1,
    startedAt: now - 60_000,
    detectedAt: now - 30_000,
    members: [member(0), member(1), member(2)],
    updates: [{ at: now - 30_000, status: 'investigating', message: 'Checks are failing.', by: 'vigil' }],
  };
  return {
    action: 'trigger',
    dedupKey: `inc-${index}-1-0-0-channel:ops`,
    incident,
    componentName: 'Public API',
    level: 0,
    cycle: 0,
    links: {
      ack: 'https://vigil.example.com/ack/eyJpbmNpZGVudElkIjoiaW5jLTEifQ.c2lnbmF0dXJl',
      incident: `https://vigil.example.com/incidents/inc-${index}`,
      statusPage: 'https://vigil.example.com/',
    },
    at: now,
  };
}

/** Runs `send` `count` times, `concurrency` at once; counts failures rather than stopping. */
async function drive(send: (index: number) => Promise<void>, options: DeliveriesBenchOptions): Promise<Run> {
  let next = 0;
  let errors = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    for (let index = next++; index < options.count; index = next++) {
      await send(index).catch(() => {
        errors += 1;
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    deliveries: options.count,
    errors,
    perSecond: (options.count / elapsed) * 1000,
    cpuUs: (used.user + used.system) / options.count,
  };
}

/** The peer: a bare undici POST of `bytes` of JSON to the path the kind posts to, body read and dropped. */
function rawPost(url: string, bytes: number): (index: number) => Promise<void> {
  const body = JSON.stringify({ text: 'x'.repeat(Math.max(0, bytes - 11)) });
  return async () => {
    const response = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    await response.body.dump();
    if (response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode}`);
  };
}

/** The same POST through the global `fetch`, with a timeout signal, as `postJson` sent it before it used undici. */
function fetchPost(url: string, bytes: number): (index: number) => Promise<void> {
  const body = JSON.stringify({ text: 'x'.repeat(Math.max(0, bytes - 11)) });
  return async () => {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    await response.body?.cancel();
    if (response.status >= 300) throw new Error(`HTTP ${response.status}`);
  };
}

/** The URL and body size of a kind's request: one page sent, then the fake says what it received. */
async function firstRequest(
  registry: ChannelRegistry,
  target: ChannelTarget,
  origin: string,
): Promise<{ url: string; bytes: number } | undefined> {
  await (registry[target.kind] as ChannelRegistry[ChannelKind]).send(benchPage(0), target as never);
  const response = await request(`${origin}/last`);
  const last = (await response.body.json()) as { url: string; bytes: number };
  return last.url ? { url: `${origin}${last.url}`, bytes: last.bytes } : undefined;
}

export async function deliveriesBench(options: DeliveriesBenchOptions): Promise<BenchReport> {
  const fake = await startChild('provider-fake.ts');
  const { port } = JSON.parse(fake.first) as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  const outboxDir = await mkdtemp(join(tmpdir(), 'vigil-bench-outbox-'));
  const registry = createChannels({
    log: createLogger({ level: 'silent' }),
    clock: { now: () => Date.now() },
    secret: 'bench-secret-0123456789',
    outboxDir,
    from: 'Vigil <vigil@bench.test>',
  });
  const results: KindResult[] = [];
  const rows: { label: string; target?: ChannelTarget }[] = [
    ...CHANNEL_KINDS.map((kind) => {
      const settings = BENCH_TARGETS[kind]?.(origin);
      // Each kind's settings go with that kind.
      return { label: kind, ...(settings && { target: { kind, ...settings } as ChannelTarget }) };
    }),
    ...EXTRA_TARGETS.map(({ label, target }) => ({ label, target: target(origin) })),
  ];
  try {
    for (const { label, target } of rows) {
      if (!target) {
        results.push({ label });
        continue;
      }
      const channel = registry[target.kind] as ChannelRegistry[ChannelKind];
      const shape = await firstRequest(registry, target, origin);
      let result: KindResult = { label };
      for (let round = 1; round <= Math.max(1, options.repeats); round++) {
        progress(`deliveries: ${label} × ${options.count}, round ${round}`);
        const sent = await drive((index) => channel.send(benchPage(index), target as never), options);
        const raw = shape ? await drive(rawPost(shape.url, shape.bytes), options) : undefined;
        const viaFetch = shape ? await drive(fetchPost(shape.url, shape.bytes), options) : undefined;
        result = { label, channel: sent, ...(raw && { raw }), ...(viaFetch && { fetch: viaFetch }) };
      }
      results.push(result);
    }
  } finally {
    await closeChannels(registry);
    await fake.stop();
    await rm(outboxDir, { recursive: true, force: true });
  }
  return { name: 'deliveries', tables: [table(results, options)], data: { options, results } };
}

function table(results: KindResult[], options: DeliveriesBenchOptions): Table {
  return {
    title: `Deliveries per channel kind to a loopback fake (${fmt(options.count)} trigger pages each, ${options.concurrency} in flight, round ${options.repeats} of ${options.repeats})`,
    columns: [
      'kind',
      'deliveries/s',
      'raw POST/s',
      'ratio',
      'fetch POST/s',
      'CPU µs/delivery',
      'raw CPU µs',
      'fetch CPU µs',
      'errors',
    ],
    rows: results.map(({ label, channel, raw, fetch: viaFetch }) =>
      channel
        ? [
            label,
            fmt(channel.perSecond),
            fmt(raw?.perSecond),
            raw ? `${fmt(channel.perSecond / raw.perSecond, 2)}×` : '–',
            fmt(viaFetch?.perSecond),
            fmt(channel.cpuUs),
            fmt(raw?.cpuUs),
            fmt(viaFetch?.cpuUs),
            fmt(channel.errors + (raw?.errors ?? 0) + (viaFetch?.errors ?? 0)),
          ]
        : [label, 'no loopback target in bench/deliveries.ts', '', '', '', '', '', '', ''],
    ),
    notes: [
      'The senders alone (rendering, escaping, one HTTP POST each; Pushover triggers are one POST), in this process;',
      'the raw peer is a bare undici POST of a JSON body of the same size to the same fake path, the fetch peer the',
      'same POST through fetch with a timeout signal (how postJson sent before it used undici). CPU is this',
      "process's user + system time per delivery (process.cpuUsage); the fake runs in a child process.",
    ],
  };
}
