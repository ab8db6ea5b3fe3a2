import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createLogger, type IcmpSpec, icmpSpecSchema, systemClock, type TargetGuard } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fping, fpingArguments, parseFpingSummary } from '../icmp/fping.js';
import { FpingBatcher } from '../icmp/fping-batcher.js';
import { systemResolver } from '../net/resolve.js';
import { runProbe } from '../probe.js';
import { ProbeContext } from '../probe-context.js';
import { openGuard, strictGuard } from '../test-servers.js';
import { announcePingAvailability, judgeReplies, pingPacing, probeIcmp } from './icmp.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
/**
 * TEST-NET-2, routed inside the test's own network namespace onto one end of a veth pair, to a
 * neighbour that does not exist: requests go out and nothing ever answers, nothing leaves the namespace.
 */
const SILENT = '198.51.100.9';

function spec(input: Partial<Record<keyof IcmpSpec, unknown>>): IcmpSpec {
  return icmpSpecSchema.parse(input);
}

function context(options: { timeoutMs?: number; guard?: TargetGuard; localAddress?: string } = {}): ProbeContext {
  return new ProbeContext({
    timeoutMs: options.timeoutMs ?? 3_000,
    guard: options.guard ?? openGuard,
    resolve: systemResolver,
    clock: systemClock,
    localAddress: options.localAddress,
  });
}

async function probeWith(fping: Fping, icmp: IcmpSpec, options: Parameters<typeof context>[0] = {}) {
  const ctx = context(options);
  try {
    return await probeIcmp(icmp, ctx, fping);
  } finally {
    ctx.close();
  }
}

/** fping processes this test process started and that still run. */
async function fpingChildren(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // `pid (comm) state ppid …`
    const match = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (match?.[1] === 'fping' && Number(match[2]) === process.pid) pids.push(Number(entry));
  }
  return pids;
}

describe('ICMP probe with fping against loopback (tests allow private targets, as vigil.yaml can)', () => {
  it('reports three answered echo requests, their round trips and the address pinged', async () => {
    const result = await runProbe(
      { id: 'icmp', kind: 'icmp', icmp: spec({ host: '127.0.0.1' }), intervalMs: 30_000, timeoutMs: 3_000 },
      { vantage: 'test', round: 0, guard: openGuard },
    );
    expect(result).toMatchObject({
      ok: true,
      remoteAddress: '127.0.0.1',
      icmp: { sent: 3, received: 3, lossPercent: 0 },
    });
    const rtt = result.icmp?.rttMs;
    expect(rtt?.min).toBeGreaterThan(0);
    expect(rtt?.min).toBeLessThanOrEqual(rtt?.avg ?? 0);
    expect(rtt?.avg).toBeLessThanOrEqual(rtt?.max ?? 0);
    expect(result.timings.total).toBeLessThan(3_000);
  });

  it('pings from the vantage’s source address, and pings the resolved address, not the name', async () => {
    const fping = new Fping();
    const result = await probeWith(fping, spec({ host: 'localhost', count: 2 }), { localAddress: '127.0.0.2' });
    expect(result).toMatchObject({ ok: true, remoteAddress: '127.0.0.1', icmp: { sent: 2, received: 2 } });
  });

  it('fails a mean round trip above maxRttMs as an assertion, the replies still reported', async () => {
    const result = await probeWith(new Fping(), spec({ host: '127.0.0.1', expect: { maxRttMs: 0.001 } }));
    expect(result).toMatchObject({ ok: false, error: 'assertion', icmp: { received: 3, lossPercent: 0 } });
    expect(result.message).toMatch(/^mean round trip to 127\.0\.0\.1 was [\d.]+ ms; expected at most 0\.001 ms$/);
  });

  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private'],
  ])('refuses %s under the default guard, before any echo request', async (host, reason) => {
    const result = await probeWith(new Fping(), spec({ host }), { guard: strictGuard });
    expect(result).toMatchObject({ ok: false, error: 'blocked_target' });
    expect(result.message).toContain(reason);
    expect(result.icmp).toBeUndefined();
  });

  it('refuses a name that resolves to the metadata address, naming both', async () => {
    const ctx = new ProbeContext({
      timeoutMs: 3_000,
      guard: strictGuard,
      resolve: async () => ['5.104.101.30', '169.254.169.254'],
      clock: systemClock,
    });
    const result = await probeIcmp(spec({ host: 'lb.example.com' }), ctx, new Fping());
    ctx.close();
    expect(result).toMatchObject({
      ok: false,
      error: 'blocked_target',
      message: expect.stringContaining('lb.example.com resolved to'),
    });
    expect(result.icmp).toBeUndefined();
  });

  it('kills fping at the probe’s deadline: a timeout, and no fping left running', async () => {
    const ctx = context({ timeoutMs: 300 });
    const started = performance.now();
    // Its failure is caught at once: on a loaded machine the deadline can pass while the test still
    // counts the children, and a rejection left without a handler until then is reported as unhandled.
    const failure = ctx
      .untilAborted(new Fping().ping({ address: '127.0.0.1', count: 50, periodMs: 100, replyTimeoutMs: 500 }, ctx))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await fpingChildren()).toHaveLength(1);
    expect(await failure).toBeInstanceOf(Error);
    expect(ctx.timedOut).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
    ctx.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await fpingChildren()).toEqual([]);
  });
});

