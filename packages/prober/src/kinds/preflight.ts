import type { Logger } from '@vigil/core';
import type { AnyProberKindModule } from './prober-kind.js';
import { proberKinds } from './registry.js';

/** Every kind's start-time check (ICMP: can this prober ping?), each saying once what it lacks. */
export async function preflightKinds(log: Logger): Promise<void> {
  const modules: AnyProberKindModule[] = Object.values(proberKinds);
  await Promise.all(modules.map((module) => module.preflight?.(log)));
}
