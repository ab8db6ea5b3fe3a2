import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeHttpSpec, startHttpServer, type TestServer } from '../test-servers.js';
import { INLINE_MATCH_CHARS } from './body-pattern-matcher.js';

const servers: (TestServer | Server)[] = [];
afterEach(async () => {
  await Promise.all(
    servers
      .splice(0)
      .map((server) =>
        'close' in server && 'port' in server
          ? server.close()
          : new Promise<void>((resolve) => (server as Server).close(() => resolve())),
      ),
  );
});

async function target(body: string): Promise<string> {
  const server = await startHttpServer((_req, res) => res.end(body));
  servers.push(server);
  return `http://127.0.0.1:${server.port}/`;
}

/** A health endpoint in this process, as a role serves one: it answers only while the event loop runs. */
async function healthz(): Promise<string> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
}

/** Asks `url` over and over while `work` runs; returns what `work` returned and the slowest answer in ms. */
async function slowestAnswerDuring<T>(url: string, work: () => Promise<T>): Promise<{ value: T; slowest: number }> {
  await (await fetch(url)).text(); // the first fetch of a process loads its client; not what is measured
  let done = false;
  let slowest = 0;
  const pinging = (async () => {
    while (!done) {
      const started = performance.now();
      await (await fetch(url)).text();
      slowest = Math.max(slowest, performance.now() - started);
    }
  })();
  const value = await work().finally(() => {
    done = true;
  });
  await pinging;
  return { value, slowest };
}

describe('body patterns under a hostile target', () => {
  it('a catastrophic-backtracking pattern neither stalls the event loop nor outlives the timeout', async () => {
    // The reported case: ^(a+)+$ against 29 a's and a '!' took 24.6 s with a backtracking engine,
    // doubling with each further 'a'. Here 40 of them, inline, and a body large enough for the worker.
    for (const body of [`${'a'.repeat(40)}!`, `${'a'.repeat(INLINE_MATCH_CHARS * 3)}!`]) {
      const url = await target(body);
      // One probe first: the process's first probe and first pattern compile warm up once; what is
      // measured is what every round costs.
      await probeHttpSpec({ url, expect: { bodyRegex: '^warm' } });
      const { value: result, slowest } = await slowestAnswerDuring(await healthz(), () =>
        probeHttpSpec({ url, expect: { bodyRegex: '^(a+)+$' } }, { timeoutMs: 5_000 }),
      );
      expect(result).toMatchObject({ ok: false, error: 'assertion' });
      expect(result.message).toContain('expected the body to match /^(a+)+$/');
      expect(result.finishedAt - result.startedAt).toBeLessThan(5_000);
      // A backtracking engine blocks for hours on this input; 250 ms leaves room for a busy CI machine.
      expect(slowest, `/healthz answered while a ${body.length}-character body was matched`).toBeLessThan(250);
    }
  });

  it('matches large bodies off the event loop with the same verdicts', async () => {
    const large = `${'x'.repeat(INLINE_MATCH_CHARS * 2)}"state": "green"`;
    const url = await target(large);
    expect(await probeHttpSpec({ url, expect: { bodyRegex: '"state":\\s*"gr[e]+n"$' } })).toMatchObject({ ok: true });
    const missed = await probeHttpSpec({ url, expect: { bodyRegex: '"state":\\s*"red"' } });
    expect(missed).toMatchObject({ ok: false, error: 'assertion' });
  });
});
