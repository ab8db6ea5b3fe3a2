export { type DesiredScheduler, desiredSchedulers, SLOT_CHUNK_SIZE, slotSchedulerId } from './desired-schedulers.js';
export type { DesiredState } from './desired-state.js';
export { LeaderLease } from './leader-lease.js';
export { roundOffset, SLOT_WIDTH_MS, slotOffset } from './offset.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { createSchedulerContext, type SchedulerContext } from './scheduler-context.js';
export { type ApplyScope, PROBE_JOB_OPTIONS, SchedulerSync, type SyncReport } from './scheduler-sync.js';
export { type PlannedCheck, SlotPlan, type SlotPlanOptions } from './slot-plan.js';
