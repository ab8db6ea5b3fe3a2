/**
 * An internal incident as the public sees it: which public components it touches, and a timeline in
 * public wording. Vigil's own entries name checks, targets, errors and vantages, so they are rewritten
 * from counts and component names only; people's updates are shown as written.
 */
import { type DowntimeBounds, downtimeBounds, type Incident, type IncidentUpdate } from '../incidents/incident.js';
import type { PublicImpact, PublicIncident, PublicIncidentUpdate } from './public-status.js';

/** What the mapping needs to know about the page: its components and where each check belongs. */
export interface PublicScope {
  /** Public component id → name, in page order. */
  components: ReadonlyMap<string, string>;
  /** Check id → its component id, for every check (public or not). */
  componentOfCheck: ReadonlyMap<string, string>;
  /** Check id → its owner, for the checks an owner registered. */
  ownerOfCheck: ReadonlyMap<string, string>;
}

/** The parts of an incident that decide whether it is public (cheap to read for a whole history). */
export interface IncidentReach {
  impact: Incident['impact'];
  group: string;
  component?: string;
  /** Member checks, with the owner each was recorded for (absent: the operators', or from before owners were). */
  members: readonly { checkId: string; owner?: string | undefined }[];
}

/** Groups of incidents about checks; `vantage:` and `fleet:` groups are the fleet's own business. */
const PUBLIC_GROUPS = ['component:', 'check:'];

/** The public components an incident affects, in page order; empty means the incident is not public. */
export function publicComponentsOf(reach: IncidentReach, scope: PublicScope): string[] {
  if (reach.impact === 'fleet' || !PUBLIC_GROUPS.some((prefix) => reach.group.startsWith(prefix))) return [];
  const touched = new Set<string>();
  if (reach.component !== undefined) touched.add(reach.component);
  for (const { checkId, owner } of reach.members) {
    // Recorded for another owner: a deleted check's, whose id now names someone else's check and component.
    if (owner !== undefined && owner !== scope.ownerOfCheck.get(checkId)) continue;
    const component = scope.componentOfCheck.get(checkId);
    if (component !== undefined) touched.add(component);
  }
  return [...scope.components.keys()].filter((id) => touched.has(id));
}

/** The public view of `incident`, or undefined when it touches no public component. */
export function toPublicIncident(
  incident: Incident,
  scope: PublicScope,
  options: { now: number; postmortem?: { markdown: string; publishedAt: number } },
): PublicIncident | undefined {
  const components = publicComponentsOf(incident, scope);
  if (components.length === 0) return undefined;
  const subject = components.map((id) => scope.components.get(id) ?? id).join(', ');
  const downtime = downtimeBounds(incident, options.now);
  const updates = publicUpdates(incident, { subject, downtime });
  const { postmortem } = options;
  return {
    id: incident.id,
    name: `${subject} ${incident.impact === 'minor' ? 'degraded' : 'outage'}`,
    status: postmortem ? 'postmortem' : incident.status,
    impact: publicImpact(incident),
    createdAt: incident.detectedAt,
    updatedAt: Math.max(incident.detectedAt, ...updates.map((update) => update.at)),
    startedAt: incident.startedAt,
    ...(incident.resolvedAt !== undefined && { resolvedAt: incident.resolvedAt }),
    components,
    updates,
    downtime,
    ...(postmortem && { postmortem }),
  };
}

function publicImpact(incident: Incident): PublicImpact {
  if (incident.impact === 'minor') return 'minor';
  return incident.severity === 'critical' ? 'critical' : 'major';
}

interface WordingContext {
  subject: string;
  downtime: DowntimeBounds;
  degraded: boolean;
  affected: number;
  /** Index of the entry that resolved the incident for good (bounds come from the members then). */
  finalResolve: number;
}

