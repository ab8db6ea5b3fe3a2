// @ts-check
/**
 * `pnpm build`: compiles every package to its `dist/` with `tsc -b tsconfig.build.json` (incremental),
 * then copies what tsc does not compile from each `src/` (the `.lua` scripts, wherever they sit) to
 * the same path under `dist/`. With `--if-stale` (`pnpm vigil`, `pnpm test`) it does nothing when
 * every `dist/` is newer than its inputs: a walk of the sources instead of tsc's second of start-up.
 * Plain JavaScript, so it runs before anything is compiled and without tsx.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
/** The packages `tsconfig.build.json` builds: each has a `tsconfig.build.json` of its own. */
const PACKAGES = readdirSync(join(ROOT, 'packages'))
  .map((name) => join(ROOT, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'tsconfig.build.json')));
/** Touched after a successful build; `--if-stale` compares the inputs against it. */
const STAMP = join(ROOT, 'node_modules', '.cache', 'vigil-build', 'stamp');
const SHARED_INPUTS = [
  'tsconfig.base.json',
  'tsconfig.package.json',
  'tsconfig.build.json',
  'pnpm-lock.yaml',
  'scripts/build.mjs',
].map((file) => join(ROOT, file));

/**
 * Every file and directory under `dir` (a directory's mtime moves when an entry is added, renamed or deleted).
 * @param {string} dir
 * @returns {Generator<string>}
 */
function* walk(dir) {
  yield dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/**
 * When `path` last changed; undefined if it does not exist.
 * @param {string} path
 */
function mtime(path) {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs;
}

/** Whether some input changed since the last build, or some package has no build at all. */
function stale() {
  const built = mtime(STAMP);
  if (built === undefined) return true;
  if (PACKAGES.some((dir) => !existsSync(join(dir, 'dist', '.tsbuildinfo')))) return true;
  const inputs = [
    ...SHARED_INPUTS,
    ...PACKAGES.flatMap((dir) => [
      join(dir, 'package.json'),
      join(dir, 'tsconfig.build.json'),
      ...walk(join(dir, 'src')),
    ]),
  ];
  return inputs.some((path) => (mtime(path) ?? 0) > built);
}

/**
 * Copies the files under `src/` that are not TypeScript to the same relative path under `dist/`.
 * @param {string} dir a package's directory
 */
function copyAssets(dir) {
  const src = join(dir, 'src');
  for (const path of walk(src)) {
    if (path.endsWith('.ts') || statSync(path).isDirectory()) continue;
    const target = join(dir, 'dist', relative(src, path));
    if ((mtime(target) ?? -1) >= (mtime(path) ?? 0)) continue;
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(path, target);
  }
}

if (process.argv.includes('--if-stale') && !stale()) process.exit(0);
if (process.argv.includes('--if-stale')) process.stderr.write('vigil: compiling the packages (pnpm build)…\n');
// The stamp takes the time the build started: a file saved while tsc runs makes the next run build again.
const started = new Date();
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
for (const dir of PACKAGES) copyAssets(dir);
mkdirSync(dirname(STAMP), { recursive: true });
writeFileSync(STAMP, `${started.toISOString()}\n`);
utimesSync(STAMP, started, started);
