/**
 * The dependency rules of DESIGN.md, checked on the import graph: roles import core only, core
 * imports no role, nobody imports another package's `src/…`, package.json declares what is
 * imported, and no file import cycle exists within a package. Exits 1 naming each violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const ROLES = ['scheduler', 'prober', 'notifier', 'web'];
/** Which workspace packages each package may import. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  scheduler: ['core'],
  prober: ['core'],
  notifier: ['core'],
  web: ['core'],
  cli: ['core', ...ROLES],
};

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? '').filter(Boolean);
}

const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies?: Record<string, string>;
};
/** Tools every package's tests may use, declared once at the root. */
const ROOT_DEV = new Set(Object.keys(rootManifest.devDependencies ?? {}));

const problems: string[] = [];
const packagesDir = join(ROOT, 'packages');
for (const pkg of readdirSync(packagesDir)) {
  const srcDir = join(packagesDir, pkg, 'src');
  const manifest = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
  ]);
  const allowed = ALLOWED[pkg];
  if (!allowed) problems.push(`packages/${pkg}: not in the dependency rules of scripts/check-boundaries.ts`);
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(srcDir)) {
    const rel = relative(ROOT, file);
    const edges: string[] = [];
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!target.startsWith(srcDir)) problems.push(`${rel}: relative import ${spec} leaves its package`);
        edges.push(target);
        continue;
      }
      if (spec.startsWith('node:')) continue;
      const [scope, name, ...deep] = spec.split('/');
      const pkgName = scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? '');
      if (pkgName.startsWith('@vigil/')) {
        const dep = pkgName.slice('@vigil/'.length);
        if (deep[0] === 'src') problems.push(`${rel}: deep import ${spec}; import from ${pkgName}`);
        const isTest = file.endsWith('.test.ts');
        if (!(isTest && dep === 'core') && allowed && !allowed.includes(dep) && dep !== pkg) {
          problems.push(`${rel}: ${pkg} may not import ${pkgName} (allowed: ${allowed.join(', ') || 'none'})`);
        }
      }
      const rootToolOk = file.endsWith('.test.ts') && ROOT_DEV.has(pkgName);
      if (pkgName !== `@vigil/${pkg}` && !declared.has(pkgName) && !rootToolOk) {
        problems.push(`${rel}: imports ${pkgName}, which packages/${pkg}/package.json does not declare`);
      }
    }
    graph.set(file, edges);
  }
  problems.push(...cycles(graph).map((cycle) => `import cycle: ${cycle.map((f) => relative(ROOT, f)).join(' → ')}`));
}

/** Every cycle found by a depth-first walk (each reported once, from where it was entered). */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

if (problems.length > 0) {
  process.stderr.write(`${problems.join('\n')}\n${problems.length} boundary problem(s)\n`);
  process.exit(1);
}
process.stdout.write('boundaries: packages depend downward only, no deep imports, no cycles\n');
