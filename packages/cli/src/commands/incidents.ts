import { userInfo } from 'node:os';
import {
  downtimeBounds,
  formatDowntime,
  INCIDENT_STATUSES,
  type Incident,
  type IncidentStatus,
  IncidentStore,
  membersDown,
  systemClock,
  VigilError,
} from '@vigil/core';
import type { Runtime } from '../runtime.js';
import { formatAge, renderTable } from '../table.js';

/** Who a CLI action is recorded as: `--by`, else the local user. */
export function actor(by: string | undefined): string {
  if (by !== undefined && by.trim() !== '') return by.trim().slice(0, 100);
  try {
    return `${userInfo().username} (cli)`;
  } catch {
    return 'cli';
  }
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

function summary(incident: Incident, now: number): string[] {
  const down = membersDown(incident).length;
  const checks = incident.members.length > 0 ? `${down}/${incident.members.length} down` : '-';
  return [
    incident.id,
    incident.status,
    incident.acknowledgedBy ? 'yes' : 'no',
    checks,
    formatAge(now - incident.startedAt),
    incident.title.slice(0, 60),
  ];
}

export function renderIncidentList(incidents: Incident[], now: number): string {
  if (incidents.length === 0) return 'No incidents.';
  return renderTable(
    ['ID', 'STATUS', 'ACKED', 'CHECKS', 'AGE', 'TITLE'],
    incidents.map((i) => summary(i, now)),
  );
}

export function renderIncident(incident: Incident, now: number): string {
  const bounds = downtimeBounds(incident, now);
  const lines = [
    `Incident ${incident.id}: ${incident.title}`,
    `  status        ${incident.status}${incident.component ? `   component ${incident.component}` : ''}   severity ${incident.severity}`,
    `  started       ${iso(incident.startedAt)}   detected ${iso(incident.detectedAt)}`,
    `  acknowledged  ${incident.acknowledgedAt ? `${iso(incident.acknowledgedAt)} by ${incident.acknowledgedBy}` : 'no'}`,
    `  resolved      ${incident.resolvedAt ? `${iso(incident.resolvedAt)} by ${incident.resolvedBy}` : 'no'}`,
    `  downtime      at least ${formatDowntime(bounds.atLeastMs)}, at most ${formatDowntime(bounds.atMostMs)}${bounds.final ? '' : ' (so far)'}`,
  ];
  if (incident.members.length > 0) {
    lines.push(
      '',
      renderTable(
        ['CHECK', 'STATE', 'FAILING', 'ERROR'],
        incident.members.map((m) => [
          m.checkId,
          m.down ? 'down' : 'recovered',
          `${m.vantagesFailing.length}/${m.vantagesTotal}`,
          `${m.error ?? ''}${m.message ? `: ${m.message}` : ''}`.slice(0, 80),
        ]),
      ),
    );
  }
  lines.push('', 'Timeline:');
  for (const update of incident.updates)
    lines.push(`  ${iso(update.at)}  ${update.status.padEnd(13)} ${update.message} (${update.by})`);
  return lines.join('\n');
}

async function load(store: IncidentStore, id: string): Promise<Incident> {
  const incident = await store.get(id);
  if (!incident) throw new VigilError('NOT_FOUND', `incident ${id} does not exist (see \`vigil incidents ls\`)`);
  return incident;
}

export type IncidentAction =
  | { kind: 'ls'; all: boolean; json: boolean }
  | { kind: 'show'; id: string; json: boolean }
  | { kind: 'ack'; id: string; by?: string }
  | { kind: 'resolve'; id: string; by?: string; message?: string }
  | { kind: 'update'; id: string; by?: string; status: string; message: string };

/** `vigil incidents …`, straight against Redis until the API lands; returns the exit code. */
export async function incidentsCommand(runtime: Runtime, action: IncidentAction): Promise<number> {
  const store = new IncidentStore(runtime);
  const now = systemClock.now();
  const out = (text: string) => process.stdout.write(`${text}\n`);
  switch (action.kind) {
    case 'ls': {
      const incidents = action.all ? await store.list({ limit: 100 }) : await store.listOpen();
      out(action.json ? JSON.stringify(incidents) : renderIncidentList(incidents, now));
      return 0;
    }
    case 'show': {
      const incident = await load(store, action.id);
      out(action.json ? JSON.stringify(incident) : renderIncident(incident, now));
      return 0;
    }
    case 'ack': {
      const outcome = await store.acknowledge(action.id, actor(action.by), now);
      const incident = await load(store, action.id);
      if (outcome === 'acknowledged')
        out(`Incident ${action.id} acknowledged by ${incident.acknowledgedBy}; escalation stopped.`);
      else if (outcome === 'already')
        out(`Incident ${action.id} was already acknowledged by ${incident.acknowledgedBy}.`);
      else out(`Incident ${action.id} is already resolved.`);
      return 0;
    }
    case 'resolve': {
      const by = actor(action.by);
      const outcome = await store.resolve(action.id, by, now, action.message ?? `Resolved by ${by}.`);
      out(outcome === 'resolved' ? `Incident ${action.id} resolved.` : `Incident ${action.id} was already resolved.`);
      return 0;
    }
    case 'update': {
      if (!(INCIDENT_STATUSES as readonly string[]).includes(action.status)) {
        throw new VigilError(
          'VALIDATION',
          `--status: expected one of ${INCIDENT_STATUSES.join(', ')}, got ${JSON.stringify(action.status)}`,
        );
      }
      if (action.message.trim() === '') throw new VigilError('VALIDATION', '--message: expected some text');
      await store.addUpdate(
        action.id,
        { by: actor(action.by), status: action.status as IncidentStatus, message: action.message },
        now,
      );
      out(`Incident ${action.id} updated: ${action.status}.`);
      return 0;
    }
  }
}
