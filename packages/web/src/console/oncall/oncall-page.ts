import { channelTarget, type EscalationTarget, onCallReport, type VigilConfig } from '@vigil/core';

type OnCallConfig = Pick<VigilConfig, 'schedules' | 'people' | 'escalations' | 'channels'>;

/** A person, schedule or channel as the page names it; a channel by id and kind, never its settings. */
export interface TargetView {
  kind: EscalationTarget['kind'];
  id: string;
  label: string;
}

export interface ScheduleView {
  id: string;
  name: string;
  timezone: string;
  now?: { id: string; name: string };
  until?: number;
  next?: { at: number; person?: { id: string; name: string } };
  /** Overrides not yet over, in the order the config gives them. */
  overrides: { person: { id: string; name: string }; start: number; end: number; active: boolean }[];
}

export interface EscalationView {
  id: string;
  levels: { afterMs: number; targets: TargetView[] }[];
  repeat: number;
  repeatAfterMs: number;
}

export interface OnCallPage {
  at: number;
  schedules: ScheduleView[];
  escalations: EscalationView[];
}

/**
 * The on-call page's facts from the config at `at`: who holds each schedule now and next, its
 * overrides, and each escalation policy's levels. Channels are named by id and kind only: their
 * settings hold tokens and webhook URLs.
 */
export function readOnCallPage(config: OnCallConfig, at: number): OnCallPage {
  const personOf = (id: string) => ({ id, name: config.people.find((person) => person.id === id)?.name ?? id });
  const report = onCallReport(config, at);
  const schedules = config.schedules.map((schedule, i): ScheduleView => {
    const row = report[i];
    const next = row?.next;
    return {
      id: schedule.id,
      name: schedule.name ?? schedule.id,
      timezone: schedule.timezone,
      ...(row?.person && { now: row.person }),
      ...(row?.until !== undefined && { until: row.until }),
      ...(next && { next: { at: next.at, ...(next.personId && { person: personOf(next.personId) }) } }),
      overrides: schedule.overrides
        .filter((override) => override.end > at)
        .map((override) => ({
          person: personOf(override.person),
          start: override.start,
          end: override.end,
          active: override.start <= at,
        })),
    };
  });
  const targetOf = (target: EscalationTarget): TargetView => {
    if (target.kind === 'person') return { ...target, label: personOf(target.id).name };
    if (target.kind === 'schedule') return { ...target, label: `schedule ${target.id}` };
    const channel = config.channels.find((c) => c.id === target.id);
    return { ...target, label: channel ? `${target.id} (${channelTarget(channel).kind})` : target.id };
  };
  const escalations = config.escalations.map((policy) => ({
    id: policy.id,
    levels: policy.levels.map((level) => ({ afterMs: level.after, targets: level.notify.map(targetOf) })),
    repeat: policy.repeat,
    repeatAfterMs: policy.repeatAfter,
  }));
  return { at, schedules, escalations };
}
