import { defineConfig } from 'vitest/config';

/**
 * Tests run the TypeScript sources: `@vigil/*` imports resolve through the `@vigil/source` export
 * condition, never the compiled dist/ (a list replaces Vite's defaults, so they are repeated). Node
 * tests resolve with `ssr.resolve`; `resolve` is for a browser-like environment. The `vigil`
 * processes the tests spawn are the compiled CLI, built by `pretest`.
 */
const SOURCE = '@vigil/source';

export default defineConfig({
  resolve: { conditions: [SOURCE, 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: [SOURCE, 'module', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
