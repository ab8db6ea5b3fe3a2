import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '@vigil/core';
import { T0 } from '@vigil/core/testing';
import { type ChannelContext, PermanentDeliveryError, RetryLaterError } from './channel.js';
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

/** One case of `answerClassCases`: a test's name and its body, which throws when the channel misbehaves. */
export interface AnswerCase {
  name: string;
  run(): Promise<void>;
}

/**
 * The cases every HTTP channel's test runs (`for (const c of answerClassCases(…)) it(c.name, c.run)`):
 * 2xx, 429 with Retry-After, 4xx permanent, 5xx retried, a timeout. Asserted with node:assert, so this
 * file beside the code needs no test runner.
 */
export function answerClassCases(classes: AnswerClasses): AnswerCase[] {
  const failure = (timeoutMs?: number) =>
    classes.send(timeoutMs).then(
      () => undefined,
      (err: unknown) => err,
    );
  const retryable = (status: number): AnswerCase => ({
    name: `keeps a ${status} retryable`,
    async run() {
      classes.sink().respond = () => ({ status, body: 'upstream trouble' });
      const error = await failure();
      assert.ok(error instanceof Error && !(error instanceof PermanentDeliveryError), String(error));
      assert.match(String(error), new RegExp(`HTTP ${status}`));
    },
  });
  return [
    {
      name: 'delivers on the documented success status',
      async run() {
        classes.sink().respond = () => classes.ok;
        assert.equal(await failure(), undefined);
      },
    },
    {
      name: 'keeps a 429 retryable, after the Retry-After the provider gave',
      async run() {
        classes.sink().respond = () => ({ status: 429, ...classes.limited });
        const error = await failure();
        assert.ok(error instanceof RetryLaterError, String(error));
        assert.ok(!(error instanceof PermanentDeliveryError));
        assert.equal(error.retryAfterMs, 7_000);
      },
    },
    {
      name: 'gives up on a 4xx the provider refuses for good',
      async run() {
        classes.sink().respond = () => classes.refused;
        const error = await failure();
        assert.ok(error instanceof PermanentDeliveryError, String(error));
        assert.match(
          String(error),
          new RegExp(
            `${classes.channel} delivery to http://127\\.0\\.0\\.1:\\d+ failed: HTTP ${classes.refused.status}`,
          ),
        );
      },
    },
    retryable(500),
    retryable(502),
    retryable(503),
    {
      name: 'keeps a hung provider retryable, after the timeout',
      async run() {
        classes.sink().respond = () => 'hang';
        const error = await failure(150);
        assert.ok(error instanceof Error && !(error instanceof PermanentDeliveryError), String(error));
        assert.match(String(error), /no response within 150ms/);
      },
    },
  ];
}

/**
 * A channel context whose log lines land in `logged`, to check that no secret reaches them; `secret`
 * is the one the channel signs links and buttons with.
 */
export function recordingContext(logged: string[], secret = 'test-secret-0123456789'): ChannelContext {
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
    secret,
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
  assert.doesNotMatch(live, /\[[^\]]*\]\(/);
  assert.doesNotMatch(live, /<[^>]*[|@!]/);
  assert.doesNotMatch(text, /@(channel|all|here|everyone)/);
}

/** Check names, titles and messages a tenant could write to ping everyone or forge a button. */
export const HOSTILE = {
  title: 'Deploy [Acknowledge](https://evil.example/ack) @channel <!here>',
  member: '@all [Status page](https://evil.example) *bold* <@123>',
  message: '@here `code` ~~gone~~ <https://evil.example|Incident>',
  component: 'API @everyone',
} as const;
