/**
 * There is no Docker engine here: the image and the compose file are checked by reading them against
 * what the code expects — the commands `vigil` has, the variables it reads, the config it validates.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseEnv, VIGIL_ENV_NAMES } from '@vigil/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runVigil } from './support/vigil-process.js';

const DOCKER = fileURLToPath(new URL('../docker/', import.meta.url));
/** What an operator exports before `docker compose up`, as the file's header says. */
const OPERATOR_ENV: Record<string, string> = {
  REDIS_PASSWORD: 'a-long-redis-password-0123',
  VIGIL_SECRET: 'a-long-vigil-secret-0123456',
};

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  healthcheck?: { test: string[] };
}

/** Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR:?error}`; an unset `:?` is an error. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest = '') => {
    const value = env[name];
    if (value) return value;
    if (kind === '-') return rest;
    if (kind === '?') throw new Error(`${name}: ${rest}`);
    return '';
  });
}

let services: Record<string, Service>;
let dockerfile: string;
let commands: Set<string>;

beforeAll(async () => {
  const text = interpolate(await readFile(`${DOCKER}compose.yaml`, 'utf8'), OPERATOR_ENV);
  services = (parse(text, { merge: true }) as { services: Record<string, Service> }).services;
  dockerfile = await readFile(`${DOCKER}Dockerfile`, 'utf8');
  const help = await runVigil(['--help']);
  commands = new Set([...help.output.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1] as string));
}, 30_000);

const vigilServices = () => Object.entries(services).filter(([, service]) => service.image === 'vigil:latest');

describe('docker/compose.yaml', () => {
  it('refuses to start without the secrets the operator must choose', async () => {
    const text = await readFile(`${DOCKER}compose.yaml`, 'utf8');
    expect(() => interpolate(text, {})).toThrow(/REDIS_PASSWORD|VIGIL_SECRET/);
  });

  it('runs every role from the one image, each with a command vigil has', () => {
    const roles = vigilServices().map(([, service]) => service.command?.[0]);
    expect(new Set(roles)).toEqual(new Set(['scheduler', 'notifier', 'web', 'prober']));
    for (const [name, service] of vigilServices()) {
      expect(service.build, name).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(commands.has(service.command?.[0] ?? ''), `${name}: ${service.command?.join(' ')}`).toBe(true);
      // Health and metrics must be reachable from other containers (Prometheus), not only loopback.
      const args = service.command ?? [];
      expect(args[args.indexOf('--host') + 1], `${name}: --host`).toBe('0.0.0.0');
    }
  });

  it('gives each role only variables vigil reads, with values it accepts', () => {
    for (const [name, service] of vigilServices()) {
      const env = service.environment ?? {};
      for (const variable of Object.keys(env)) expect(VIGIL_ENV_NAMES, `${name}: ${variable}`).toContain(variable);
      const parsed = parseEnv(env);
      expect(parsed.REDIS_URL, name).toBe(`redis://:${OPERATOR_ENV.REDIS_PASSWORD}@redis:6379`);
      expect(parsed.VIGIL_SECRET, name).toBe(OPERATOR_ENV.VIGIL_SECRET);
    }
  });

  it('has three probers in three vantages the mounted vigil.yaml declares, and the config is valid', async () => {
    const config = await loadConfig(`${DOCKER}vigil.yaml`, {});
    const probers = vigilServices().filter(([, service]) => service.command?.[0] === 'prober');
    const vantages = probers.map(([, service]) => service.command?.[service.command.indexOf('--vantage') + 1]);
    expect(probers).toHaveLength(3);
    expect(new Set(vantages)).toEqual(new Set(config.vantages.map((vantage) => vantage.id)));
    for (const [name, service] of vigilServices()) {
      const mount = service.volumes?.find((volume) => volume.startsWith('./vigil.yaml:'));
      expect(mount?.split(':')[1], name).toBe(service.environment?.VIGIL_CONFIG);
    }
  });

  it('keeps Redis durable and password-protected, and starts roles once it is healthy', () => {
    const redis = services.redis as Service;
    const args = redis.command ?? [];
    expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
    expect(args[args.indexOf('--requirepass') + 1]).toBe(OPERATOR_ENV.REDIS_PASSWORD);
    expect(redis.volumes?.some((volume) => volume.endsWith(':/data'))).toBe(true);
    expect(redis.healthcheck?.test).toContain('ping');
    for (const [name, service] of vigilServices()) {
      expect(service.depends_on?.redis, name).toEqual({ condition: 'service_healthy' });
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(services, name).toHaveProperty(dependency);
    }
  });

  it('pages into the mail sink, and serves web on a published port reachable from outside the container', () => {
    const notifier = services.notifier as Service;
    const smtp = new URL(notifier.environment?.SMTP_URL ?? '');
    expect(services).toHaveProperty(smtp.hostname);
    expect(notifier.depends_on).toHaveProperty(smtp.hostname);
    const web = services.web as Service;
    expect(web.command).toEqual(['web', '--host', '0.0.0.0']);
    expect(web.ports).toContain(`${web.environment?.VIGIL_PORT}:${web.environment?.VIGIL_PORT}`);
  });
});

describe('docker/Dockerfile', () => {
  it('builds in stages and ships production dependencies only', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/pnpm install --frozen-lockfile/);
    expect(dockerfile).toMatch(/deploy .*--prod/);
  });

  it('compiles the packages before deploying them, and each package ships its compiled dist/', async () => {
    const build = dockerfile.search(/pnpm build\b/);
    expect(build).toBeGreaterThan(dockerfile.search(/pnpm install --frozen-lockfile/));
    expect(build).toBeLessThan(dockerfile.search(/deploy .*--prod/));
    for (const name of ['core', 'scheduler', 'prober', 'notifier', 'web', 'cli']) {
      const manifest = JSON.parse(await readFile(new URL(`../packages/${name}/package.json`, import.meta.url), 'utf8'));
      // `pnpm deploy` copies what `files` names; Node resolves the `default` condition.
      expect(manifest.files, name).toContain('dist');
      expect(manifest.exports['.'].default, name).toBe('./dist/index.js');
    }
  });

  it('runs as a non-root user, with a health check on /healthz and vigil as its entrypoint', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER (?!root\b|0\b)\S+/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "\/app\/bin\/vigil\.js"\]/m);
  });
});

describe('docker/prometheus.yml', () => {
  it('scrapes web on its metrics port (never the published one) and every other role beside its health', async () => {
    const config = parse(await readFile(`${DOCKER}prometheus.yml`, 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((group) => group.targets));
    const expected = vigilServices().map(([name, service]) =>
      service.command?.[0] === 'web' ? `${name}:9464` : `${name}:8080`,
    );
    expect(new Set(targets)).toEqual(new Set(expected));
    expect(services.prometheus?.volumes).toContain('./prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });
});
