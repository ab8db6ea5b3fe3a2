// @ts-check
/**
 * `pnpm check:boundaries`: the dependency rules of DESIGN.md on the import graph of packages/*\/src
 * (type-only imports included): roles import core only, core imports no role, nobody imports
 * another package's files except through its exports, each package declares what it imports, and
 * no import cycle exists. Workspace imports resolve to the sources by the `@vigil/source` condition.
 */
import { readdirSync, readFileSync } from 'node:fs';

const ROLES = ['scheduler', 'prober', 'notifier', 'web'];
const PACKAGES = ['core', ...ROLES, 'cli'];

/** @param {string} path */
const readJson = (path) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
/** @param {string} text */
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * @typedef {{ name: string, exports?: Record<string, Record<string, string>>,
 *   dependencies?: Record<string, string>, devDependencies?: Record<string, string> }} Manifest
 */
/** Each workspace package's folder under packages/ and its package.json. */
const MANIFESTS = readdirSync(new URL('./packages/', import.meta.url)).map((dir) => ({
  dir,
  /** @type {Manifest} */
  manifest: readJson(`./packages/${dir}/package.json`),
}));

/** Every file a package exports (`@vigil/source` targets): the only files another package may import. */
const ENTRIES = MANIFESTS.flatMap(({ dir, manifest }) =>
  Object.values(manifest.exports ?? {}).map((entry) => `packages/${dir}/${entry['@vigil/source']?.slice(2)}`),
);

/**
 * One rule a package: the workspace packages it may reach are the ones its package.json declares.
 * (A workspace import resolves outside node_modules, so dependency-cruiser's npm checks do not see it.)
 * @returns {import('dependency-cruiser').IForbiddenRuleType[]}
 */
function declaredWorkspaceImports() {
  const dirOf = new Map(MANIFESTS.map(({ dir, manifest }) => [manifest.name, dir]));
  return MANIFESTS.map(({ dir, manifest }) => {
    const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
      .map((name) => dirOf.get(name))
      .filter((declaredDir) => declaredDir !== undefined);
    return {
      name: 'declared-workspace-dependencies',
      comment: "A workspace package a file imports is in its package's package.json.",
      severity: 'error',
      from: { path: `^packages/${escapeRegex(dir)}/` },
      to: { path: '^packages/', pathNot: [dir, ...declared].map((allowed) => `^packages/${escapeRegex(allowed)}/`) },
    };
  });
}

/** Tools every package's tests may use, declared once in the root package.json. */
const ROOT_DEV = Object.keys(readJson('./package.json').devDependencies ?? {});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'role-imports-core-only',
      comment: 'A role (scheduler, prober, notifier, web) imports @vigil/core and no other workspace package.',
      severity: 'error',
      from: { path: `^packages/(${ROLES.join('|')})/` },
      to: { path: '^packages/', pathNot: ['^packages/$1/', '^packages/core/'] },
    },
    {
      name: 'core-imports-no-role',
      comment: '@vigil/core is the bottom layer: it imports no other workspace package.',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { path: '^packages/', pathNot: '^packages/core/' },
    },
    {
      name: 'package-in-the-rules',
      comment: 'A package not named in .dependency-cruiser.mjs may import no other workspace package until it is.',
      severity: 'error',
      from: { path: `^packages/(?!(?:${PACKAGES.join('|')})/)([^/]+)/` },
      to: { path: '^packages/', pathNot: '^packages/$1/' },
    },
    {
      name: 'no-relative-import-across-packages',
      comment: 'Another package is imported by its name (`@vigil/core`), never by a relative path into it.',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: '^packages/$1/', dependencyTypes: ['local'] },
    },
    {
      name: 'no-deep-import',
      comment: "Another package's files are reached through its exports only (`@vigil/core`, never `…/src/…`).",
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: ['^packages/$1/', ...ENTRIES.map((entry) => `^${escapeRegex(entry)}$`)] },
    },
    {
      name: 'declared-dependencies',
      comment:
        "Every npm package a file imports is in its package's package.json (tests may also use the root's tools).",
      severity: 'error',
      from: { pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'declared-dependencies-in-tests',
      comment: "A test's npm imports are in its package's package.json or among the root's devDependencies.",
      severity: 'error',
      from: { path: '\\.test\\.ts$' },
      to: {
        dependencyTypes: ['npm-no-pkg', 'npm-unknown'],
        pathNot: `/node_modules/(?:${ROOT_DEV.map(escapeRegex).join('|')})/`,
      },
    },
    ...declaredWorkspaceImports(),
    {
      name: 'resolvable',
      comment: 'Every import resolves (a path outside the exports map, or a typo, does not).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-cycle',
      comment: 'No import cycle between files.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    exclude: { path: '^packages/[^/]+/dist/' },
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@vigil/source', 'import', 'require', 'node', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
