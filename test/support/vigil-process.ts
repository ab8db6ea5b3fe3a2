import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Redis, type RedisKeys, type TokenInput, tokenInputSchema, validateConfig } from '@vigil/core';
import { TEST_REDIS_URL, testContext } from '@vigil/core/testing';
import { createWebContext, type WebContext, WebServer } from '@vigil/web';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** The `vigil` that ships: the compiled CLI under plain Node (`pretest` builds it). */
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'vigil.js');

/** A `vigil` child process, its output collected for assertions. */
export interface VigilProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `vigil <args>` as a real process (the compiled bin), in `cwd`, with `env` on top of ours. */
export function spawnVigil(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): VigilProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    // The API variables are cleared (empty is unset) unless a test sets them: no leak from the shell.
    // Port 0: a role's health and metrics server takes a free port, so parallel tests never collide.
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      NO_COLOR: '1',
      VIGIL_URL: '',
      VIGIL_TOKEN: '',
      VIGIL_PORT: '0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => out, exited };
}

/** Runs `vigil <args>` to completion: exit code and everything it printed. */
export async function runVigil(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const proc = spawnVigil(args, options);
  const code = await proc.exited;
  return { code, output: proc.output() };
}

/** Writes a config into a fresh temporary directory; returns its path. */
export async function writeConfig(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-test-'));
  const path = join(dir, 'vigil.yaml');
  await writeFile(path, yaml);
  return path;
}

/** The fleet config the API tests' web role runs with: three vantages, two components, one check of its own. */
export const API_TEST_CONFIG = {
  vantages: ['alpha', 'beta', 'gamma'],
  components: [
    { id: 'api', name: 'Public API' },
    { id: 'lb', name: 'Load balancers' },
  ],
  people: [{ id: 'ana', name: 'Ana', email: 'ana@example.com' }],
  schedules: [{ id: 'primary', timezone: 'UTC', rotation: { every: '1w', handoff: 'mon 09:00', people: ['ana'] } }],
  escalations: [{ id: 'default', levels: [{ notify: ['person:ana'], after: '0s' }] }],
  checks: [{ id: 'from-config', component: 'api', http: { url: 'https://api.example.com/health' } }],
};

/** A real web role on a loopback port over real Redis under a fresh prefix, for CLI tests. */
export interface TestApi {
  url: string;
  prefix: string;
  redis: Redis;
  keys: RedisKeys;
  /** The web role's context: its stores, for fixtures written and state read behind the API's back. */
  ctx: WebContext;
  /** A token created straight in Redis (as `vigil tokens create` does without VIGIL_TOKEN). */
  token(input: TokenInput): Promise<string>;
  /** The environment a `vigil` child needs to reach this API (and its Redis), with `token` if given. */
  env(token?: string): Record<string, string>;
  close(): Promise<void>;
}

/** Starts the web role in this process on port 0, its config's checks in the registry as `vigil up` puts them. */
export async function startTestApi(config: unknown = API_TEST_CONFIG): Promise<TestApi> {
  const base = await testContext('cli-api');
  const { redis, prefix, keys } = base;
  const parsed = validateConfig(config, 'test config');
  const ctx = createWebContext(base, { config: parsed, secret: 'test-secret-0123456789abcdef' });
  for (const check of parsed.checks) await ctx.checks.put(check);
  const web = new WebServer(ctx);
  const url = await web.listen(0);
  return {
    url,
    prefix,
    redis,
    keys,
    ctx,
    async token(input) {
      const created = await ctx.tokens.create(tokenInputSchema.parse(input), { now: Date.now(), createdBy: 'test' });
      return created.token;
    },
    env: (token) => ({ REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: prefix, VIGIL_URL: url, VIGIL_TOKEN: token ?? '' }),
    async close() {
      await web.close();
      await base.cleanup();
    },
  };
}
