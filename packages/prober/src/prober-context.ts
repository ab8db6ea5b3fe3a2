import {
  type ProberSettings,
  type Redis,
  type RoleConnections,
  type RoleContext,
  TargetAllowances,
  TargetGuard,
  type Vantage,
  type VigilConfig,
} from '@vigil/core';
import type { HostResolver } from './net/resolve.js';

/** The prober role's context, built once at role start: one vantage's connections, guard and settings. */
export interface ProberContext extends RoleContext {
  /** BullMQ's: the vantage's probe queue and the results queue (BullMQ duplicates it for blocking reads). */
  connection: Redis;
  vantage: Vantage;
  /** Refuses private and listed targets at connect time, as the web role does at registration. */
  guard: TargetGuard;
  /** A wider guard for a check vigil.yaml lets probe its private target (exactly that id and target). */
  allowances: TargetAllowances;
  settings: ProberSettings;
  /** Replaces the system resolver for every probe (tests give a name several loopback addresses). */
  resolve?: HostResolver;
}

/** What a prober takes from vigil.yaml. */
export type ProberConfig = Pick<
  VigilConfig,
  'allowPrivateTargets' | 'allowTargets' | 'prober' | 'privateTargetAllowances'
>;

/** Builds a prober's context on its process, its target guard from the config. */
export function createProberContext(
  base: RoleContext & Pick<RoleConnections, 'connection'>,
  input: { config: ProberConfig; vantage: Vantage },
): ProberContext {
  const { config, vantage } = input;
  const options = { allowPrivateTargets: config.allowPrivateTargets, allowTargets: config.allowTargets };
  return {
    redis: base.redis,
    keys: base.keys,
    clock: base.clock,
    log: base.log,
    connection: base.connection,
    vantage,
    guard: new TargetGuard(options),
    allowances: new TargetAllowances({ ...options, allowances: config.privateTargetAllowances }),
    settings: config.prober,
  };
}
