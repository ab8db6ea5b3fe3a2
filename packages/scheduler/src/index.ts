export { type DesiredScheduler, desiredSchedulers, vantagesFor } from './desired-schedulers.js';
export { LeaderLease } from './leader-lease.js';
export { roundOffset } from './offset.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { createSchedulerContext, type SchedulerContext } from './scheduler-context.js';
export { PROBE_JOB_OPTIONS, SchedulerSync, type SyncReport } from './scheduler-sync.js';
