import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'packages', 'cli', 'src', 'main.ts');
/** tsx's loader by absolute URL, so a child started in any directory can run TypeScript. */
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

/** A `vigil` child process, its output collected for assertions. */
export interface VigilProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Runs `vigil <args>` as a real process (tsx, no build), in `cwd`, with `env` on top of ours. */
export function spawnVigil(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): VigilProcess {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', NO_COLOR: '1', ...options.env },
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
