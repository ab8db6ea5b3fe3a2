import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError, type VigilError } from '../errors/errors.js';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { T0, testRedis } from '../testing/index.js';
import { IncidentStore, MAX_POSTMORTEM_BYTES } from './incident-store.js';

const MIN = 60_000;

describe('incident postmortems', () => {
  let env: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let store: IncidentStore;

  beforeEach(async () => {
    env = await testRedis('postmortem');
    keys = redisKeys(env.prefix);
    store = new IncidentStore({ redis: env.redis, keys });
  });
  afterEach(async () => {
    await env.cleanup();
  });

  async function open(): Promise<string> {
    const { id } = await store.openOrJoin(
      {
        group: 'component:api',
        title: 'Public API: outage',
        impact: 'major',
        severity: 'major',
        startedAt: T0,
        openedMessage: 'API health is failing.',
        joinedMessage: '',
      },
      T0,
      10 * MIN,
    );
    return id;
  }

  async function resolved(): Promise<string> {
    const id = await open();
    await store.resolve(id, 'ana', T0 + 30 * MIN);
    return id;
  }

  const events = async () =>
    (await env.redis.xrange(keys.incidentEvents, '-', '+')).map(([, fields]) => fields.slice(0, 2).join('='));

  async function refusal(promise: Promise<unknown>): Promise<VigilError> {
    const err = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!isVigilError(err)) throw new Error(`expected a VigilError, got ${String(err)}`);
    return err;
  }

  it('publishes a postmortem on a resolved incident, revises it and keeps the first publication time', async () => {
    const id = await resolved();
    const first = await store.setPostmortem(
      id,
      { markdown: '# What happened\n\nA bad deploy.', by: 'ana' },
      T0 + 120 * MIN,
    );
    expect(first).toEqual({
      incidentId: id,
      markdown: '# What happened\n\nA bad deploy.',
      by: 'ana',
      publishedAt: T0 + 120 * MIN,
      updatedAt: T0 + 120 * MIN,
    });
    await store.setPostmortem(
      id,
      { markdown: '# What happened\n\nA bad deploy, rolled back.', by: 'bo' },
      T0 + 180 * MIN,
    );
    expect(await store.getPostmortem(id)).toEqual({
      incidentId: id,
      markdown: '# What happened\n\nA bad deploy, rolled back.',
      by: 'bo',
      publishedAt: T0 + 120 * MIN,
      updatedAt: T0 + 180 * MIN,
    });
    // Subscribers (the status page) learn of each revision from the incident stream.
    expect(await events()).toEqual(['type=opened', 'type=resolved', 'type=postmortem', 'type=postmortem']);
  });

  it('refuses an incident still open with a conflict naming its status, and writes nothing', async () => {
    const id = await open();
    const err = await refusal(store.setPostmortem(id, { markdown: 'Too early.', by: 'ana' }, T0));
    expect(err.code).toBe('CONFLICT');
    expect(err.issues).toEqual([
      { path: 'status', message: 'expected a resolved incident', received: '"investigating"' },
    ]);
    expect(await store.getPostmortem(id)).toBeUndefined();
    expect(await events()).toEqual(['type=opened']);
  });

  it('refuses an incident that does not exist, blank Markdown and Markdown over 100 KB', async () => {
    expect((await refusal(store.setPostmortem('404', { markdown: 'x', by: 'ana' }, T0))).code).toBe('NOT_FOUND');
    const id = await resolved();
    const blank = await refusal(store.setPostmortem(id, { markdown: ' \n ', by: 'ana' }, T0));
    expect(blank).toMatchObject({ code: 'VALIDATION', issues: [{ path: 'markdown', message: 'expected some text' }] });
    // Bytes, not characters: 50,001 two-byte characters are over the limit.
    const long = await refusal(
      store.setPostmortem(id, { markdown: 'é'.repeat(MAX_POSTMORTEM_BYTES / 2 + 1), by: 'ana' }, T0),
    );
    expect(long).toMatchObject({ code: 'VALIDATION', issues: [{ path: 'markdown' }] });
    expect(long.message).toContain('at most 100000 bytes');
    await store.setPostmortem(id, { markdown: 'x'.repeat(MAX_POSTMORTEM_BYTES), by: 'ana' }, T0);
    expect((await store.getPostmortem(id))?.markdown).toHaveLength(MAX_POSTMORTEM_BYTES);
  });

  it('deletes a postmortem once, with an event, and says when there was none', async () => {
    const id = await resolved();
    await store.setPostmortem(id, { markdown: 'Written.', by: 'ana' }, T0 + 60 * MIN);
    expect(await store.deletePostmortem(id, 'ana', T0 + 61 * MIN)).toBe(true);
    expect(await store.getPostmortem(id)).toBeUndefined();
    expect(await store.deletePostmortem(id, 'ana', T0 + 62 * MIN)).toBe(false);
    expect(await events()).toEqual(['type=opened', 'type=resolved', 'type=postmortem', 'type=postmortem']);
    expect((await refusal(store.deletePostmortem('404', 'ana', T0))).code).toBe('NOT_FOUND');
  });
});
