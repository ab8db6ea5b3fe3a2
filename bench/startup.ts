/**
 * Start-up cost: wall time and peak RSS of `vigil --help` and `vigil status` as they ship (the
 * compiled CLI under plain node) and as they ran before (tsx from the TypeScript sources), against
 * bare `node -e 0` in the same run; then the RSS of every idle role (compiled; the prober and the
 * scheduler also through tsx) at two moments, beside bare Node read at the same moments. The bars:
 * `vigil --help` under 300 ms, an idle role under 80 MB.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { deletePrefix } from '@vigil/core/testing';
import { type RoleProcess, startRole, VIGIL_BIN } from './support/fleet-role.js';
import { sampleProc } from './support/proc-stats.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt, median } from './support/stats.js';
import type { Table } from './support/table.js';

export interface StartupBenchOptions {
  /** Runs of each command, and starts of each idle role; medians are reported. */
  repeats: number;
  /** How long an idle role runs after its /readyz answers before its RSS is read. */
  settleMs: number;
  /** A second reading of one role of each kind this long after ready (V8 shrinks an idle heap later); 0 skips it. */
  lateMs: number;
}

export const STARTUP_DEFAULTS: StartupBenchOptions = { repeats: 5, settleMs: 3_000, lateMs: 60_000 };

const HELP_BAR_MS = 300;
const IDLE_BAR_MB = 80;
const MB = 2 ** 20;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXIT_USAGE = fileURLToPath(new URL('./support/exit-usage.cjs', import.meta.url));
const TSX = fileURLToPath(import.meta.resolve('tsx'));
/** The old way: tsx compiling the sources as they load, `@vigil/*` resolved to src/ by the source condition. */
const FROM_SOURCE = ['--import', TSX, '--conditions=@vigil/source', join(ROOT, 'packages/cli/src/main.ts')];

type Build = 'compiled' | 'tsx';
const ENTRY: Record<Build, readonly string[]> = { compiled: [VIGIL_BIN], tsx: FROM_SOURCE };

interface Command {
  label: string;
  argv: readonly string[];
  /** Whether it is `vigil --help`, which has a bar. */
  help?: boolean;
}

const COMMANDS: Command[] = [
  { label: 'node -e 0 (bare)', argv: ['-e', '0'] },
  { label: 'vigil --help, compiled', argv: [...ENTRY.compiled, '--help'], help: true },
  { label: 'vigil --help, tsx from source', argv: [...ENTRY.tsx, '--help'], help: true },
  { label: 'vigil status, compiled', argv: [...ENTRY.compiled, 'status'] },
  { label: 'vigil status, tsx from source', argv: [...ENTRY.tsx, 'status'] },
];

interface Run {
  wallMs: number;
  /** User + system: what the command costs whatever else the machine is doing. */
  cpuMs: number;
  maxRssBytes: number;
}

/** Runs `node <argv>` to its end: wall time from spawn to exit; CPU time and peak RSS as the process itself saw them. */
async function timeOnce(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--require', EXIT_USAGE, ...argv], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let report = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdio[3]?.on('data', (chunk: Buffer) => {
    report += chunk.toString();
  });
  const code = await exitOf(child);
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`node ${argv.join(' ')} exited with ${code}: ${stderr.trim()}`);
  const [maxRssKib, cpuMicros] = report.trim().split(' ').map(Number);
  return { wallMs, cpuMs: (cpuMicros ?? Number.NaN) / 1000, maxRssBytes: (maxRssKib ?? Number.NaN) * 1024 };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/** What an idle reading starts: a role, or bare Node for the floor. */
type IdleBuild = Build | 'bare';

interface IdleProcess {
  role: string;
  build: IdleBuild;
  /** Node's arguments before `args`: the compiled bin, tsx on the sources, or `-e` for bare Node. */
  entry: readonly string[];
  args: string[];
}

/**
 * Bare Node with what every role has and the bench needs to call it ready: an HTTP server answering
 * on VIGIL_PORT (a role's /readyz). Read at the same moments as the roles.
 */
const BARE_SCRIPT =
  "require('node:http').createServer((_, res) => res.end('ok')).listen(+process.env.VIGIL_PORT, '127.0.0.1')";

/**
 * Every role with nothing to do (a prober with no jobs, a scheduler with one check and no prober, a
 * notifier with no results, the web role unasked), compiled as it ships; the prober and the scheduler
 * also through tsx, as they ran before the build; and bare Node first, the floor they are read against.
 */