/** The timeline, newest first; ids keep the entry's index in the internal timeline, so they stay stable. */
function publicUpdates(
  incident: Incident,
  base: { subject: string; downtime: DowntimeBounds },
): PublicIncidentUpdate[] {
  const finalResolve = incident.status === 'resolved' ? lastIndexOf(incident.updates, 'resolved') : -1;
  const context: WordingContext = {
    ...base,
    degraded: incident.impact === 'minor',
    affected: incident.members.length,
    finalResolve,
  };
  const out: PublicIncidentUpdate[] = [];
  incident.updates.forEach((update, index) => {
    const message = publicMessage(update, index, context);
    if (message === undefined) return;
    out.push({
      id: `${incident.id}-${index}`,
      at: update.at,
      status: update.status,
      message,
      human: update.by !== 'vigil',
    });
  });
  return out.reverse();
}

function lastIndexOf(updates: readonly IncidentUpdate[], status: IncidentUpdate['status']): number {
  for (let i = updates.length - 1; i >= 0; i--) if (updates[i]?.status === status) return i;
  return -1;
}

/** The public wording of one entry; undefined for entries the public has no use for (acknowledgements). */
function publicMessage(update: IncidentUpdate, index: number, context: WordingContext): string | undefined {
  const { subject } = context;
  if (update.by !== 'vigil') {
    // The store's own acknowledge and resolve entries name a person: internal, or reworded.
    if (update.message === `Acknowledged by ${update.by}.`) return undefined;
    if (update.status === 'resolved' && update.message === `Resolved by ${update.by}.`) {
      return resolvedWording(update, index, context);
    }
    return update.message;
  }
  if (index === 0) return `We are investigating problems with ${subject}.`;
  if (update.message.startsWith('Reopened:')) return `The problem with ${subject} is back; we are investigating.`;
  if (update.status === 'resolved') return resolvedWording(update, index, context);
  const stillDown = trailingCount(update.message);
  if (stillDown === undefined || context.affected === 0) return `We are still investigating problems with ${subject}.`;
  const up = Math.max(0, context.affected - stillDown);
  return `Partially recovered: ${up} of ${context.affected} affected checks are up again; we are still investigating.`;
}

function resolvedWording(update: IncidentUpdate, index: number, context: WordingContext): string {
  const head = `${context.subject} is working normally again.`;
  // The members' rounds describe the last episode only; an earlier episode's entry carries its own bounds.
  const bounds = index === context.finalResolve ? context.downtime : boundsInMessage(update.message);
  if (!bounds) return head;
  const what = context.degraded ? 'degraded' : 'unavailable';
  return `${head} It was ${what} for at least ${humanDuration(bounds.atLeastMs)} and at most ${humanDuration(bounds.atMostMs)}.`;
}

/** The partial-recovery entries end with the count of checks still failing ("…: 3."). */
function trailingCount(message: string): number | undefined {
  const match = /(\d+)\.?\s*$/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** Vigil's resolved entries end "Down for at least 2h50 and at most 4h04." (the Lua `fmt` format). */
function boundsInMessage(message: string): Pick<DowntimeBounds, 'atLeastMs' | 'atMostMs'> | undefined {
  const match = /at least (\S+) and at most (\S+)\.$/.exec(message);
  const atLeastMs = match?.[1] ? parseLuaDuration(match[1]) : undefined;
  const atMostMs = match?.[2] ? parseLuaDuration(match[2]) : undefined;
  return atLeastMs === undefined || atMostMs === undefined ? undefined : { atLeastMs, atMostMs };
}

/** Parses `45s`, `5m`, `4m05s` and `2h50`, as `formatDowntime` and the incident scripts write them. */
function parseLuaDuration(text: string): number | undefined {
  const match = /^(?:(\d+)h(\d{2})|(\d+)m(?:(\d{2})s)?|(\d+)s)$/.exec(text);
  if (!match) return undefined;
  const [, h, hm, m, ms, s] = match.map((part) => Number(part ?? 0));
  return ((h ?? 0) * 3600 + ((hm ?? 0) + (m ?? 0)) * 60 + (ms ?? 0) + (s ?? 0)) * 1000;
}

/** "2h 50m", "45m", "1d 4h", "30s": what a reader of a status page expects. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}
