import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleSignIn, TEST_CONFIG, testWebApp } from '../../testing.js';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The test fleet, with team-b also allowed the load balancers component. */
const CONFIG = {
  ...TEST_CONFIG,
  grants: [...TEST_CONFIG.grants, { owner: 'team-b', components: ['lb'], escalations: ['default'], publish: true }],
};

describe("a maintenance naming a deleted check's id", () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp(CONFIG);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it("never covers the next owner's check of the id, nor shows them its text; it still lists for its owner", async () => {
    const a = await t.token({ owner: 'team-a', scope: 'write' });
    const b = await t.token({ owner: 'team-b', scope: 'write' });
    const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, auth: Record<string, string>, payload?: object) =>
      t.app.inject({ method, url, headers: auth, ...(payload && { payload }) });
    const get = (url: string, auth: Record<string, string> = {}) => t.app.inject({ url, headers: auth });
    const check = { id: 'shared', component: 'lb', interval: '1m', http: { url: 'https://shared.example.com/' } };
    const now = t.clock.now();
    const window = {
      id: 'a-window',
      title: 'Team A secret window',
      description: 'Team A private note',
      checks: ['shared'],
      start: iso(now - HOUR),
      end: iso(now + HOUR),
    };

    expect((await send('POST', '/api/v1/checks', a.auth, check)).statusCode).toBe(201);
    const created = await send('POST', '/api/v1/maintenances', a.auth, window);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).not.toHaveProperty('owners');
    expect((await send('DELETE', '/api/v1/checks/shared', a.auth)).statusCode).toBe(204);
    const again = await send('POST', '/api/v1/checks', b.auth, { ...check, http: { url: 'https://b.example.com/' } });
    expect(again.statusCode, again.body).toBe(201);

    // The API: team-b neither sees nor may change or cancel team-a's maintenance.
    const listB = await get('/api/v1/maintenances', b.auth);
    expect(listB.statusCode).toBe(200);
    expect(listB.body).not.toContain('a-window');
    expect((await get('/api/v1/maintenances/a-window', b.auth)).statusCode).toBe(404);
    expect((await send('DELETE', '/api/v1/maintenances/a-window', b.auth)).statusCode).toBe(404);
    expect((await send('PUT', '/api/v1/maintenances/a-window', b.auth, window)).statusCode).toBe(404);
    // Team-a still has it: the check it names was theirs.
    const listA = await get('/api/v1/maintenances', a.auth);
    expect(listA.json().items).toEqual([
      expect.objectContaining({ id: 'a-window', title: 'Team A secret window', checks: ['shared'], active: true }),
    ]);

    // The status page: team-b's component is not under maintenance, and team-a's text is nowhere.
    const summary = await get('/api/v2/summary.json');
    expect(summary.statusCode).toBe(200);
    const components = summary.json().components as { name: string; status: string }[];
    expect(components.find((c) => c.name === 'Load balancers')?.status).not.toBe('under_maintenance');
    expect(components.map((c) => c.status)).not.toContain('under_maintenance');
    expect(summary.body).not.toContain('Team A');
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Load balancers');
    expect(page.body).not.toContain('Team A');

    // The console: team-b's grid does not mark its check, and its maintenances page does not list team-a's.
    const { cookie } = await consoleSignIn(t.app, b.token);
    // The overview page reads the grid anew (a poll may show a view up to GRID_CACHE_MS old).
    const grid = await get('/console', { cookie });
    const row = /id="check-shared"[\s\S]*?<\/tr>/.exec(grid.body)?.[0] ?? '';
    expect(row).toContain('shared');
    expect(row).not.toContain('>maintenance<');
    const maintenances = await get('/console/maintenances', { cookie });
    expect(maintenances.statusCode).toBe(200);
    expect(maintenances.body).not.toContain('Team A');
  });
});
