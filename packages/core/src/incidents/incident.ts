import type { ProbeErrorClass } from '../probes/probe-result.js';

export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** `major` for checks down, `minor` for checks that open incidents when degraded; fleet problems are `fleet`. */
export type IncidentImpact = 'major' | 'minor' | 'fleet';

/** One entry of an incident's timeline: written by Vigil (`by: 'vigil'`) or by a person. */
export interface IncidentUpdate {
  at: number;
  status: IncidentStatus;
  message: string;
  by: string;
}

/** One check's part in an incident: when it failed and recovered, by rounds (epoch ms). */
export interface IncidentMember {
  checkId: string;
  /**
   * The owner of the check when it joined: the incident stays its record (and not the next
   * owner's of the id, ids being reusable once a check is deleted). Absent for the operators' checks.
   */
  owner?: string;
  name: string;
  down: boolean;
  firstFailedRound: number;
  lastFailedRound: number;
  /** The last good round before the failure; absent when the check had never been seen up. */
  lastGoodBefore?: number;
  /** The first round of the recovery; set once it recovered. */
  firstGoodAfter?: number;
  vantagesFailing: string[];
  vantagesTotal: number;
  error?: ProbeErrorClass;
  message?: string;
  /** The check's addresses that were down when it joined (`alertOn: address`): the name still answered. */
  addresses?: IncidentAddress[];
}

/** One resolved address of a member check, down while its name still answered. */
export interface IncidentAddress {
  address: string;
  /** Its first failed round. */
  since: number;
  vantagesFailing: string[];
  vantagesTotal: number;
  error?: ProbeErrorClass;
}

/** "Unreachable for at least 2h50 and at most 4h04": what the rounds can and cannot tell. */
export interface DowntimeBounds {
  atLeastMs: number;
  atMostMs: number;
  /** False while something is still down: the figures are so far. */
  final: boolean;
}

export interface Incident {
  id: string;
  title: string;
  /** What it groups: `component:api`, `check:api-health`, `vantage:eu-west`, `fleet:blind`. */
  group: string;
  impact: IncidentImpact;
  severity: 'critical' | 'major' | 'minor' | 'info';
  status: IncidentStatus;
  component?: string;
  /** Escalation policy paging it; absent when nobody is to be paged. */
  escalation?: string;
  /** Bumped on reopen: pages of a new episode are new pages. */
  episode: number;
  startedAt: number;
  detectedAt: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  resolvedAt?: number;
  resolvedBy?: string;
  members: IncidentMember[];
  updates: IncidentUpdate[];
}

/** Counts a page needs: how many of the group's checks are down now. */
export function membersDown(incident: Pick<Incident, 'members'>): IncidentMember[] {
  return incident.members.filter((member) => member.down);
}

/**
 * Downtime from the members' rounds: at least from the first failed round to the last failed round,
 * at most from the last good round before to the first good round after (or to `now` while open).
 */
export function downtimeBounds(incident: Pick<Incident, 'members' | 'startedAt'>, now: number): DowntimeBounds {
  const members = incident.members;
  if (members.length === 0) return { atLeastMs: 0, atMostMs: 0, final: true };
  const firstFailed = Math.min(...members.map((m) => m.firstFailedRound));
  const lastFailed = Math.max(...members.map((m) => m.lastFailedRound));
  const lastGood = Math.min(...members.map((m) => m.lastGoodBefore ?? m.firstFailedRound));
  const final = members.every((m) => !m.down && m.firstGoodAfter !== undefined);
  const firstGoodAfter = final ? Math.max(...members.map((m) => m.firstGoodAfter ?? now)) : now;
  return { atLeastMs: Math.max(0, lastFailed - firstFailed), atMostMs: Math.max(0, firstGoodAfter - lastGood), final };
}

/** `2h50m` style, minutes precision above an hour, seconds below: for titles and pages. */
export function formatDowntime(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return `${h}h${String(m % 60).padStart(2, '0')}`;
}
