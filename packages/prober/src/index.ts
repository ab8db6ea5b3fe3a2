export { HostLimiter } from './net/host-limiter.js';
export type { HostResolver } from './net/resolve.js';
export { type ProbeOptions, runProbe } from './probe.js';
export { createProberContext, type ProberConfig, type ProberContext } from './prober-context.js';
export { ProbeMetrics } from './worker/probe-metrics.js';
export {
  type ProbeFunction,
  type ProbeJobOutcome,
  ProbeWorker,
  type ProbeWorkerOptions,
} from './worker/probe-worker.js';
export { ResultSink } from './worker/result-sink.js';
