/**
 * Paging channels against loopback fakes of their providers (another process): deliveries a second
 * and this process's CPU per delivery for each kind's real sender, beside a bare `fetch` POST of the
 * same size to the same fake (the peer, measured in the same run), so the ratio is what rendering
 * the page and sorting the answer cost.
 */
import { performance } from 'node:perf_hooks';
import { type ChannelTarget, createLogger, type Incident, type IncidentMember } from '@vigil/core';
import { createChannels, type Page } from '@vigil/notifier';
import { startChild } from './support/child.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt } from './support/stats.js';
import type { Table } from './support/table.js';

export interface ChannelsBenchOptions {
  /** Deliveries in flight at once. */
  concurrency: number;
  /** How long each channel is driven. */
  durationMs: number;
}

export const CHANNELS_DEFAULTS: ChannelsBenchOptions = { concurrency: 16, durationMs: 4_000 };

interface Load {
  deliveries: number;
  errors: number;
  perSecond: number;
  cpuUsPerDelivery: number;
}

const SID = `AC${'0123456789abcdef'.repeat(2)}`;

function incident(now: number): Incident {
  const member: IncidentMember = {
    checkId: 'api-health',
    name: 'API health',
    down: true,
    firstFailedRound: now - 60_000,
    lastFailedRound: now,
    lastGoodBefore: now - 90_000,
    vantagesFailing: ['eu-west', 'us-east'],
    vantagesTotal: 3,
    error: 'connect_refused',
    message: 'connect ECONNREFUSED 203.0.113.10:443',
  };
  return {
    id: 'inc-1',
    title: 'Public API is down',
    group: 'component:api',
    impact: 'major',
    severity: 'critical',
    status: 'investigating',
    component: 'api',
    escalation: 'default',
    episode: 1,
    startedAt: now - 60_000,
    detectedAt: now,
    members: [member, { ...member, checkId: 'api-login', name: 'API login' }],
    updates: [],
  };
}

async function drive(send: () => Promise<unknown>, options: ChannelsBenchOptions): Promise<Load> {
  let deliveries = 0;
  let errors = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        await send();
        deliveries += 1;
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    deliveries,
    errors,
    perSecond: deliveries / seconds,
    cpuUsPerDelivery: (used.user + used.system) / Math.max(1, deliveries),
  };
}

export async function channelsBench(options: ChannelsBenchOptions): Promise<BenchReport> {
  const fake = await startChild('provider-fake.js');
  const base = fake.first.trim();
  try {
    const now = Date.now();
    const registry = createChannels({
      log: createLogger({ level: 'silent' }),
      clock: { now: () => Date.now() },
      secret: 'bench-secret-0123456789',
      outboxDir: '/tmp/vigil-bench-outbox',
      from: 'vigil@example.com',
    });
    const page: Page = {
      action: 'trigger',
      dedupKey: 'inc-1-1-0-0-person-ana',
      incident: incident(now),
      componentName: 'Public API',
      level: 0,
      cycle: 0,
      recipient: { id: 'ana', name: 'Ana' },
      links: {
        ack: 'https://vigil.example.com/ack/eyJpbmNpZGVudElkIjoiaW5jLTEifQ.c2lnbmF0dXJlc2lnbmF0dXJlc2ln',
        incident: 'https://vigil.example.com/incidents/inc-1',
        statusPage: 'https://vigil.example.com/',
      },
      at: now,
    };
    const twilio = { accountSid: SID, authToken: 'bench-auth-token-0123456789', from: '+14155550100', apiBase: base };
    const targets: [string, ChannelTarget][] = [
      ['twilio sms', { kind: 'twilio', ...twilio, to: ['+33612345678'], mode: 'sms' }],
      ['twilio call', { kind: 'twilio', ...twilio, to: ['+33612345678'], mode: 'call' }],
      [
        'telegram',
        { kind: 'telegram', botToken: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw', chatId: '42', apiBase: base },
      ],
      ['slack (reference)', { kind: 'slack', webhookUrl: `${base}/services/T0/B0/x` }],
    ];
    const rows: string[][] = [];
    const data: Record<string, unknown> = { options };
    const peerBody = 'x'.repeat(1_500);
    // As the senders do on a 2xx: the answer's body is not read.
    const post = () =>
      fetch(`${base}/peer`, { method: 'POST', body: peerBody }).then((response) => response.body?.cancel());
    progress('warming up (connections, JIT)');
    await drive(post, { ...options, durationMs: Math.min(1_000, options.durationMs) });
    progress('bare fetch POST (the peer)');
    const peer = await drive(post, options);
    data.peer = peer;
    rows.push(['bare fetch POST (peer)', fmt(peer.perSecond), fmt(peer.cpuUsPerDelivery), '1.00', String(peer.errors)]);
    for (const [name, target] of targets) {
      progress(name);
      const channel = registry[target.kind] as { send(page: Page, target: unknown): Promise<void> };
      const load = await drive(() => channel.send(page, target), options);
      data[name] = load;
      rows.push([
        name,
        fmt(load.perSecond),
        fmt(load.cpuUsPerDelivery),
        fmt(load.perSecond / peer.perSecond, 2),
        String(load.errors),
      ]);
    }
    const table: Table = {
      title: `Channels: deliveries against loopback provider fakes (${options.concurrency} in flight, ${options.durationMs} ms each)`,
      columns: ['channel', 'deliveries/s', 'CPU µs/delivery', '× peer', 'errors'],
      rows,
      notes: [
        'CPU is this process only (the sender); the fakes run in their own process.',
        'peer: a bare fetch POST of a body of about the same size to the same fake.',
      ],
    };
    return { name: 'channels', tables: [table], data };
  } finally {
    await fake.stop();
  }
}
