export { HostLimiter } from './host-limiter.js';
export { type ProbeOptions, runProbe } from './probe.js';
export { type ProbeJobOutcome, ProbeWorker, type ProbeWorkerOptions } from './probe-worker.js';
export { createProberContext, type ProberConfig, type ProberContext } from './prober-context.js';
export { ResultSink } from './result-sink.js';
