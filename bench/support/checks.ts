/**
 * Checks and probe targets for the benches, built through the same config validation a user's
 * vigil.yaml goes through, so they carry every default a real check has.
 */
import { type Check, type ProberSettings, type ProbeTarget, toProbeTarget, validateConfig } from '@vigil/core';

/**
 * A check from its input (without id), validated; the id is set by the caller. Bench targets are
 * loopback servers, so private targets are allowed as the benches' role configs allow them.
 */
export function templateCheck(input: Record<string, unknown>): Check {
  const config = validateConfig(
    { vantages: ['bench'], allowPrivateTargets: true, checks: [{ id: 'template', ...input }] },
    'bench fixture',
  );
  const [check] = config.checks;
  if (!check) throw new Error('bench fixture did not produce a check');
  return check;
}

/** `count` copies of `template` under ids `<prefix>-<i>`. */
export function checkSeries(template: Check, prefix: string, count: number): Check[] {
  return Array.from({ length: count }, (_, i) => ({ ...template, id: `${prefix}-${i}` }));
}

export function targetSeries(template: Check, prefix: string, count: number): ProbeTarget[] {
  return checkSeries(template, prefix, count).map(toProbeTarget);
}

/** The prober settings a vigil.yaml gets when it says nothing, with `overrides` on top. */
export function proberSettings(overrides: Partial<ProberSettings> = {}): ProberSettings {
  return { ...validateConfig({ vantages: ['bench'] }, 'bench fixture').prober, ...overrides };
}
