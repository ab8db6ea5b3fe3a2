export {
  type RunningRole,
  startNotifier,
  startProber,
  startScheduler,
  stopAll,
  syncConfigChecks,
} from './runtime/roles.js';
export { EXAMPLE_CONFIG, openRuntime, type Runtime, resolveConfig } from './runtime/runtime.js';