function idleProcesses(config: string): IdleProcess[] {
  const roleArgs: Record<string, string[]> = {
    prober: ['prober', '--vantage', 'bench', '-c', config],
    scheduler: ['scheduler', '-c', config],
    notifier: ['notifier', '-c', config],
    web: ['web', '-c', config],
  };
  return [
    { role: 'node -e (bare)', build: 'bare', entry: ['-e', BARE_SCRIPT], args: [] },
    ...Object.entries(roleArgs).map(([role, args]) => ({
      role,
      build: 'compiled' as const,
      entry: ENTRY.compiled,
      args,
    })),
    ...['prober', 'scheduler'].map((role) => ({
      role,
      build: 'tsx' as const,
      entry: ENTRY.tsx,
      args: roleArgs[role] ?? [],
    })),
  ];
}

/** The command line of an idle process as a person would type it (paths relative to the checkout, the config's name only). */
function commandLine(idle: IdleProcess, config: string): string {
  if (idle.build === 'bare') return `node -e "${BARE_SCRIPT}"`;
  const entry = idle.entry.map((arg) => (arg === TSX ? 'tsx' : arg.startsWith(ROOT) ? arg.slice(ROOT.length) : arg));
  return ['node', ...entry, ...idle.args.map((arg) => (arg === config ? 'vigil.yaml' : arg))].join(' ');
}

