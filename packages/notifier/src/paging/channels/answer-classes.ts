import { Writable } from 'node:stream';
import { createLogger } from '@vigil/core';
import { T0 } from '@vigil/core/testing';
import { expect, it } from 'vitest';
import { type ChannelContext, PermanentDeliveryError } from './channel.js';
import { RetryLaterError } from './http-delivery.js';
import type { HttpSink } from './test-servers.js';

/** How a provider fake answers each class, as the provider documents it. */
export interface AnswerClasses {
  /** The loopback fake the channel posts to (read when each case runs). */
  sink: () => HttpSink;
  /** Sends one page, with a short timeout for the hung case. */
  send: (timeoutMs?: number) => Promise<void>;
  /** The channel's name in its errors. */
  channel: string;
  ok: { status: number; body?: string; headers?: Record<string, string> };
  /** The provider's 429; Retry-After (or its body) says 7 s. */
  limited: { body?: string; headers?: Record<string, string> };
  /** A 4xx the provider documents for a request that will never succeed. */
  refused: { status: number; body?: string };
}

/** The cases every HTTP channel's test runs: 2xx, 429 with Retry-After, 4xx permanent, 5xx retried, a timeout. */
export function answerClassCases(classes: AnswerClasses): void {
  const failure = () =>
    classes.send().then(
      () => undefined,
      (err: unknown) => err,
    );

  it('delivers on the documented success status', async () => {
    classes.sink().respond = () => classes.ok;
    await expect(classes.send()).resolves.toBeUndefined();
  });

  it('keeps a 429 retryable, after the Retry-After the provider gave', async () => {
    classes.sink().respond = () => ({ status: 429, ...classes.limited });
    const error = await failure();
    expect(error).toBeInstanceOf(RetryLaterError);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect((error as RetryLaterError).retryAfterMs).toBe(7_000);
  });

  it('gives up on a 4xx the provider refuses for good', async () => {
    classes.sink().respond = () => classes.refused;
    const error = await failure();
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain(`${classes.channel} delivery to http://127.0.0.1:`);
    expect(String(error)).toContain(`HTTP ${classes.refused.status}`);
  });

  it.each([500, 502, 503])('keeps a %i retryable', async (status) => {
    classes.sink().respond = () => ({ status, body: 'upstream trouble' });
    const error = await failure();
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain(`HTTP ${status}`);
  });

  it('keeps a hung provider retryable, after the timeout', async () => {
    classes.sink().respond = () => 'hang';
    const error = await classes.send(150).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toContain('no response within 150ms');
  });
}

/** A channel context whose log lines land in `logged`, to check that no secret reaches them. */
export function recordingContext(logged: string[]): ChannelContext {
  return {
    log: createLogger({
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(chunk.toString());
          done();
        },
      }),
    }),
    clock: { now: () => T0 },
    secret: 'test-secret-0123456789',
    outboxDir: '/nonexistent',
    from: 'vigil@example.com',
  };
}

/**
 * Fails when chat text, read the way a markdown renderer reads it (a backslash-escaped character is
 * text), still holds a link (`[label](url)`, `<url|label>`), a `<@id>`/`<!here>` or an `@channel`-style mention.
 */
export function expectNoForgery(text: string): void {
  const live = text.replace(/\\./gs, '');
  expect(live).not.toMatch(/\[[^\]]*\]\(/);
  expect(live).not.toMatch(/<[^>]*[|@!]/);
  expect(text).not.toMatch(/@(channel|all|here|everyone)/);
}

/** Check names, titles and messages a tenant could write to ping everyone or forge a button. */
export const HOSTILE = {
  title: 'Deploy [Acknowledge](https://evil.example/ack) @channel <!here>',
  member: '@all [Status page](https://evil.example) *bold* <@123>',
  message: '@here `code` ~~gone~~ <https://evil.example|Incident>',
  component: 'API @everyone',
} as const;
