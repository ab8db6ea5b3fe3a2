import { systemClock } from '@vigil/core';
import { describe, expect, it } from 'vitest';
import { systemResolver } from './net/resolve.js';
import { ProbeContext } from './probe-context.js';
import { openGuard } from './test-servers.js';

/** A context the caller cancels through `cancel`; its own deadline is far off. */
function cancellable(): { ctx: ProbeContext; cancel: (reason: Error) => void } {
  const caller = new AbortController();
  const ctx = new ProbeContext({
    timeoutMs: 60_000,
    guard: openGuard,
    resolve: systemResolver,
    clock: systemClock,
    signal: caller.signal,
  });
  return { ctx, cancel: (reason) => caller.abort(reason) };
}

describe('a probe context', () => {
  it('on cancel rejects what waits, destroys what it tracks, and hands out a signal already aborted', async () => {
    const { ctx, cancel } = cancellable();
    const destroyed: string[] = [];
    ctx.track({ destroy: () => destroyed.push('socket') });
    const waiting = ctx.untilAborted(new Promise(() => {}));
    const reason = new Error('shutting down');
    cancel(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(destroyed).toEqual(['socket']);
    expect(ctx.aborted).toBe(true);
    expect(ctx.timedOut).toBe(false);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(reason);
    ctx.track({ destroy: () => destroyed.push('late client') });
    expect(destroyed).toEqual(['socket', 'late client']);
    await expect(ctx.untilAborted(Promise.resolve('too late'))).rejects.toBe(reason);
    ctx.close();
  });

  it('settles with the work when it finishes first, and a signal made before the cancel aborts with it', async () => {
    const { ctx, cancel } = cancellable();
    await expect(ctx.untilAborted(Promise.resolve('answered'))).resolves.toBe('answered');
    await expect(ctx.untilAborted(Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    const { signal } = ctx;
    expect(signal.aborted).toBe(false);
    const reason = new Error('shutting down');
    cancel(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    ctx.close();
  });
});
