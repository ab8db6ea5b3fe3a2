import { spawn } from 'node:child_process';
import { isIP } from 'node:net';
import type { IcmpReplies } from '@vigil/core';
import type { ProbeContext } from '../probe-context.js';
import { ProbeFailure } from '../probe-errors.js';

/** One host's echo requests, as fping takes them; `address` is an IP the target guard already vetted. */
export interface PingRequest {
  address: string;
  count: number;
  /** Between two requests to the host (fping `-p`). */
  periodMs: number;
  /** How long each request waits for its reply (fping `-t`). */
  replyTimeoutMs: number;
  /** The vantage's source address (fping `-S`). */
  sourceAddress?: string | undefined;
}

export interface FpingOptions {
  /**
   * The command and its leading arguments, `['fping']` by default (found through PATH). A deployment
   * that pings from elsewhere wraps it: `['ip', 'netns', 'exec', 'probes', 'fping']`.
   */
  command?: readonly string[];
  /** The child's environment; the process's own by default. Tests give one without fping on its PATH. */
  env?: NodeJS.ProcessEnv;
}

/** Whether this process can ping, and if not what is missing and how to fix it. */
export type PingAvailability = { available: true } | { available: false; reason: string; fix: string };

/** fping's exit status when a system call failed: no ICMP socket (not permitted), a source address it cannot bind. */
const EXIT_SYSTEM_ERROR = 4;
/** fping's exit status for arguments it refuses: a prober bug, never the target's doing. */
const EXIT_BAD_ARGUMENTS = 3;
/** fping writes a line per host (a batch's hosts: a line each); more than this is not fping talking. */
export const MAX_STDERR_BYTES = 16 * 1024;

/** `127.0.0.1 : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.020/0.029/0.040` (fping -q -c), the RTTs absent at 100 % loss. */
const SUMMARY =
  /^(\S+)\s+: xmt\/rcv\/%loss = (\d+)\/(\d+)\/(\d+(?:\.\d+)?)%(?:, min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+))?/m;

const INSTALL_FIX =
  'install fping (Debian/Ubuntu: apt-get install fping; Alpine: apk add fping) so that it is on the PATH of the prober';
const PERMISSION_FIX =
  'let fping open ICMP sockets: setcap cap_net_raw+ep "$(command -v fping)", or allow unprivileged ICMP with sysctl net.ipv4.ping_group_range="0 2147483647" (a container also needs the NET_RAW capability)';

/** The summary line fping printed for `address`, as replies; undefined when it printed none. */
export function parseFpingSummary(output: string, address: string): IcmpReplies | undefined {
  for (const line of output.split('\n')) {
    const match = SUMMARY.exec(line);
    if (!match || match[1] !== address) continue;
    const [, , sent, received, loss, min, avg, max] = match;
    return {
      sent: Number(sent),
      received: Number(received),
      lossPercent: Number(loss),
      ...(min !== undefined && avg !== undefined && max !== undefined
        ? { rttMs: { min: Number(min), avg: Number(avg), max: Number(max) } }
        : {}),
    };
  }
  return undefined;
}

/** How one fping run paces its requests: every host of the run alike. */
export type PingPacing = Omit<PingRequest, 'address'>;

/**
 * fping's arguments for pinging `addresses` (each host its own summary line): every value a number or a
 * vetted IP literal, so nothing reads as an option. `-i1`: a millisecond between hosts, so a batch of
 * hosts goes out within its period.
 */
export function fpingArguments(pacing: PingPacing, addresses: readonly string[]): string[] {
  for (const address of [...addresses, pacing.sourceAddress]) {
    if (address !== undefined && isIP(address) === 0) throw new Error(`not an IP address: ${address}`);
  }
  if (addresses.length === 0) throw new Error('fping needs at least one address');
  const integers = [pacing.count, pacing.periodMs, pacing.replyTimeoutMs];
  if (!integers.every((value) => Number.isInteger(value) && value > 0)) {
    throw new Error(`fping needs positive integers, not ${integers.join(', ')}`);
  }
  return [
    '-q',
    '-i1',
    `-c${pacing.count}`,
    `-p${pacing.periodMs}`,
    `-t${pacing.replyTimeoutMs}`,
    ...(pacing.sourceAddress === undefined ? [] : [`-S${pacing.sourceAddress}`]),
    ...addresses,
  ];
}

/** This prober cannot ping: fping is missing or may not open an ICMP socket; `fix` says what to do. */
export class PingUnavailable extends ProbeFailure {
  readonly fix: string;

