import { testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConsolePrincipal, SessionStore } from './session-store.js';

const PERSON: ConsolePrincipal = {
  id: 'oidc:di',
  owner: 'team-a',
  scope: 'read',
  name: 'Di',
  grants: [
    { owner: 'team-a', scope: 'read' },
    { owner: 'team-b', scope: 'write' },
  ],
};
const AS_B: ConsolePrincipal = { ...PERSON, owner: 'team-b', scope: 'write' };

describe('SessionStore: an owner switch against concurrent requests', () => {
  let now = Date.UTC(2026, 11, 1, 9, 0, 0);
  let ctx: Awaited<ReturnType<typeof testContext>>;
  let sessions: SessionStore;

  beforeEach(async () => {
    ctx = await testContext('sessions', { clock: { now: () => now } });
    sessions = new SessionStore(ctx);
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  it('switches a live session, keeping its CSRF token', async () => {
    const { id, session } = await sessions.createSession(PERSON);
    expect(await sessions.replacePrincipal(id, session, AS_B)).toBe(true);
    expect(await sessions.read(id)).toEqual({ ...session, principal: AS_B });
  });

  it('refuses a switch from a session read before a request renewed it, and writes nothing', async () => {
    const { id, session } = await sessions.createSession(PERSON);
    now += 120_000;
    const renewed = await sessions.read(id);
    expect(renewed?.lastSeenAt).toBe(now);
    expect(await sessions.replacePrincipal(id, session, AS_B)).toBe(false);
    expect((await sessions.read(id))?.principal).toEqual(PERSON);
  });

  it('lets a switch stand against the renewal of a request that read the session before it', async () => {
    const { id, session } = await sessions.createSession(PERSON);
    now += 120_000;
    // One connection, in this order: the request's GET, the switch, then the request's renewal.
    const [asRead, switched] = await Promise.all([sessions.read(id), sessions.replacePrincipal(id, session, AS_B)]);
    expect(asRead?.principal).toEqual(PERSON);
    expect(switched).toBe(true);
    expect((await sessions.read(id))?.principal).toEqual(AS_B);
  });

  it('switches no ended session', async () => {
    const { id, session } = await sessions.createSession(PERSON);
    await sessions.destroy(id, session);
    expect(await sessions.replacePrincipal(id, session, AS_B)).toBe(false);
    expect(await sessions.read(id)).toBeUndefined();
  });
});
