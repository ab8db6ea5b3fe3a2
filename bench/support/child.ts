/**
 * Runs a bench helper in a child process of its own, so a target or a prober gets its own event loop
 * as it would in production: a TypeScript helper through tsx (the @vigil packages it imports are the
 * compiled dist/), a `.js` one with plain node. The child stops when told, when its stdin closes
 * (the parent died), or after its own lifetime limit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Child {
  pid: number | undefined;
  /** The first line the child printed on stdout: its handshake (ports, "ready"). */
  first: string;
  /** Asks the child to stop (SIGTERM), kills it after `graceMs`, resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const TSX = fileURLToPath(import.meta.resolve('tsx'));

/** `BENCH_PROF=DIR`: every child writes a V8 CPU profile there when it exits (open it in Chrome DevTools). */
export const PROFILE = process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : [];

/** Starts `file` (relative to bench/support) with `args`; rejects if it prints nothing in `timeoutMs`. */
export async function startChild(file: string, args: string[] = [], timeoutMs = 30_000): Promise<Child> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const loader = script.endsWith('.ts') ? ['--import', TSX] : [];
  const child = spawn(process.execPath, [...PROFILE, ...loader, script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await firstLine(child, timeoutMs).catch(async (err: unknown) => {
    await stopChild(child, exited, 1_000);
    throw err;
  });
  return { pid: child.pid, first, stop: (graceMs = 10_000) => stopChild(child, exited, graceMs) };
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  if (!child.stdout) return Promise.reject(new Error('child has no stdout'));
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child printed nothing within ${timeoutMs}ms`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before it was ready`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