describe('ICMP probes of one turn batched into one fping run', () => {
  it('pings every host of the turn from one process, each probe told its own host’s replies', async () => {
    const batcher = new FpingBatcher(new Fping());
    const hosts = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.1'];
    const contexts = hosts.map(() => context({ timeoutMs: 2_000 }));
    const probes = hosts.map((host, i) => probeIcmp(spec({ host, count: 2 }), contexts[i] as ProbeContext, batcher));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await fpingChildren()).toHaveLength(1);
    const results = await Promise.all(probes);
    for (const ctx of contexts) ctx.close();
    results.forEach((result, i) => {
      expect(result).toMatchObject({
        ok: true,
        remoteAddress: hosts[i],
        icmp: { sent: 2, received: 2, lossPercent: 0 },
      });
    });
    expect(await fpingChildren()).toEqual([]);
  });

  it('lets a probe end at its own deadline while the run goes on for the others, and kills it after the last', async () => {
    const batcher = new FpingBatcher(new Fping());
    const request = { address: '127.0.0.1', count: 5, periodMs: 200, replyTimeoutMs: 500 };
    const short = context({ timeoutMs: 300 });
    const long = context({ timeoutMs: 3_000 });
    const shortPing = short.untilAborted(batcher.ping(request, short));
    const longPing = long.untilAborted(batcher.ping({ ...request, address: '127.0.0.2' }, long));
    // The long one's outcome held from the start, so a failure of it is never left unhandled meanwhile.
    const longOutcome = longPing.then(
      (replies) => ({ replies }),
      (error: unknown) => ({ error }),
    );
    await expect(shortPing).rejects.toThrow();
    expect(short.timedOut).toBe(true);
    expect(await fpingChildren()).toHaveLength(1);
    expect(await longOutcome).toMatchObject({ replies: { sent: 5, received: 5 } });
    short.close();
    long.close();

    const first = context({ timeoutMs: 300 });
    const second = context({ timeoutMs: 300 });
    const endless = { address: '127.0.0.1', count: 50, periodMs: 100, replyTimeoutMs: 500 };
    const pings = [first, second].map((ctx) => ctx.untilAborted(batcher.ping(endless, ctx)));
    // Both awaited at once: each has a handler before either deadline passes.
    await Promise.all(pings.map((ping) => expect(ping).rejects.toThrow()));
    first.close();
    second.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await fpingChildren()).toEqual([]);
  });

  it('tells every probe of a batch that fping is missing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'vigil-no-fping-'));
    try {
      const batcher = new FpingBatcher(new Fping({ env: { PATH: empty } }));
      const results = await Promise.all(
        ['127.0.0.1', '127.0.0.2'].map(async (host) => {
          const ctx = context();
          try {
            return await probeIcmp(spec({ host }), ctx, batcher);
          } finally {
            ctx.close();
          }
        }),
      );
      for (const result of results) expect(result).toMatchObject({ ok: false, error: 'icmp_unavailable' });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('a prober without fping', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await mkdtemp(join(tmpdir(), 'vigil-no-fping-'));
  });
  afterAll(async () => {
    await rm(empty, { recursive: true, force: true });
  });

  it('says once at start what is missing and how to fix it, and fails ICMP probes as icmp_unavailable', async () => {
    const fping = new Fping({ env: { PATH: empty } });
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).trim().split('\n'));
        done();
      },
    });
    await announcePingAvailability(fping, createLogger({ destination, level: 'debug' }));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? '{}') as { level: number; msg: string };
    expect(line.level).toBe(40);
    expect(line.msg).toContain('this prober cannot ping: fping is not installed (not found on the PATH, ENOENT)');
    expect(line.msg).toContain('apt-get install fping');

    for (const host of ['127.0.0.1', '127.0.0.2']) {
      const result = await probeWith(fping, spec({ host }));
      expect(result).toMatchObject({ ok: false, error: 'icmp_unavailable', remoteAddress: host });
      expect(result.message).toBe('fping is not installed (not found on the PATH, ENOENT)');
      expect(result.icmp).toBeUndefined();
    }
    expect(lines).toHaveLength(1);
  });

  it('says nothing above debug when fping can ping', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    await announcePingAvailability(new Fping(), createLogger({ destination, level: 'info' }));
    expect(lines).toEqual([]);
  });
});

