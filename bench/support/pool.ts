/** Runs one task `count` times with `concurrency` in flight: the raw baselines' load generator. */
import { performance } from 'node:perf_hooks';

/** What one attempt came to: true, or the error code it failed with. */
export type Attempt = true | string;

export interface LoadRun {
  done: number;
  ok: number;
  /** Failures by error code. */
  failed: Record<string, number>;
  /** Milliseconds of each attempt. */
  latencies: number[];
  elapsedMs: number;
}

export interface PoolOptions {
  count: number;
  concurrency: number;
  /** No attempt starts after this many milliseconds; each attempt bounds its own duration. */
  maxMs: number;
  task: () => Promise<Attempt>;
}

export async function runPool({ count, concurrency, maxMs, task }: PoolOptions): Promise<LoadRun> {
  const run: LoadRun = { done: 0, ok: 0, failed: {}, latencies: [], elapsedMs: 0 };
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count && performance.now() - started < maxMs) {
      next++;
      const t = performance.now();
      const attempt = await task();
      run.latencies.push(performance.now() - t);
      run.done++;
      if (attempt === true) run.ok++;
      else run.failed[attempt] = (run.failed[attempt] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  run.elapsedMs = performance.now() - started;
  return run;
}

/** Probes per second of a run. */
export function rateOf(run: Pick<LoadRun, 'done' | 'elapsedMs'>): number {
  return run.elapsedMs > 0 ? (run.done * 1000) / run.elapsedMs : 0;
}

/** The stable code of an error (`ECONNRESET`, `UND_ERR_SOCKET`), for counting failures by kind. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}
