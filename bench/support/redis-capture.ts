/**
 * Redis's work at a rate the bench machine cannot drive: a loopback proxy between the fleet's roles
 * and their Redis records, for a while, the commands each connection sends (as sent, grouped as they
 * arrived); a snapshot of Redis is taken as the recording starts; then a fresh redis-server loads the
 * snapshot and every recorded connection's commands are replayed against it at once, back to back
 * (each group sent when the replies of the one before are in, as the role waited for them), and
 * that server's CPU is read. The fleet's own work, compressed in time: what Redis costs a probe when
 * it is busy, not woken from idle for each request as a lightly loaded server is.
 *
 * By hand (no library does this): RESP is only scanned here (command boundaries, a command's name,
 * the count of replies), never turned into values, so the proxy costs the roles little and the
 * replay client keeps ahead of Redis.
 */

import { createHash } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/** Commands that block a connection: not replayed (a replay must not wait on them). */
const BLOCKING = new Set([
  'BLPOP',
  'BRPOP',
  'BRPOPLPUSH',
  'BLMOVE',
  'BLMPOP',
  'BZPOPMIN',
  'BZPOPMAX',
  'BZMPOP',
  'WAIT',
  'WAITAOF',
]);
/** A connection that sent one of these is a subscriber or a monitor: its replies never end, it is not replayed. */
const ENDLESS = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'MONITOR']);

/** One command as sent: its bytes, and its name upper-cased. */
interface Command {
  bytes: Buffer;
  name: string;
}

/** What one connection sent while recording: groups of commands, each as one write arrived. */
export interface RecordedConnection {
  groups: Buffer[][];
  /** When each group arrived, ms from the recording's start. */
  at: number[];
  commands: number;
  /** Commands left out: blocking ones, and (for a subscriber) all. */
  dropped: number;
  endless: boolean;
}

export interface Recording {
  connections: RecordedConnection[];
  /** Every script body a role loaded (SCRIPT LOAD or EVAL), by SHA1: what the replay server loads first (bytes as sent). */
  scripts: Map<string, Buffer>;
  /** EVALSHA calls recorded, by SHA1, with the keys they were given (a script's results are its keys). */
  evalsha: Map<string, { calls: number; keys: number }>;
  bytes: number;
}

/**
 * The next whole command at `at` in `buf`: its end and its arguments' spans; when the buffer ends
 * inside it, the bytes from `at` it needs (so a large command arriving in many writes is scanned once). Throws on what is not a RESP array of bulk strings (what every client of
 * the fleet sends).
 */
function scanCommand(buf: Buffer, at: number): { end: number; args: [number, number][] } | { need: number } {
  // Incomplete: how many bytes from `at` it needs at least (one more than there are, when unknown).
  const more = { need: buf.length - at + 1 };
  if (at >= buf.length) return more;
  if (buf[at] !== 0x2a)
    throw new Error(`expected a RESP array at byte ${at}, got ${JSON.stringify(String.fromCharCode(buf[at] ?? 0))}`);
  let eol = buf.indexOf(10, at);
  if (eol < 0) return more;
  const n = Number(buf.toString('latin1', at + 1, eol - 1));
  let i = eol + 1;
  const args: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    if (i >= buf.length) return more;
    eol = buf.indexOf(10, i);
    if (eol < 0) return more;
    const len = Number(buf.toString('latin1', i + 1, eol - 1));
    const from = eol + 1;
    if (from + len + 2 > buf.length) return { need: from + len + 2 - at };
    args.push([from, from + len]);
    i = from + len + 2;
  }
  return { end: i, args };
}

function arg(buf: Buffer, span: [number, number] | undefined): string {
  return span ? buf.toString('latin1', span[0], span[1]) : '';
}

/** An argument's bytes, copied (a script's body: hashed and loaded as sent, not re-encoded). */
function bytesOf(buf: Buffer, span: [number, number] | undefined): Buffer {
  return span ? Buffer.from(buf.subarray(span[0], span[1])) : Buffer.alloc(0);
}

