import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { consoleSignIn, postConsoleForm, seedOwned, testWebApp } from '../../testing.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

/** The textarea's text as the browser shows it (the page escapes it). */
function textareaOf(body: string): string {
  const raw = /<textarea name="definition"[^>]*>([\s\S]*?)<\/textarea>/.exec(body)?.[1] ?? '';
  return raw
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

describe('the console check edit form', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function signedIn(owner: string, scope: 'read' | 'write' | 'admin') {
    const { token } = await t.token({ owner, scope });
    return consoleSignIn(t.app, token);
  }

  it('shows the definition as YAML, and a changed interval and name are stored and shown on the check page', async () => {
    const { checkId } = await seedOwned(t.ctx, 'team-a');
    const { cookie, csrf } = await signedIn('team-a', 'write');
    const page = await t.app.inject({ method: 'GET', url: `/console/checks/${checkId}`, headers: { cookie } });
    expect(page.body).toContain(`href="/console/checks/${checkId}/edit"`);

    const form = await t.app.inject({ method: 'GET', url: `/console/checks/${checkId}/edit`, headers: { cookie } });
    expect(form.statusCode, form.body).toBe(200);
    const shown = parse(textareaOf(form.body)) as Record<string, unknown>;
    expect(shown).toMatchObject({ id: checkId, interval: '1m', http: { url: 'https://example.com/' } });
    expect(shown).not.toHaveProperty('owner');

    const definition = textareaOf(form.body)
      .replace('interval: 1m', 'interval: 5m')
      .replace(/^name: .*$/m, 'name: Renamed API');
    const saved = await postConsoleForm(t.app, cookie, `/console/checks/${checkId}/edit`, { _csrf: csrf, definition });
    expect(saved.statusCode, saved.body).toBe(303);
    expect(saved.headers.location).toBe(`/console/checks/${checkId}`);
    const stored = await t.ctx.checks.get(checkId);
    expect(stored).toMatchObject({ name: 'Renamed API', intervalMs: 300_000, owner: 'team-a' });
    const after = await t.app.inject({ method: 'GET', url: `/console/checks/${checkId}`, headers: { cookie } });
    expect(after.body).toContain('Renamed API');
    expect(after.body).toContain('<dd>300 s</dd>');
  });

  it('re-renders the form naming the field for an invalid interval or another id, keeping the text and storing nothing', async () => {
    const { checkId } = await seedOwned(t.ctx, 'team-a');
    const { cookie, csrf } = await signedIn('team-a', 'write');
    const before = await t.ctx.checks.get(checkId);
    const url = `/console/checks/${checkId}/edit`;
    const definition = 'name: Sooner\ninterval: soon\nhttp:\n  url: https://example.com/\n';
    const refused = await postConsoleForm(t.app, cookie, url, { _csrf: csrf, definition });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/id="check-edit-error"[^>]*>[^<]*interval: /);
    expect(textareaOf(refused.body)).toBe(definition);
    expect(await t.ctx.checks.get(checkId)).toEqual(before);

    const moved = `id: someone-else\n${definition.replace('soon', '5m')}`;
    const renamed = await postConsoleForm(t.app, cookie, url, { _csrf: csrf, definition: moved });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.body).toMatch(/id="check-edit-error"[^>]*>id: expected /);
    expect(await t.ctx.checks.get(checkId)).toEqual(before);
    expect(await t.ctx.checks.get('someone-else')).toBeUndefined();

    // The owner is the server's: a definition naming another is refused, the check stays A's.
    const grabbed = await postConsoleForm(t.app, cookie, url, {
      _csrf: csrf,
      definition: `owner: team-b\n${definition.replace('soon', '5m')}`,
    });
    expect(grabbed.statusCode).toBe(400);
    expect(grabbed.body).toContain('owner');
    expect(await t.ctx.checks.get(checkId)).toEqual(before);
  });

  it('says a YAML syntax error is one, with the text kept', async () => {
    const { checkId } = await seedOwned(t.ctx, 'team-a');
    const { cookie, csrf } = await signedIn('team-a', 'write');
    const before = await t.ctx.checks.get(checkId);
    // Aliases expanding to 9^5 values: refused as such, not parsed into memory.
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    ]
      .concat('d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]')
      .join('\n');
    const refused = await postConsoleForm(t.app, cookie, `/console/checks/${checkId}/edit`, {
      _csrf: csrf,
      definition: bomb,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/id="check-edit-error"[^>]*>definition: too many aliases/);
    for (const definition of ['name: [unclosed\ninterval: 1m\n', 'just a sentence', 'name: a\nname: b\n']) {
      const refused = await postConsoleForm(t.app, cookie, `/console/checks/${checkId}/edit`, {
        _csrf: csrf,
        definition,
      });
      expect(refused.statusCode, definition).toBe(400);
      expect(refused.body, definition).toMatch(
        /id="check-edit-error"[^>]*>definition: (not valid YAML|expected a YAML mapping)/,
      );
      expect(textareaOf(refused.body)).toBe(definition);
    }
    expect(await t.ctx.checks.get(checkId)).toEqual(before);
  });

  it("answers another tenant's check with the console's 404, a read session 403 without a form, and no CSRF token 403", async () => {
    const { checkId } = await seedOwned(t.ctx, 'team-a');
    const before = await t.ctx.checks.get(checkId);
    const url = `/console/checks/${checkId}/edit`;
    const definition = 'name: Taken\ninterval: 5m\nhttp:\n  url: https://example.com/\n';

    const other = await signedIn('team-b', 'write');
    const missing = await t.app.inject({
      method: 'GET',
      url: '/console/checks/no-such-check/edit',
      headers: { cookie: other.cookie },
    });
    const theirs = await t.app.inject({ method: 'GET', url, headers: { cookie: other.cookie } });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body.replaceAll(checkId, 'ID')).toBe(missing.body.replaceAll('no-such-check', 'ID'));
    const taken = await postConsoleForm(t.app, other.cookie, url, { _csrf: other.csrf, definition });
    expect(taken.statusCode).toBe(404);

    const reader = await signedIn('team-a', 'read');
    const page = await t.app.inject({
      method: 'GET',
      url: `/console/checks/${checkId}`,
      headers: { cookie: reader.cookie },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('/edit"');
    const form = await t.app.inject({ method: 'GET', url, headers: { cookie: reader.cookie } });
    expect(form.statusCode).toBe(403);
    expect(form.body).not.toContain('<textarea');
    const read = await postConsoleForm(t.app, reader.cookie, url, { _csrf: reader.csrf, definition });
    expect(read.statusCode).toBe(403);

    const writer = await signedIn('team-a', 'write');
    const forged = await postConsoleForm(t.app, writer.cookie, url, { definition });
    expect(forged.statusCode).toBe(403);
    expect(await t.ctx.checks.get(checkId)).toEqual(before);
  });
});
