import { freePort, sampleResult } from '@vigil/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil, startTestApi, type TestApi, writeConfig } from './support/vigil-process.js';

const TOKEN = /vgl_[a-z0-9]{8}_[A-Za-z0-9_-]{32}/;

/** Where each column of a table's header starts, and whether every row has a cell starting there. */
function aligned(table: string, columns: readonly string[]): boolean {
  const [header = '', ...rows] = table.trim().split('\n');
  const starts = columns.map((title) => header.indexOf(title));
  return rows.every((row) => starts.every((start) => start === 0 || (row[start - 1] === ' ' && row[start] !== ' ')));
}

interface CheckJson {
  id: string;
  owner: string | null;
  source: string;
  state: string;
  paused: boolean;
  intervalMs: number;
  tags: string[];
}

describe('vigil checks and tokens through the API', { timeout: 60_000 }, () => {
  let api: TestApi;
  let admin = '';
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates the first admin token straight in Redis, printed once on stdout', async () => {
    const created = await runVigil(['tokens', 'create', '--scope', 'admin'], { env: api.env() });
    expect(created.code, created.output).toBe(0);
    admin = TOKEN.exec(created.output)?.[0] ?? '';
    expect(admin).not.toBe('');
    expect(created.output).toContain('owner admin');
    expect(created.output).toContain('the only time the token is shown');
    const again = await runVigil(['tokens', 'create', '--scope', 'write'], { env: api.env() });
    expect(again.code).toBe(2);
    expect(again.output.trim()).toBe('vigil: --owner: required for a write token: the team its checks belong to');
  });

  it('adds, lists, shows, pauses, resumes and removes checks, as tables and as JSON', async () => {
    const env = api.env(admin);
    const [web, db] = await Promise.all([
      runVigil(['checks', 'add', 'web', '--http', 'https://example.com/', '--component', 'api', '--tag', 'edge'], {
        env,
      }),
      runVigil(
        ['checks', 'add', 'db', '--tcp', 'db.example.com:5432', '--vantages', 'alpha,beta', '--interval', '1m'],
        {
          env,
        },
      ),
    ]);
    expect(web.code, web.output).toBe(0);
    expect(db.code, db.output).toBe(0);
    await api.ctx.results.record(
      sampleResult({ checkId: 'web', round: Date.now() - 5_000, finishedAt: Date.now(), status: 200 }),
      30_000,
    );

    const [table, json, tagged, shown, shownJson] = await Promise.all([
      runVigil(['checks', 'ls'], { env }),
      runVigil(['checks', 'ls', '--json'], { env }),
      runVigil(['checks', 'ls', '--tag', 'edge', '--json'], { env }),
      runVigil(['checks', 'show', 'web'], { env }),
      runVigil(['checks', 'show', 'web', '--json'], { env }),
    ]);
    expect(table.code).toBe(0);
    expect(table.output).toMatch(/^ID\s+STATE\s+KIND\s+TARGET\s+EVERY\s+COMPONENT\s+OWNER$/m);
    expect(table.output).toMatch(/^db\s+new\s+tcp\s+db\.example\.com:5432\s+1m\s+-\s+admin$/m);
    expect(table.output).toMatch(
      /^from-config\s+new\s+http\s+GET https:\/\/api\.example\.com\/health\s+30s\s+api\s+\(vigil\.yaml\)$/m,
    );
    expect(table.output).not.toContain('\u001b['); // no colour off a terminal
    expect(aligned(table.output, ['STATE', 'KIND', 'TARGET', 'EVERY', 'COMPONENT', 'OWNER'])).toBe(true);
    const all = JSON.parse(json.output) as CheckJson[];
    expect(all.map((check) => [check.id, check.source])).toEqual([
      ['db', 'api'],
      ['from-config', 'config'],
      ['web', 'api'],
    ]);
    expect((JSON.parse(tagged.output) as CheckJson[]).map((check) => check.id)).toEqual(['web']);
    expect(shown.output).toContain('Check web: web');
    expect(shown.output).toMatch(/uptime\s+24h -\s+7d -\s+30d -\s+90d -/);
    expect(shown.output).toMatch(/^alpha\s+\S+Z\s+ok\s+200\s+25ms/m);
    const detail = JSON.parse(shownJson.output) as {
      check: CheckJson;
      results: { vantage: string }[];
      uptime: Record<string, { uptime: number | null }>;
    };
    expect(detail.check).toMatchObject({ id: 'web', owner: 'admin', tags: ['edge'] });
    expect(detail.results.map((r) => r.vantage)).toEqual(['alpha']);
    expect(Object.keys(detail.uptime)).toEqual(['24h', '7d', '30d', '90d']);

    const paused = await runVigil(['checks', 'pause', 'web'], { env });
    expect(paused.output).toContain('Check web paused');
    expect(JSON.parse((await runVigil(['checks', 'ls', '--state', 'paused', '--json'], { env })).output)).toMatchObject(
      [{ id: 'web', paused: true, state: 'paused' }],
    );
    expect((await runVigil(['checks', 'resume', 'web'], { env })).output).toContain('Check web resumed.');
    const removed = await runVigil(['checks', 'rm', 'db'], { env });
    expect(removed.output).toContain('Check db removed.');
    const gone = await runVigil(['checks', 'show', 'db'], { env });
    expect(gone.code).toBe(5);
    expect(gone.output.trim()).toBe('vigil: no check db');
  });

  it('adds a check from a file, naming the file and the field when it is wrong', async () => {
    const good = await writeConfig(
      'id: from-file\nhttp: { url: "https://file.example.com/", expect: { status: [2xx] } }\n',
    );
    const bad = await writeConfig('id: bad-file\ncomponent: nope\nhttp: { url: "https://file.example.com/" }\n');
    const env = api.env(admin);
    const [added, refused] = await Promise.all([
      runVigil(['checks', 'add', '-f', good], { env }),
      runVigil(['checks', 'add', '-f', bad], { env }),
    ]);
    expect(added.code, added.output).toBe(0);
    expect(refused.code).toBe(2);
    expect(refused.output.trim()).toBe(`vigil: ${bad} component: expected the id of a declared component (got "nope")`);
  });

  it('adds a DNS check with --dns, and shows each vantage’s latest answer and where they disagree', async () => {
    const env = api.env(admin);
    const added = await runVigil(['checks', 'add', 'mx', '--dns', 'mx:example.com@9.9.9.9'], { env });
    expect(added.code, added.output).toBe(0);
    const round = Date.now() - 5_000;
    const answered = (vantage: string, answers: string[], ok: boolean) =>
      sampleResult({
        checkId: 'mx',
        vantage,
        round,
        finishedAt: Date.now(),
        ok,
        ...(!ok && { error: 'assertion' as const, message: 'expected 10 mx1.example.com among the answers' }),
        dns: { rcode: 'NOERROR', answers, minTtl: 300, transport: 'udp' },
      });
    await api.ctx.results.record(answered('alpha', ['10 mx1.example.com'], true), 30_000);
    await api.ctx.results.record(answered('beta', ['10 mx.old.example.net'], false), 30_000);

    const [table, shown] = await Promise.all([
      runVigil(['checks', 'ls'], { env }),
      runVigil(['checks', 'show', 'mx'], { env }),
    ]);
    expect(table.output).toMatch(/^mx\s+new\s+dns\s+MX example\.com @9\.9\.9\.9\s+30s/m);
    expect(shown.output).toContain('target        dns MX example.com @9.9.9.9');
    expect(shown.output).toMatch(/^ {2}alpha\s+NOERROR 10 mx1\.example\.com — ok$/m);
    expect(shown.output).toContain(
      'Vantages disagree: alpha → NOERROR 10 mx1.example.com; beta → NOERROR 10 mx.old.example.net',
    );
    const removed = await runVigil(['checks', 'rm', 'mx'], { env });
    expect(removed.code, removed.output).toBe(0);
  });

  it('adds an ICMP check with --icmp, shows each vantage’s replies, and refuses a host that reads as an option', async () => {
    const env = api.env(admin);
    const [added, hostile] = await Promise.all([
      runVigil(['checks', 'add', 'lb-icmp', '--icmp', '5.104.101.30'], { env }),
      runVigil(['checks', 'add', 'evil', '--icmp=--help'], { env }),
    ]);
    expect(added.code, added.output).toBe(0);
    expect(hostile.code, hostile.output).toBe(2);
    expect(hostile.output).toContain('--icmp');
    expect(await api.redis.hexists(api.keys.checks, 'evil')).toBe(0);
    await api.ctx.results.record(
      sampleResult({
        checkId: 'lb-icmp',
        vantage: 'alpha',
        round: Date.now() - 5_000,
        finishedAt: Date.now(),
        ok: false,
        error: 'icmp_loss',
        message: '2 of 3 echo requests to 5.104.101.30 went unanswered (66.67% loss; at most 0% allowed)',
        icmp: { sent: 3, received: 1, lossPercent: 66.67, rttMs: { min: 12.1, avg: 12.1, max: 12.1 } },
      }),
      30_000,
    );
    const shown = await runVigil(['checks', 'show', 'lb-icmp'], { env });
    expect(shown.output).toContain('target        icmp 5.104.101.30 (3 echo requests)');
    expect(shown.output).toMatch(/^ {2}alpha\s+1\/3 replies, rtt 12\.1\/12\.1\/12\.1 ms — icmp_loss: 2 of 3 echo/m);
    const removed = await runVigil(['checks', 'rm', 'lb-icmp'], { env });
    expect(removed.code, removed.output).toBe(0);
  });

  it('adds a heartbeat check with --heartbeat, prints its ping token once, and a new token retires the old one', async () => {
    const env = api.env(admin);
    const added = await runVigil(['checks', 'add', 'backup', '--heartbeat', '5m', '--interval', '1h'], { env });
    expect(added.code, added.output).toBe(0);
    const made = await runVigil(['checks', 'token', 'backup'], { env });
    expect(made.code, made.output).toBe(0);
    const url = /curl -fsS -m 10 --retry 3 (\S+)/.exec(made.output)?.[1] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ping\/hb_[A-Za-z0-9_-]{32}$/);
    expect((await fetch(url, { method: 'POST', body: 'dumped 3 GB' })).status).toBe(200);
    const again = await runVigil(['checks', 'token', 'backup', '--json'], { env });
    const fresh = JSON.parse(again.output) as { pingUrl: string };
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(`${fresh.pingUrl}/start`)).status).toBe(200);
    expect((await fetch(`${fresh.pingUrl}/4`, { method: 'POST', body: 'dumped 3 GB, then: disk full' })).status).toBe(
      200,
    );
    const shown = await runVigil(['checks', 'show', 'backup'], { env });
    expect(shown.output).toContain('pushed        by the job (no vantages); a start must succeed within 10s');
    expect(shown.output).toMatch(/last ping {5}\S+Z \(exit code 4\); last success \S+Z$/m);
    expect(shown.output).toContain('last message  dumped 3 GB, then: disk full');
    expect(shown.output).not.toContain('quorum');
    const [table, probed] = await Promise.all([
      runVigil(['checks', 'ls'], { env }),
      runVigil(['checks', 'token', 'web'], { env }),
    ]);
    expect(table.output).toMatch(/^backup\s+new\s+heartbeat\s+push every interval, grace 5m\s+1h/m);
    expect(probed.code).not.toBe(0);
    expect(probed.output).toContain('only a heartbeat check has a ping token');
    expect((await runVigil(['checks', 'rm', 'backup'], { env })).code).toBe(0);
  });

  it('refuses bad input with exit 2, naming the flag', async () => {
    const env = api.env(admin);
    const [component, interval, both] = await Promise.all([
      runVigil(['checks', 'add', 'x', '--http', 'https://x.example.com/', '--component', 'nope'], { env }),
      runVigil(['checks', 'add', 'x', '--http', 'https://x.example.com/', '--interval', 'often'], { env }),
      runVigil(['checks', 'add', 'x', '--http', 'https://x.example.com/', '--tcp', 'x:1'], { env }),
    ]);
    expect(component.code).toBe(2);
    expect(component.output.trim()).toBe('vigil: --component: expected the id of a declared component (got "nope")');
    expect(interval.code).toBe(2);
    expect(interval.output).toContain('--interval: expected a duration');
    expect(both.code).toBe(2);
    expect(both.output).toContain(
      'expected exactly one: --http URL, --tcp HOST:PORT, --dns [TYPE:]NAME[@SERVER], --icmp HOST or --heartbeat GRACE',
    );
    expect(await api.redis.hexists(api.keys.checks, 'x')).toBe(0);
  });

  it('says why a request is not allowed (exit 4) or the API cannot be reached (exit 3), in one line, never showing the token', async () => {
    const wrong = 'vgl_abcdefgh_0123456789abcdefghijklmnopqrstuv';
    const url = `http://127.0.0.1:${await freePort()}`;
    const [badToken, noToken, down] = await Promise.all([
      runVigil(['checks', 'ls'], { env: api.env(wrong) }),
      runVigil(['checks', 'ls'], { env: api.env() }),
      runVigil(['checks', 'ls'], { env: { ...api.env(admin), VIGIL_URL: url } }),
    ]);
    expect(badToken.code).toBe(4);
    expect(badToken.output.trim()).toBe('vigil: authorization: the token is unknown or revoked');
    expect(noToken.code).toBe(4);
    expect(noToken.output.trim()).toMatch(/^vigil: VIGIL_TOKEN is not set: create a token with `vigil tokens create/);
    expect(down.code).toBe(3);
    expect(down.output.trim().split('\n')).toHaveLength(1);
    expect(down.output).toContain(`cannot reach the Vigil API at ${url}`);
    expect(down.output).toContain('set VIGIL_URL');
    for (const run of [badToken, down]) {
      expect(run.output).not.toContain(wrong);
      expect(run.output).not.toContain(admin);
    }
  });

  it('creates, lists and revokes tokens through the API; a revoked token is refused, a quota is exit 4', async () => {
    const env = api.env(admin);
    const created = await runVigil(
      [
        'tokens',
        'create',
        '--scope',
        'write',
        '--owner',
        'team-a',
        '--max-checks',
        '1',
        '--rate-limit',
        '100/1m',
        '--json',
      ],
      { env },
    );
    expect(created.code, created.output).toBe(0);
    const record = JSON.parse(created.output) as { token: string; id: string; createdBy: string };
    expect(record.token).toMatch(TOKEN);
    expect(record.createdBy).toContain('admin');
    const teamA = api.env(record.token);

    const quota = await runVigil(
      ['checks', 'add', 'fast', '--http', 'https://fast.example.com/', '--interval', '10s'],
      {
        env: teamA,
      },
    );
    expect(quota.code).toBe(4);
    expect(quota.output).toContain("--interval: this token's quota allows an interval of at least 1m");

    const [table, json, own] = await Promise.all([
      runVigil(['tokens', 'ls'], { env }),
      runVigil(['tokens', 'ls', '--json'], { env }),
      runVigil(['tokens', 'ls', '--json'], { env: teamA }),
    ]);
    expect(table.output).toMatch(
      /^ID\s+NAME\s+OWNER\s+SCOPE\s+CHECKS\s+MIN INTERVAL\s+VANTAGES\s+RATE\s+CREATED\s+LAST USED$/m,
    );
    // team-a's token was used (refused its quota, but verified): when, to the minute.
    expect(table.output).toMatch(new RegExp(`^${record.id}\\s.*\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ$`, 'm'));
    expect(table.output).toMatch(
      new RegExp(`^${record.id}\\s+team-a-write\\s+team-a\\s+write\\s+0/1\\s+1m\\s+3\\s+100/1m`, 'm'),
    );
    expect(table.output).not.toMatch(TOKEN);
    expect((JSON.parse(json.output) as { owner: string }[]).map((t) => t.owner)).toEqual(['admin', 'team-a']);
    expect((JSON.parse(own.output) as { id: string }[]).map((t) => t.id)).toEqual([record.id]);

    const revoked = await runVigil(['tokens', 'revoke', record.id], { env });
    expect(revoked.code).toBe(0);
    const refused = await runVigil(['checks', 'ls'], { env: teamA });
    expect(refused.code).toBe(4);
    expect(refused.output.trim()).toBe('vigil: authorization: the token is unknown or revoked');
    const missing = await runVigil(['tokens', 'revoke', record.id], { env });
    expect(missing.code).toBe(5);
  });

  it('`vigil status` and `vigil oncall` go through the API when VIGIL_TOKEN is set', async () => {
    const env = api.env(admin);
    const [status, oncall] = await Promise.all([
      runVigil(['status', '--json'], { env }),
      runVigil(['oncall', '--at', '2026-01-07T12:00:00Z', '--json'], { env }),
    ]);
    expect(status.code, status.output).toBe(0);
    expect((JSON.parse(status.output) as { checks: { id: string }[] }).checks.map((c) => c.id)).toContain('web');
    expect(JSON.parse(oncall.output)).toMatchObject([{ schedule: 'primary', person: { id: 'ana' } }]);
  });
});
