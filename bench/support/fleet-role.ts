/**
 * One Vigil role as a deployment runs it: `vigil <role>` (the compiled CLI, plain node) in a process of
 * its own, configured by environment and a config file only. Ready once its `/readyz` on VIGIL_PORT
 * answers; stopped with SIGTERM, as a container runtime stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '@vigil/core/testing';
import { PROFILE } from './child.js';

export interface RoleProcess {
  name: string;
  pid: number;
  port: number;
  /** SIGTERM, SIGKILL after `graceMs`; resolves when the process has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

export interface RoleSpec {
  /** A label for tables (`prober alpha`). */
  name: string;
  /** The CLI's arguments: `['prober', '--vantage', 'alpha', '-c', file]`. */
  args: string[];
  /** Vigil's variables (REDIS_URL, VIGIL_PREFIX, …); VIGIL_PORT is added. */
  env: Record<string, string>;
  /** The working directory (the notifier's outbox lands under it). */
  cwd: string;
  /** Node's arguments that start vigil, before `args`: the compiled bin unless given. */
  entry?: readonly string[];
  readyTimeoutMs?: number;
}

/** The bin that ships, running packages/cli/dist (`pnpm bench` builds first). */
export const VIGIL_BIN = fileURLToPath(new URL('../../packages/cli/bin/vigil.js', import.meta.url));

/** Every role still running, killed if the bench itself exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startRole(spec: RoleSpec): Promise<RoleProcess> {
  const port = await freePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VIGIL_')));
  const child = spawn(process.execPath, [...PROFILE, ...(spec.entry ?? [VIGIL_BIN]), ...spec.args], {
    cwd: spec.cwd,
    env: { ...inherited, ...spec.env, VIGIL_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 15_000) => {
    stopping ??= stopProcess(child, exited, graceMs);
    return stopping;
  };
  if (child.pid === undefined) throw new Error(`${spec.name}: the process did not start`);
  try {
    await waitReady(child, port, spec.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop(1_000);
    throw new Error(`${spec.name}: ${(err as Error).message}`);
  }
  return { name: spec.name, pid: child.pid, port, stop };
}

async function waitReady(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited with ${child.exitCode ?? child.signalCode} before it was ready`);
    }
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return;
    await sleep(200);
  }
  throw new Error(`/readyz did not answer 200 within ${timeoutMs} ms`);
}

async function stopProcess(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** The `vigil_probes_total` a role's `/metrics` reports, summed over its labels. */
export async function probesTotal(port: number): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.text());
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('vigil_probes_total')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