  constructor(message: string, fix: string) {
    super('icmp_unavailable', message);
    this.name = 'PingUnavailable';
    this.fix = fix;
  }
}

/** How fping ended: its exit status and what it wrote on stderr (the summaries, or why it could not ping). */
export interface FpingExit {
  code: number | null;
  stderr: string;
}

/** A running fping: how it ends (rejecting with `icmp_unavailable` when it could not start), and how to stop it. */
export interface FpingRun {
  exit: Promise<FpingExit>;
  kill(): void;
}

/**
 * Runs Debian's fping (one maintained program that pings, holding the raw-socket privilege so Node need
 * not), spawned without a shell, with arguments that are numbers and vetted IP literals only.
 * `FpingBatcher` puts the probes of one turn of the event loop into one run.
 */
export class Fping {
  private readonly command: readonly [string, ...string[]];
  private readonly env: NodeJS.ProcessEnv | undefined;

  constructor(options: FpingOptions = {}) {
    const [program = 'fping', ...leading] = options.command ?? [];
    this.command = [program, ...leading];
    this.env = options.env;
  }

  /** The program as people read it in a log line: `fping`, or the wrapper's whole command. */
  get name(): string {
    return this.command.join(' ');
  }

  /**
   * Pings one vetted address; the child is tracked by the probe, so the deadline kills it. Rejects with
   * `icmp_unavailable` when fping is missing or may not ping, never with a made-up result.
   */
  async ping(request: PingRequest, ctx: ProbeContext): Promise<IcmpReplies> {
    const { address, ...pacing } = request;
    const run = this.start(fpingArguments(pacing, [address]));
    const handle = ctx.track({ destroy: () => run.kill() });
    try {
      return this.repliesOf(await run.exit, address);
    } finally {
      ctx.release(handle);
    }
  }

  /** The replies `address` got in a run that ended with `exit`; throws the run's failure when it printed none. */
  repliesOf(exit: FpingExit, address: string): IcmpReplies {
    const replies = parseFpingSummary(exit.stderr, address);
    if (replies) return replies;
    throw this.failure(exit);
  }

  /** Spawns fping with `args`; its owner kills it (a probe's deadline, or a batch's last member leaving). */
  start(args: string[], maxStderr = MAX_STDERR_BYTES): FpingRun {
    const [program, ...leading] = this.command;
    const child = spawn(program, [...leading, ...args], {
      shell: false,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(this.env && { env: this.env }),
    });
    const exit = new Promise<FpingExit>((resolve, reject) => {
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < maxStderr) stderr += chunk;
      });
      child.once('error', (error: NodeJS.ErrnoException) => reject(this.spawnFailure(error)));
      child.once('close', (code) => resolve({ code, stderr }));
    });
    return { exit, kill: () => child.kill('SIGKILL') };
  }

  /** One echo request to loopback: tells a prober at start whether it can ping at all. */
  async availability(ctx: ProbeContext): Promise<PingAvailability> {
    try {
      await this.ping({ address: '127.0.0.1', count: 1, periodMs: 100, replyTimeoutMs: 500 }, ctx);
      return { available: true };
    } catch (error) {
      // Anything but a missing or powerless fping (loopback silent, say) still means it can ping.
      if (!(error instanceof PingUnavailable)) return { available: true };
      return { available: false, reason: error.message, fix: error.fix };
    }
  }

  private failure(exit: FpingExit): ProbeFailure {
    const said = firstLine(exit.stderr);
    if (exit.code === EXIT_SYSTEM_ERROR) {
      return new PingUnavailable(`${this.name} could not ping (exit ${exit.code}: ${said})`, PERMISSION_FIX);
    }
    const kind = exit.code === EXIT_BAD_ARGUMENTS ? 'refused its arguments' : 'printed no summary';
    return new ProbeFailure('internal', `${this.name} ${kind} (exit ${exit.code ?? 'by signal'}: ${said})`);
  }

  /** `ENOENT`: not on the PATH; `EACCES`: not executable by this user. Classified by the code alone. */
  private spawnFailure(error: NodeJS.ErrnoException): ProbeFailure {
    const code = error.code ?? 'spawn failed';
    if (error.code === 'ENOENT') {
      return new PingUnavailable(`${this.name} is not installed (not found on the PATH, ${code})`, INSTALL_FIX);
    }
    return new PingUnavailable(`${this.name} cannot be run by this user (${code})`, INSTALL_FIX);
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 200) || 'nothing on stderr';
}
