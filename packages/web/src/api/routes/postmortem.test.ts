import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OwnedFixtures, seedOwned, testWebApp } from '../../testing.js';

const MARKDOWN = '# What happened\n\nA bad deploy took [the API](https://api.example.com/) down.\n\n<script>x</script>';

describe('postmortems API', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let seeded: OwnedFixtures;
  let writer: { authorization: string };
  const url = () => `/api/v1/incidents/${seeded.incidentId}/postmortem`;
  const put = (payload: object, auth = writer) => t.app.inject({ method: 'PUT', url: url(), headers: auth, payload });
  const get = (auth = writer) => t.app.inject({ url: url(), headers: auth });
  const paths = (body: { error: { issues: { path: string }[] } }) => body.error.issues.map((issue) => issue.path);

  beforeEach(async () => {
    t = await testWebApp();
    seeded = await seedOwned(t.ctx, 'team-a');
    writer = (await t.token({ owner: 'team-a', scope: 'write' })).auth;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const resolve = () => t.ctx.incidents.resolve(seeded.incidentId, 'ana', t.clock.now());

  it('publishes a postmortem on a resolved incident and serves it back with safe HTML', async () => {
    await resolve();
    const published = await put({ markdown: MARKDOWN });
    expect(published.statusCode, published.body).toBe(200);
    const expected = {
      incidentId: seeded.incidentId,
      markdown: MARKDOWN,
      by: 'team-a (team-a-write)',
      publishedAt: t.clock.now(),
      updatedAt: t.clock.now(),
      html: expect.stringContaining('<h3>What happened</h3>'),
    };
    expect(published.json()).toEqual(expected);

    const reader = (await t.token({ owner: 'team-a', scope: 'read' })).auth;
    const read = await get(reader);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toEqual(expected);
    expect(read.json().html).toContain('&lt;script&gt;');
    expect(read.json().html).toContain('rel="nofollow noopener noreferrer"');

    t.clock.advance(60_000);
    const revised = await put({ markdown: 'Revised.' });
    expect(revised.json()).toMatchObject({ by: 'team-a (team-a-write)', publishedAt: t.clock.now() - 60_000 });
  });

  it('refuses an incident still open with 409 naming its status', async () => {
    const response = await put({ markdown: MARKDOWN });
    expect(response.statusCode, response.body).toBe(409);
    expect(response.json().error).toMatchObject({
      code: 'CONFLICT',
      issues: [{ path: 'status', message: 'expected a resolved incident', received: '"investigating"' }],
    });
    expect((await get()).statusCode).toBe(404);
  });

  it('refuses Markdown that is blank or over 100 KB with 400 naming markdown', async () => {
    await resolve();
    for (const markdown of ['x'.repeat(100_001), 'é'.repeat(50_001), '  \n']) {
      const response = await put({ markdown });
      expect(response.statusCode, response.body).toBe(400);
      expect(paths(response.json())).toEqual(['markdown']);
    }
    expect((await put({ markdown: 'x', extra: true })).statusCode).toBe(400);
    expect(await t.ctx.incidents.getPostmortem(seeded.incidentId)).toBeUndefined();
  });

  it('lets a read token look but not write, and shows another owner a 404', async () => {
    await resolve();
    await put({ markdown: MARKDOWN });
    const reader = (await t.token({ owner: 'team-a', scope: 'read' })).auth;
    const refused = await put({ markdown: 'Rewritten.' }, reader);
    expect(refused.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'DELETE', url: url(), headers: reader })).statusCode).toBe(403);

    const other = (await t.token({ owner: 'team-b', scope: 'write' })).auth;
    expect((await get(other)).statusCode).toBe(404);
    const overwrite = await put({ markdown: 'Rewritten.' }, other);
    expect(overwrite.statusCode).toBe(404);
    expect(overwrite.json().error.issues).toEqual([{ path: 'id', message: 'no such incident' }]);
    expect((await t.app.inject({ method: 'DELETE', url: url(), headers: other })).statusCode).toBe(404);
    expect((await t.ctx.incidents.getPostmortem(seeded.incidentId))?.markdown).toBe(MARKDOWN);
  });

  it('withdraws a postmortem: 204, then 404 for reading or deleting it again', async () => {
    await resolve();
    await put({ markdown: MARKDOWN });
    const removed = await t.app.inject({ method: 'DELETE', url: url(), headers: writer });
    expect(removed.statusCode, removed.body).toBe(204);
    const gone = await get();
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.message).toBe(`incident ${seeded.incidentId} has no postmortem`);
    expect((await t.app.inject({ method: 'DELETE', url: url(), headers: writer })).statusCode).toBe(404);
  });
});
