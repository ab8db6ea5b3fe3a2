import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, RoleServer } from '@vigil/core';
import { eventually, freePort } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFromYaml, type Fleet, startFleet } from './support/fleet.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

const JOB = 'vigil-roles';
/** The job that scrapes without the token: its `up` is 0. */
const UNAUTHORIZED_JOB = 'vigil-no-token';
const TOKEN = 'prometheus-scrape-token-0123';

interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

/** A loopback port free right now, for Prometheus's own web listener. */
/** An instant query against Prometheus's HTTP API; no series while it is still starting. */
async function query(prometheus: string, promql: string): Promise<PromSeries[]> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`).catch(() => undefined);
  if (!response?.ok) return [];
  const body = (await response.json()) as { data: { result: PromSeries[] } };
  return body.data.result;
}

describe('a real Prometheus scraping a role', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let server: RoleServer;
  let dir: string;
  let prometheus: ChildProcess | undefined;
  beforeEach(async () => {
    fleet = await startFleet(['alpha']);
    target = await startHttpTarget();
    // Metrics on a listener of their own, behind a bearer token, as `metrics: { listen, token }` sets up.
    server = new RoleServer({
      port: 0,
      redis: fleet.redis,
      log: createLogger({ level: 'silent' }),
      serves: { health: false, metrics: true },
      metricsToken: TOKEN,
      portSetting: 'metrics.listen',
    });
    dir = await mkdtemp(join(tmpdir(), 'vigil-prometheus-'));
  });
  afterEach(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await once(prometheus, 'exit');
    }
    await server.close();
    await fleet.close();
    await target.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds probe_success by check and vantage, and the role up', { timeout: 60_000 }, async () => {
    await fleet.registry.put(
      checkFromYaml(`{ id: web, interval: 1s, timeout: 900ms, http: { url: "${target.url}" } }`, ['alpha']),
    );
    await fleet.scheduler();
    await fleet.prober('alpha');
    const roleUrl = new URL(await server.listen());
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        `  - job_name: ${JOB}`,
        `    authorization: { credentials: "${TOKEN}" }`,
        `    static_configs: [{ targets: ["${roleUrl.host}"] }]`,
        `  - job_name: ${UNAUTHORIZED_JOB}`,
        `    static_configs: [{ targets: ["${roleUrl.host}"] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    prometheus = spawn(
      '/usr/bin/prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    const api = `http://127.0.0.1:${port}`;

    const series = await eventually(
      async () => {
        const found = await query(api, 'probe_success{check="web"}');
        return found.length > 0 ? found : undefined;
      },
      40_000,
      'probe_success in Prometheus',
    );
    expect(series).toEqual([
      {
        metric: expect.objectContaining({ __name__: 'probe_success', check: 'web', vantage: 'alpha', job: JOB }),
        value: [expect.any(Number), '1'],
      },
    ]);
    const [up] = await query(api, `up{job="${JOB}"}`);
    expect(up?.value[1]).toBe('1');
    expect(await query(api, 'vigil_queue_depth{queue="probe.alpha",state="waiting"}')).toHaveLength(1);
    // Without the token the scrape is refused (401): the target is down and none of its series arrive.
    const [refused] = await eventually(
      async () => {
        const found = await query(api, `up{job="${UNAUTHORIZED_JOB}"}`);
        return found.length > 0 ? found : undefined;
      },
      20_000,
      'the unauthorized job scraped once',
    );
    expect(refused?.value[1]).toBe('0');
    expect(await query(api, `probe_success{job="${UNAUTHORIZED_JOB}"}`)).toEqual([]);
  });
});