/** A command as RESP, from its arguments. */
function encode(args: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** XREAD / XREADGROUP without BLOCK <ms>: answered at once, as it is when entries wait. */
function withoutBlock(buf: Buffer, args: [number, number][]): Buffer {
  const kept: Buffer[] = [];
  for (let k = 0; k < args.length; k++) {
    const span = args[k] as [number, number];
    if (arg(buf, span).toUpperCase() === 'BLOCK') {
      k++;
      continue;
    }
    kept.push(buf.subarray(span[0], span[1]));
  }
  return encode(kept);
}

/** Per connection: the commands as they arrive, scanned whole (a write may end inside one). */
class ConnectionTap {
  /** Writes not yet scanned whole, their bytes, and the bytes the command they end inside needs. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private needBytes = 0;
  endless = false;
  recorded: RecordedConnection | undefined;

  constructor(private readonly owner: CaptureProxy) {}

  data(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.needBytes) return;
    let buf = this.pending.length > 1 ? Buffer.concat(this.pending) : chunk;
    let at = 0;
    const group: Command[] = [];
    for (;;) {
      const scanned = scanCommand(buf, at);
      if ('need' in scanned) {
        this.needBytes = scanned.need;
        break;
      }
      const { end, args } = scanned;
      const name = arg(buf, args[0]).toUpperCase();
      if (ENDLESS.has(name)) this.endless = true;
      if (name === 'EVAL') this.owner.script(bytesOf(buf, args[1]));
      else if (name === 'SCRIPT' && arg(buf, args[1]).toUpperCase() === 'LOAD')
        this.owner.script(bytesOf(buf, args[2]));
      if (this.recorded) {
        if (name === 'EVALSHA') this.owner.evalsha(arg(buf, args[1]).toLowerCase(), Number(arg(buf, args[2])));
        const bytes =
          name === 'XREADGROUP' || name === 'XREAD' ? withoutBlock(buf, args) : Buffer.from(buf.subarray(at, end));
        group.push({ bytes, name });
      }
      at = end;
    }
    buf = buf.subarray(at);
    this.pending = buf.length > 0 ? [Buffer.from(buf)] : [];
    this.pendingBytes = buf.length;
    const recorded = this.recorded;
    if (recorded && group.length > 0) {
      const kept = group.filter((command) => !BLOCKING.has(command.name));
      recorded.commands += kept.length;
      recorded.dropped += group.length - kept.length;
      if (kept.length > 0) {
        recorded.groups.push(kept.map((command) => command.bytes));
        recorded.at.push(performance.now() - this.owner.startedAt);
      }
      this.owner.bytes += kept.reduce((sum, command) => sum + command.bytes.length, 0);
    }
  }
}

/** A proxy on a loopback port in front of `target` (host:port); records between `start` and `stop`. */
export class CaptureProxy {
  private server: Server | undefined;
  private readonly taps = new Set<ConnectionTap>();
  private readonly sockets = new Set<Socket>();
  private readonly scripts = new Map<string, Buffer>();
  private readonly calls = new Map<string, { calls: number; keys: number }>();
  bytes = 0;
  recording = false;
  startedAt = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens on 127.0.0.1; the port clients connect to. */
  async listen(): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      const tap = new ConnectionTap(this);
      if (this.recording) tap.recorded = { groups: [], at: [], commands: 0, dropped: 0, endless: false };
      this.taps.add(tap);
      this.sockets.add(client).add(upstream);
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      client.on('data', (chunk: Buffer) => {
        upstream.write(chunk);
        try {
          tap.data(chunk);
        } catch {
          // Not RESP as expected: forwarded all the same, no longer recorded.
          tap.recorded = undefined;
          this.taps.delete(tap);
        }
      });
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  script(body: Buffer): void {
    this.scripts.set(createHash('sha1').update(body).digest('hex'), body);
  }

  evalsha(sha: string, keys: number): void {
    const seen = this.calls.get(sha) ?? { calls: 0, keys: 0 };
    seen.calls++;
    seen.keys += Number.isFinite(keys) ? keys : 0;
    this.calls.set(sha, seen);
  }

  /** From now, every connection's whole commands are recorded (a connection mid-command from its next). */
  start(): void {
    this.recording = true;
    this.startedAt = performance.now();
    this.bytes = 0;
    this.calls.clear();
    for (const tap of this.taps) tap.recorded = { groups: [], at: [], commands: 0, dropped: 0, endless: false };
  }

  stop(): Recording {
    this.recording = false;
    const connections: RecordedConnection[] = [];
    for (const tap of this.taps) {
      const recorded = tap.recorded;
      tap.recorded = undefined;
      if (!recorded) continue;
      recorded.endless = tap.endless;
      if (tap.endless) {
        recorded.dropped += recorded.commands;
        recorded.commands = 0;
        recorded.groups = [];
        recorded.at = [];
      }
      if (recorded.commands + recorded.dropped > 0) connections.push(recorded);
    }
    return { connections, scripts: new Map(this.scripts), evalsha: new Map(this.calls), bytes: this.bytes };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Counts whole RESP replies as bytes arrive (a reply may span writes; arrays nest). */
export class ReplyCounter {
  replies = 0;
  /** Error replies (at any depth), and the first few of their texts. */
  errors = 0;
  readonly errorTexts: string[] = [];
  private skip = 0;
  private readonly open: number[] = [];
  private partial: Buffer | undefined;

  feed(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, buf.length - i);
        this.skip -= take;
        i += take;
        if (this.skip === 0) this.done();
        continue;
      }
      const eol = buf.indexOf(10, i);
      if (eol < 0) {
        this.partial = this.partial ? Buffer.concat([this.partial, buf.subarray(i)]) : Buffer.from(buf.subarray(i));
        return;
      }
      let line: Buffer = buf.subarray(i, eol);
      if (this.partial) {
        line = Buffer.concat([this.partial, line]);
        this.partial = undefined;
      }
      i = eol + 1;
      const type = line[0];
      if (type === 0x24 /* $ */) {
        const n = Number(line.toString('latin1', 1, line.length - 1));
        if (n < 0) this.done();
        else this.skip = n + 2;
      } else if (type === 0x2a /* * */) {
        const n = Number(line.toString('latin1', 1, line.length - 1));
        if (n <= 0) this.done();
        else this.open.push(n);
      } else {
        if (type === 0x2d /* - */) {
          this.errors++;
          if (this.errorTexts.length < 5) this.errorTexts.push(line.toString('latin1', 1, line.length - 1));
        }
        this.done();
      }
    }
  }

  /** An element ended: its array's count goes down, an array ended is an element of its parent. */
  private done(): void {
    for (;;) {
      const last = this.open.length - 1;
      if (last < 0) {
        this.replies++;
        return;
      }
      const left = (this.open[last] as number) - 1;
      if (left > 0) {
        this.open[last] = left;
        return;
      }
      this.open.pop();
    }
  }
}

export interface Replayed {
  wallMs: number;
  commands: number;
  errors: number;
  /** The first error replies' texts, a few a connection at most. */
  errorTexts: string[];
}

/**
 * Every recorded connection replayed at once on a connection of its own to `port`: each group written
 * when the replies of the one before are in, and `paced`, not before it was sent when recorded (from
 * the replay's start). Resolves when all are done.
 */
export async function replay(
  port: number,
  connections: readonly RecordedConnection[],
  paced = false,
): Promise<Replayed> {
  const started = performance.now();
  const counters: ReplyCounter[] = [];
  await Promise.all(
    connections
      .filter((c) => c.groups.length > 0)
      .map(
        (recorded) =>
          new Promise<void>((resolve, reject) => {
            const socket = connect(port, '127.0.0.1');
            socket.setNoDelay(true);
            const counter = new ReplyCounter();
            counters.push(counter);
            let next = 0;
            let awaited = 0;
            let waiting = false;
            const send = () => {
              while (counter.replies >= awaited) {
                const group = recorded.groups[next];
                if (!group) {
                  socket.end();
                  resolve();
                  return;
                }
                const due = started + (recorded.at[next] ?? 0) - performance.now();
                if (paced && due > 1) {
                  if (!waiting) {
                    waiting = true;
                    setTimeout(() => {
                      waiting = false;
                      send();
                    }, due);
                  }
                  return;
                }
                next++;
                awaited += group.length;
                socket.write(group.length === 1 ? (group[0] as Buffer) : Buffer.concat(group));
              }
            };
            socket.on('connect', send);
            socket.on('data', (chunk: Buffer) => {
              counter.feed(chunk);
              send();
            });
            socket.on('error', reject);
          }),
      ),
  );
  return {
    wallMs: performance.now() - started,
    commands: counters.reduce((sum, c) => sum + c.replies, 0),
    errors: counters.reduce((sum, c) => sum + c.errors, 0),
    errorTexts: counters.flatMap((c) => c.errorTexts).slice(0, 10),
  };
}