describe.skipIf(!isRoot)(
  'a silent address, in a network namespace the test creates (needs root; CI runs as root)',
  () => {
    const namespace = `vigil-test-${randomBytes(4).toString('hex')}`;
    const inNamespace = new Fping({ command: ['ip', 'netns', 'exec', namespace, 'fping'] });
    const ip = (...args: string[]) => run('ip', ['-n', namespace, ...args]);
    beforeAll(async () => {
      await run('ip', ['netns', 'add', namespace]);
      await ip('link', 'set', 'lo', 'up');
      await ip('link', 'add', 'silent0', 'type', 'veth', 'peer', 'name', 'silent1');
      await ip('link', 'set', 'silent0', 'up');
      await ip('link', 'set', 'silent1', 'up');
      await ip('address', 'add', '192.0.2.1/30', 'dev', 'silent0');
      await ip('neigh', 'add', '192.0.2.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'silent0', 'nud', 'permanent');
      await ip('route', 'add', `${SILENT}/32`, 'via', '192.0.2.2', 'dev', 'silent0');
    });
    afterAll(async () => {
      await run('ip', ['netns', 'del', namespace]);
    });

    it('fails with icmp_loss at 100% loss, every request counted, within the deadline', async () => {
      const result = await probeWith(inNamespace, spec({ host: SILENT }), { timeoutMs: 2_000 });
      expect(result).toMatchObject({
        ok: false,
        error: 'icmp_loss',
        remoteAddress: SILENT,
        icmp: { sent: 3, received: 0, lossPercent: 100 },
        message: `3 of 3 echo requests to ${SILENT} went unanswered (100% loss; no reply at all)`,
      });
      expect(result.icmp?.rttMs).toBeUndefined();
      expect(result.timings.total).toBeLessThan(2_000);
    });

    it('batches a silent and an answering host into one run: each judged on its own replies', async () => {
      const batcher = new FpingBatcher(inNamespace);
      const [silent, answering] = await Promise.all(
        [SILENT, '127.0.0.1'].map(async (host) => {
          const ctx = context({ timeoutMs: 2_000 });
          try {
            return await probeIcmp(spec({ host }), ctx, batcher);
          } finally {
            ctx.close();
          }
        }),
      );
      expect(silent).toMatchObject({ ok: false, error: 'icmp_loss', icmp: { sent: 3, received: 0, lossPercent: 100 } });
      expect(answering).toMatchObject({ ok: true, icmp: { sent: 3, received: 3, lossPercent: 0 } });
    });

    it('computes partial loss: the address answers from halfway through, judged against maxLossPercent', async () => {
      // Four requests ~440 ms apart; the address starts answering between the second and the third.
      const icmp = spec({ host: SILENT, count: 4, expect: { maxLossPercent: 25 } });
      const probing = probeWith(inNamespace, icmp, { timeoutMs: 4_000 });
      await new Promise((resolve) => setTimeout(resolve, 650));
      await ip('address', 'add', `${SILENT}/32`, 'dev', 'lo');
      const result = await probing;
      await ip('address', 'del', `${SILENT}/32`, 'dev', 'lo');
      expect(result).toMatchObject({
        ok: false,
        error: 'icmp_loss',
        icmp: { sent: 4, received: 2, lossPercent: 50 },
        message: `2 of 4 echo requests to ${SILENT} went unanswered (50% loss; at most 25% allowed)`,
      });
      expect(result.icmp?.rttMs?.avg).toBeGreaterThan(0);
    });

    it('passes the same loss under a limit that allows it', async () => {
      await ip('address', 'add', `${SILENT}/32`, 'dev', 'lo');
      try {
        const result = await probeWith(inNamespace, spec({ host: SILENT, expect: { maxLossPercent: 50 } }));
        expect(result).toMatchObject({ ok: true, icmp: { sent: 3, received: 3, lossPercent: 0 } });
      } finally {
        await ip('address', 'del', `${SILENT}/32`, 'dev', 'lo');
      }
    });
  },
);

describe('fping’s summary and arguments', () => {
  it('reads the summary of the pinged address only, with or without round trips', () => {
    const output = [
      '10.0.0.1     : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.020/0.029/0.040',
      '198.51.100.9 : xmt/rcv/%loss = 5/2/60%, min/avg/max = 10.1/12.25/14.4',
      '192.0.2.1 : xmt/rcv/%loss = 3/0/100%',
    ].join('\n');
    expect(parseFpingSummary(output, '198.51.100.9')).toEqual({
      sent: 5,
      received: 2,
      lossPercent: 60,
      rttMs: { min: 10.1, avg: 12.25, max: 14.4 },
    });
    expect(parseFpingSummary(output, '192.0.2.1')).toEqual({ sent: 3, received: 0, lossPercent: 100 });
    expect(parseFpingSummary(output, '192.0.2.2')).toBeUndefined();
    expect(parseFpingSummary('fping: can’t create socket (must run as root?)', '192.0.2.1')).toBeUndefined();
  });

  it('judges loss past the limit, and without a limit only total loss', () => {
    const some = { sent: 4, received: 3, lossPercent: 25, rttMs: { min: 1, avg: 2, max: 3 } };
    expect(judgeReplies(some, {}, '192.0.2.1')).toBeUndefined();
    expect(judgeReplies(some, { maxLossPercent: 25 }, '192.0.2.1')).toBeUndefined();
    expect(judgeReplies(some, { maxLossPercent: 20 }, '192.0.2.1')?.error).toBe('icmp_loss');
    expect(judgeReplies({ sent: 3, received: 0, lossPercent: 100 }, { maxLossPercent: 100 }, 'x')?.error).toBe(
      'icmp_loss',
    );
    expect(judgeReplies(some, { maxRttMs: 1.5 }, '192.0.2.1')?.error).toBe('assertion');
  });

  it('only ever passes numbers and IP literals, so no value can read as an option', () => {
    const pacing = { count: 3, periodMs: 100, replyTimeoutMs: 500 };
    expect(fpingArguments({ ...pacing, sourceAddress: '127.0.0.2' }, ['192.0.2.1', '2001:db8::1'])).toEqual([
      '-q',
      '-i1',
      '-c3',
      '-p100',
      '-t500',
      '-S127.0.0.2',
      '192.0.2.1',
      '2001:db8::1',
    ]);
    expect(() => fpingArguments(pacing, ['-f'])).toThrow('not an IP address');
    expect(() => fpingArguments(pacing, ['192.0.2.1', 'example.com'])).toThrow('not an IP address');
    expect(() => fpingArguments({ ...pacing, sourceAddress: '--help' }, ['192.0.2.1'])).toThrow('not an IP address');
    expect(() => fpingArguments({ ...pacing, count: 1.5 }, ['192.0.2.1'])).toThrow('positive integers');
    expect(() => fpingArguments(pacing, [])).toThrow('at least one address');
  });

  it('spreads the requests so the last reply window ends before the deadline', () => {
    for (const [timeoutMs, count] of [
      [10_000, 3],
      [1_000, 3],
      [2_000, 20],
      [500, 1],
    ] as const) {
      const { periodMs, replyTimeoutMs } = pingPacing(timeoutMs, count);
      expect(periodMs).toBeGreaterThanOrEqual(20);
      expect((count - 1) * periodMs + replyTimeoutMs, `${timeoutMs}ms × ${count}`).toBeLessThan(timeoutMs);
    }
  });
});
