import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

/** Lines a logger wrote to a stream, parsed. */
function capture(): { stream: PassThrough; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return {
    stream,
    lines: () =>
      text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('logs', () => {
  it('are JSON lines carrying the role, vantage and check bindings', async () => {
    const out = capture();
    const log = createLogger({ bindings: { role: 'prober', vantage: 'eu-west' }, destination: out.stream });
    log.child({ check: 'api-health' }).info({ round: 1 }, 'probe finished');
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.lines()).toEqual([
      expect.objectContaining({
        level: 30,
        role: 'prober',
        vantage: 'eu-west',
        check: 'api-health',
        round: 1,
        msg: 'probe finished',
      }),
    ]);
  });

  it('redact secrets wherever they sit, and keep the rest', async () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.warn(
      {
        password: 'hunter2',
        channel: { webhookUrl: 'https://hooks.slack.com/services/T/B/X', routingKey: 'R0UT1NG' },
        request: { headers: { authorization: 'Bearer vgl_abc', cookie: 'session=1', accept: 'text/html' } },
        smtpUrl: 'smtp://user:pass@mail',
      },
      'delivery failed',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(out.lines());
    for (const secret of ['hunter2', 'hooks.slack.com', 'R0UT1NG', 'vgl_abc', 'session=1', 'user:pass'])
      expect(text).not.toContain(secret);
    expect(text).toContain('text/html');
  });

  it("redact answering channels' credentials: Slack app, Opsgenie, webhook secrets", async () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    const slack = { botToken: 'xoxb-s3cr3t', signingSecret: 'sign-s3cr3t', channelId: 'C0123ABCD' };
    log.warn(
      {
        slack,
        opsgenie: { apiKey: 'genie-s3cr3t', webhookSecret: 'hook-s3cr3t' },
        oidc: { clientSecret: 'oidc-s3cr3t' },
      },
      'channel',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(out.lines());
    for (const secret of ['xoxb-s3cr3t', 'sign-s3cr3t', 'genie-s3cr3t', 'hook-s3cr3t', 'oidc-s3cr3t'])
      expect(text).not.toContain(secret);
    expect(text).toContain('C0123ABCD');
  });

  it('are human lines on a terminal and JSON in a pipe', async () => {
    const program = `import { createLogger } from '${fileURLToPath(new URL('./logger.ts', import.meta.url))}';
createLogger({ bindings: { role: 'web' } }).info('listening');`;
    const file = join(await mkdtemp(join(tmpdir(), 'vigil-log-')), 'log.ts');
    await writeFile(file, program);
    const run = promisify(execFile);
    const piped = await run(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, NO_COLOR: '1' } });
    expect(JSON.parse(piped.stdout)).toMatchObject({ role: 'web', msg: 'listening' });
    const command = `${process.execPath} --import tsx ${file}`;
    const tty = await run('script', ['-qec', command, '/dev/null'], { env: { ...process.env, NO_COLOR: '1' } });
    expect(tty.stdout).toMatch(/INFO.*listening/);
    expect(tty.stdout).toContain('role: "web"');
    expect(tty.stdout).not.toContain('{"level"');
  });
});