export async function startupBench(options: StartupBenchOptions = STARTUP_DEFAULTS): Promise<BenchReport> {
  const bench = await benchRedis();
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-startup-'));
  const config = join(dir, 'vigil.yaml');
  await writeFile(
    config,
    'vantages: [bench]\nchecks:\n  - id: idle\n    interval: 1m\n    allowPrivateTarget: true\n    http: { url: "http://127.0.0.1:9/" }\n',
  );
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VIGIL_')));
  const env = { ...inherited, REDIS_URL: bench.url, VIGIL_PREFIX: bench.prefix, LOG_LEVEL: 'warn', NO_COLOR: '1' };
  try {
    const commands = await timeCommands(options, env);
    const idle = await measureIdle(options, bench, dir, idleProcesses(config));
    return {
      name: 'startup',
      tables: [commandTable(commands, options), idleTable(idle, options, config)],
      data: { options, commands, idle },
    };
  } finally {
    await bench.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Every command `repeats` times, round-robin, so a noisy moment does not fall on one row only. */
async function timeCommands(options: StartupBenchOptions, env: NodeJS.ProcessEnv): Promise<Run[][]> {
  const runs: Run[][] = COMMANDS.map(() => []);
  for (let round = 0; round < options.repeats; round++) {
    progress(`commands: round ${round + 1} of ${options.repeats}`);
    for (const [i, command] of COMMANDS.entries()) runs[i]?.push(await timeOnce(command.argv, env));
  }
  return runs;
}

interface IdleFigures {
  process: IdleProcess;
  /** RSS `settleMs` after ready, one per start. */
  rss: number[];
  /** RSS `lateMs` after ready, of the first start; NaN when skipped. */
  lateRss: number;
}

/** Each start under a prefix of its own: a second scheduler would otherwise idle as a follower. */
async function measureIdle(
  options: StartupBenchOptions,
  bench: BenchRedis,
  cwd: string,
  processes: IdleProcess[],
): Promise<IdleFigures[]> {
  const figures: IdleFigures[] = [];
  const kept: { figure: IdleFigures; role: RoleProcess; readyAt: number }[] = [];
  const prefixes: string[] = [];
  try {
    for (const idleProcess of processes) {
      const { role, build, args, entry } = idleProcess;
      const figure: IdleFigures = { process: idleProcess, rss: [], lateRss: Number.NaN };
      figures.push(figure);
      for (let start = 0; start < options.repeats; start++) {
        progress(`idle ${role}, ${build}: start ${start + 1} of ${options.repeats}`);
        const prefix = `${bench.prefix}-${prefixes.length}`;
        prefixes.push(prefix);
        const env = { REDIS_URL: bench.url, VIGIL_PREFIX: prefix, LOG_LEVEL: 'warn' };
        const running = await startRole({ name: `${role} ${build}`, args, env, cwd, entry });
        const readyAt = Date.now();
        await sleep(options.settleMs);
        figure.rss.push((await sampleProc(running.pid)).rss);
        if (start === 0 && options.lateMs > 0) kept.push({ figure, role: running, readyAt });
        else await running.stop();
      }
    }
    if (kept.length > 0) progress(`idle roles: waiting until each has been ready ${options.lateMs / 1000} s`);
    for (const { figure, role, readyAt } of kept) {
      await sleep(Math.max(0, readyAt + options.lateMs - Date.now()));
      figure.lateRss = (await sampleProc(role.pid)).rss;
    }
  } finally {
    await Promise.all(kept.map(({ role }) => role.stop()));
    for (const prefix of prefixes) await deletePrefix(bench.redis, prefix);
  }
  return figures;
}

const ratio = (value: number, bare: number) => `${fmt(value / bare, 1)}×`;

function commandTable(runs: Run[][], options: StartupBenchOptions): Table {
  const medianOf = (i: number, key: keyof Run) => median((runs[i] ?? []).map((run) => run[key]));
  const [bareWall, bareCpu, bareRss] = [medianOf(0, 'wallMs'), medianOf(0, 'cpuMs'), medianOf(0, 'maxRssBytes')];
  return {
    title: `Start-up: wall time, CPU time and peak RSS, median of ${options.repeats} runs each, run round-robin`,
    columns: ['command', 'wall ms', '÷ bare', 'CPU ms', '÷ bare', 'peak RSS MB', '÷ bare', `bar < ${HELP_BAR_MS} ms`],
    rows: COMMANDS.map((command, i) => {
      const [wall, cpu, rss] = [medianOf(i, 'wallMs'), medianOf(i, 'cpuMs'), medianOf(i, 'maxRssBytes')];
      const bar = command.help ? (wall < HELP_BAR_MS ? 'met' : 'missed') : '';
      return [
        command.label,
        fmt(wall),
        ratio(wall, bareWall),
        fmt(cpu),
        ratio(cpu, bareCpu),
        fmt(rss / MB, 1),
        ratio(rss, bareRss),
        bar,
      ];
    }),
    notes: [
      'wall = spawn to exit as the bench sees it; CPU (user + system) and peak RSS (maxRSS) = the process’s own getrusage at exit',
      'compiled = node packages/cli/bin/vigil.js (packages/*/dist); tsx from source = node --import tsx --conditions=@vigil/source packages/cli/src/main.ts',
      'vigil status reads the local Redis under an empty bench prefix (no checks), without a token',
      'on a busy machine wall time follows the load (see bare node’s); CPU time much less so',
    ],
  };
}

function idleTable(idle: IdleFigures[], options: StartupBenchOptions, config: string): Table {
  const late = options.lateMs > 0;
  const [settleS, lateS] = [options.settleMs / 1000, options.lateMs / 1000];
  const bare = idle.find((figure) => figure.process.build === 'bare');
  const [bareRss, bareLate] = [median(bare?.rss ?? []), bare?.lateRss ?? Number.NaN];
  const verdict = (rss: number) => (rss / MB < IDLE_BAR_MB ? 'met' : 'missed');
  return {
    title: `Idle processes: RSS ${settleS} s${late ? ` and ${lateS} s` : ''} after /readyz answers (the ${settleS} s reading the median of ${options.repeats} starts), beside bare Node read the same way`,
    columns: [
      'role',
      'build',
      `RSS MB at ${settleS} s`,
      '÷ bare',
      ...(late ? [`RSS MB at ${lateS} s`, '÷ bare'] : []),
      `bar < ${IDLE_BAR_MB} MB`,
      'command',
    ],
    rows: idle.map((figure) => {
      const { build } = figure.process;
      const rss = median(figure.rss);
      const bar = build === 'bare' ? '' : `${verdict(rss)}${late ? `; at ${lateS} s ${verdict(figure.lateRss)}` : ''}`;
      return [
        figure.process.role,
        build,
        fmt(rss / MB, 1),
        ratio(rss, bareRss),
        ...(late ? [fmt(figure.lateRss / MB, 1), ratio(figure.lateRss, bareLate)] : []),
        bar,
        commandLine(figure.process, config),
      ];
    }),
    notes: [
      `produced by: pnpm bench ${process.argv.slice(2).join(' ')}`,
      'each process: REDIS_URL = the local Redis, VIGIL_PREFIX = a bench prefix of its own, LOG_LEVEL=warn, VIGIL_PORT = a free port, cwd = a temporary directory; RSS read from /proc/<pid>/status',
      'vigil.yaml: vantages [bench], one HTTP check at 1m; the prober has no jobs (no scheduler runs), the scheduler no prober, the notifier no results, the web role no requests',
      late
        ? `the ${lateS} s reading: the first start of each, left idle until ${lateS} s after ready (V8's memory reducer gives back what start-up grew)`
        : 'no later reading (--lateMs 0)',
    ],
  };
}
