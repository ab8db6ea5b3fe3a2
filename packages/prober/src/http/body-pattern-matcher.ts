import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type BodyPattern, compileBodyPattern } from '@vigil/core';
import type { ProbeContext } from '../probe-context.js';

/**
 * Bodies up to this many characters are matched on the event loop: RE2 is linear, and at this size
 * even its slowest path stays within a few milliseconds. Larger ones go to a worker thread that the
 * probe's deadline terminates, so no body (up to `maxBodyBytes`, 64 MiB) can stall the prober.
 */
export const INLINE_MATCH_CHARS = 256 * 1024;

/** Compiled patterns by source; probes of the same check share one. Cleared whole past the cap. */
const compiled = new Map<string, BodyPattern>();
const MAX_COMPILED = 10_000;

function patternFor(source: string): BodyPattern {
  let pattern = compiled.get(source);
  if (!pattern) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    pattern = compileBodyPattern(source);
    compiled.set(source, pattern);
  }
  return pattern;
}

/** Whether `body` contains a match of `source` (RE2 semantics), within the probe's deadline. */
export async function bodyMatches(ctx: ProbeContext, source: string, body: string): Promise<boolean> {
  if (body.length <= INLINE_MATCH_CHARS) return patternFor(source).matcher(body).find();
  return workerSlots.run(ctx, () => ctx.untilAborted(matchInWorker(ctx, source, body)));
}

/**
 * The worker is a script string (node:worker_threads `eval`), not a file, so it runs the same from
 * the TypeScript sources under test and from the compiled build; it loads re2js by absolute path.
 */
const WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { RE2JS } = require(workerData.re2js);
parentPort.once('message', ({ source, body }) => {
  parentPort.postMessage(RE2JS.compile(source).matcher(body).find());
});
`;
const RE2JS_PATH = createRequire(import.meta.url).resolve('re2js');

function matchInWorker(ctx: ProbeContext, source: string, body: string): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const worker = new Worker(WORKER_SCRIPT, { eval: true, workerData: { re2js: RE2JS_PATH } });
    const handle = ctx.track({ destroy: () => void worker.terminate() });
    worker.once('message', (matched: boolean) => {
      resolve(matched);
      ctx.release(handle);
    });
    worker.once('error', reject);
    worker.once('exit', () => reject(new Error('the body pattern worker stopped')));
    worker.postMessage({ source, body });
  });
}

/** At most one worker per core at a time: a burst of large bodies waits instead of multiplying threads. */
class Slots {
  private free = Math.max(1, availableParallelism());
  private readonly waiting: (() => void)[] = [];

  async run<T>(ctx: ProbeContext, work: () => Promise<T>): Promise<T> {
    const granted = this.acquire();
    try {
      await ctx.untilAborted(granted);
    } catch (err) {
      // The deadline came first: hand the slot on as soon as it is granted.
      void granted.then(() => this.releaseSlot());
      throw err;
    }
    try {
      return await work();
    } finally {
      this.releaseSlot();
    }
  }

  private acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}
const workerSlots = new Slots();
