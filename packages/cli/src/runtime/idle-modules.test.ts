import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CLI_DIR = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A fresh Node that loads every role's compiled package (what `vigil <role>` imports; `pnpm test`
 * builds them first) and a logger writing to a pipe, and prints every module file it loaded: ESM
 * through a loader hook, CommonJS through `require.cache`.
 */
const SCRIPT = `
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const loaded = new Set();
port1.on('message', (url) => loaded.add(url));
register('data:text/javascript,' + encodeURIComponent(
  'let port; export function initialize(data) { port = data.port; }' +
  'export async function load(url, context, next) { port.postMessage(url); return next(url, context); }'),
  { data: { port: port2 }, transferList: [port2] });
const core = await import('@vigil/core');
await Promise.all(['@vigil/prober', '@vigil/scheduler', '@vigil/notifier', '@vigil/web'].map((name) => import(name)));
core.createLogger({ level: 'warn' });
await new Promise((resolve) => setTimeout(resolve, 100));
const cache = Object.keys(createRequire(import.meta.url).cache).map((file) => 'file://' + file);
console.log(JSON.stringify([...loaded, ...cache]));
port1.close();
`;

/** What no idle role needs: each loads on first use (a terminal, a body pattern, a mail, a postmortem). */
const NOT_WHILE_IDLE: [string, RegExp][] = [
  ['pino-pretty', /\/node_modules\/pino-pretty\//],
  ['re2js', /\/node_modules\/re2js\//],
  ['nodemailer', /\/node_modules\/nodemailer\//],
  ['markdown-it', /\/node_modules\/markdown-it\//],
  ["undici's index (fetch, agents, WebSocket…)", /\/node_modules\/undici\/index\.js$/],
  ["luxon's ES build beside the CommonJS one cron-parser loads", /\/node_modules\/luxon\/build\/es6\//],
];

describe('an idle role', () => {
  it('loads none of the modules it only needs on first use', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      cwd: CLI_DIR,
    });
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded.some((url) => url.includes('/node_modules/bullmq/'))).toBe(true);
    for (const [name, pattern] of NOT_WHILE_IDLE) {
      expect(
        loaded.filter((url) => pattern.test(url)),
        name,
      ).toEqual([]);
    }
  });
});
