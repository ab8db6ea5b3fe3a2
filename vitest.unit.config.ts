import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `pnpm test:unit`: the tests beside the code that need nothing but Node and Redis, for the edit-test
 * loop. `pnpm test` (vitest.config.ts) still runs everything.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['packages/*/src/**/*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      // promtool checks the metrics text: Prometheus.
      'packages/core/src/runtime/http/role-server.test.ts',
      'packages/notifier/src/notifier-metrics.test.ts',
      'packages/prober/src/worker/probe-metrics.test.ts',
      // Child processes: a logger under `script` for a terminal; a private redis-server; a test Redis Cluster.
      'packages/core/src/runtime/logger.test.ts',
      'packages/cli/src/runtime/redis-bootstrap.test.ts',
      'packages/core/src/runtime/sharded-cluster.test.ts',
      'packages/notifier/src/evaluation/address-states-cluster.test.ts',
      // Thousands of fuzzed requests a route: the slowest file beside the code by far.
      'packages/web/src/api/fuzz.test.ts',
    ],
  },
});
