import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleSignIn, postConsoleForm, seedOwned, TEST_CONFIG, testWebApp } from '../testing.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

describe('the console incident page', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('posts an update and changes the status through the API rules, shown on the timeline as via console', async () => {
    const { incidentId } = await seedOwned(t.ctx, 'team-a');
    const { token, record } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const url = `/console/incidents/${incidentId}`;
    const page = await t.app.inject({ method: 'GET', url, headers: { cookie } });
    expect(page.body).toContain(`action="${url}/updates"`);
    expect(page.body).toContain(`action="${url}/status"`);

    const update = await postConsoleForm(t.app, cookie, `${url}/updates`, {
      _csrf: csrf,
      status: 'identified',
      message: 'A bad deploy; rolling back.',
    });
    expect(update.statusCode, update.body).toBe(303);
    const status = await postConsoleForm(t.app, cookie, `${url}/status`, {
      _csrf: csrf,
      status: 'monitoring',
      message: '',
    });
    expect(status.statusCode, status.body).toBe(303);
    await postConsoleForm(t.app, cookie, `${url}/ack`, { _csrf: csrf });

    const incident = await t.ctx.incidents.get(incidentId);
    expect(incident?.status).toBe('monitoring');
    const who = `team-a (${record.name}) via console`;
    expect(incident?.updates.slice(-3).map((u) => [u.status, u.message, u.by])).toEqual([
      ['identified', 'A bad deploy; rolling back.', who],
      ['monitoring', 'Status changed to monitoring.', who],
      [expect.any(String), expect.any(String), who],
    ]);
    const after = await t.app.inject({ method: 'GET', url, headers: { cookie } });
    expect(after.body.match(new RegExp(`${who.replace(/[()]/g, '\\$&')}<br>`, 'g'))).toHaveLength(3);
  });

  it('re-renders the form with an error naming the field for bad input, never a 500', async () => {
    const { incidentId } = await seedOwned(t.ctx, 'team-a');
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const url = `/console/incidents/${incidentId}`;
    const empty = await postConsoleForm(t.app, cookie, `${url}/updates`, {
      _csrf: csrf,
      status: 'identified',
      message: '  ',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('id="update-error"');
    expect(empty.body).toMatch(/message: expected some text/);
    const purple = await postConsoleForm(t.app, cookie, `${url}/status`, {
      _csrf: csrf,
      status: 'purple',
      message: 'typed text',
    });
    expect(purple.statusCode).toBe(400);
    expect(purple.body).toMatch(/id="status-error">status: /);
    expect(purple.body).toContain('typed text</textarea>');
    const extra = await postConsoleForm(t.app, cookie, `${url}/updates`, {
      _csrf: csrf,
      status: 'identified',
      message: 'x',
      by: 'eve',
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.body).toContain('by: not accepted');
    // A postmortem attaches to a resolved incident: a CONFLICT naming the status, on the page.
    const early = await postConsoleForm(t.app, cookie, `${url}/postmortem`, { _csrf: csrf, markdown: '# Early' });
    expect(early.statusCode).toBe(409);
    expect((await t.ctx.incidents.get(incidentId))?.updates.map((u) => u.message)).not.toContain('x');
  });

  it('writes, previews with the public renderer and edits the postmortem of a resolved incident', async () => {
    const { incidentId } = await seedOwned(t.ctx, 'team-a');
    const { token, record } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const url = `/console/incidents/${incidentId}`;
    await postConsoleForm(t.app, cookie, `${url}/resolve`, { _csrf: csrf });
    const page = await t.app.inject({ method: 'GET', url, headers: { cookie } });
    expect(page.body).toContain('Write the postmortem');
    expect(page.body).not.toContain(`action="${url}/updates"`);

    const markdown = '# What happened\n\n<script>x</script> [bad](javascript:alert(1)) [doc](https://example.com/)';
    const preview = await postConsoleForm(t.app, cookie, `${url}/postmortem/preview`, { _csrf: csrf, markdown });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.body).toContain('<h3>What happened</h3>');
    expect(preview.body).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(preview.body).not.toContain('href="javascript:');
    expect(preview.body).toContain('rel="nofollow noopener noreferrer"');
    expect(await t.ctx.incidents.getPostmortem(incidentId)).toBeUndefined();

    const published = await postConsoleForm(t.app, cookie, `${url}/postmortem`, { _csrf: csrf, markdown });
    expect(published.statusCode, published.body).toBe(303);
    const stored = await t.ctx.incidents.getPostmortem(incidentId);
    expect(stored?.markdown).toBe(markdown);
    expect(stored?.by).toBe(`team-a (${record.name}) via console`);
    const edited = await postConsoleForm(t.app, cookie, `${url}/postmortem`, { _csrf: csrf, markdown: '# Revised' });
    expect(edited.statusCode).toBe(303);
    const shown = await t.app.inject({ method: 'GET', url, headers: { cookie } });
    expect(shown.body).toContain('Edit the postmortem');
    expect(shown.body).toContain('<h3>Revised</h3>');
    const blank = await postConsoleForm(t.app, cookie, `${url}/postmortem/preview`, { _csrf: csrf, markdown: ' ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('markdown: expected some text');
  });

  it('refuses every form without its CSRF token, to a read scope, and for another tenant', async () => {
    const mine = await seedOwned(t.ctx, 'team-a');
    const theirs = await seedOwned(t.ctx, 'team-b');
    const writer = await consoleSignIn(t.app, (await t.token({ owner: 'team-a', scope: 'write' })).token);
    const reader = await consoleSignIn(t.app, (await t.token({ owner: 'team-a', scope: 'read' })).token);
    const fields = { status: 'identified', message: 'hello', markdown: '# Hi' };
    const readPage = await t.app.inject({
      method: 'GET',
      url: `/console/incidents/${mine.incidentId}`,
      headers: { cookie: reader.cookie },
    });
    expect(readPage.body).not.toMatch(/<form[^>]*\/(updates|status|postmortem)"/);
    for (const action of ['updates', 'status', 'postmortem', 'postmortem/preview']) {
      const url = `/console/incidents/${mine.incidentId}/${action}`;
      expect((await postConsoleForm(t.app, writer.cookie, url, fields)).statusCode, action).toBe(403);
      const read = await postConsoleForm(t.app, reader.cookie, url, { ...fields, _csrf: reader.csrf });
      expect(read.statusCode, action).toBe(403);
      expect(read.body).toContain('write scope');
      const foreign = `/console/incidents/${theirs.incidentId}/${action}`;
      expect(
        (await postConsoleForm(t.app, writer.cookie, foreign, { ...fields, _csrf: writer.csrf })).statusCode,
        action,
      ).toBe(404);
      // Bad input on another tenant's incident is a 404 too, not a form showing it.
      expect((await postConsoleForm(t.app, writer.cookie, foreign, { _csrf: writer.csrf })).statusCode, action).toBe(
        404,
      );
    }
    const [a, b] = await Promise.all([mine, theirs].map((s) => t.ctx.incidents.get(s.incidentId)));
    expect([a?.status, b?.status]).toEqual(['investigating', 'investigating']);
  });

  it('refuses a message on a public incident to a tenant that may not publish, on the form', async () => {
    // team-b may use the public component `api` but not publish: its incident is on the status page.
    await t.cleanup();
    const grants = [...TEST_CONFIG.grants, { owner: 'team-b', components: ['api'], escalations: ['default'] }];
    t = await testWebApp({ ...TEST_CONFIG, grants });
    const { incidentId } = await seedOwned(t.ctx, 'team-b');
    expect(await t.ctx.publicStatus.incident(incidentId)).toBeDefined();
    const { token } = await t.token({ owner: 'team-b', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const url = `/console/incidents/${incidentId}`;
    const refused = await postConsoleForm(t.app, cookie, `${url}/updates`, {
      _csrf: csrf,
      status: 'identified',
      message: 'hi',
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toMatch(/id="update-error">message: is shown on the status page/);
    expect(refused.body).toContain('hi</textarea>');
    // Vigil's own wording needs no publishing right.
    const status = await postConsoleForm(t.app, cookie, `${url}/status`, {
      _csrf: csrf,
      status: 'identified',
      message: '',
    });
    expect(status.statusCode, status.body).toBe(303);
    expect((await t.ctx.incidents.get(incidentId))?.status).toBe('identified');
  });
});
