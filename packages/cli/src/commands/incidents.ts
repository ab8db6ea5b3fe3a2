import { readFile } from 'node:fs/promises';
import { downtimeBounds, formatDowntime, INCIDENT_STATUSES, type Incident, membersDown, VigilError } from '@vigil/core';
import type { ApiClient } from '../api-client.js';
import type { CliContext } from '../cli-context.js';
import { formatAge, renderTable } from '../output/table.js';

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
  const addresses = incident.members.flatMap((m) => (m.addresses ?? []).map((address) => ({ member: m, address })));
  if (addresses.length > 0) {
    lines.push('', 'Addresses down while their name answered:');
    for (const { member, address } of addresses) {
      const from = `${address.vantagesFailing.length}/${address.vantagesTotal} vantages`;
      const until = member.firstGoodAfter !== undefined && !member.down ? ` until ${iso(member.firstGoodAfter)}` : '';
      lines.push(`  ${member.checkId}  ${address.address} failing from ${from} since ${iso(address.since)}${until}`);
    }
  }
  lines.push('', 'Timeline:');
  for (const update of incident.updates)
    lines.push(`  ${iso(update.at)}  ${update.status.padEnd(13)} ${update.message} (${update.by})`);
  return lines.join('\n');
}

const incidentPath = (id: string) => `/api/v1/incidents/${encodeURIComponent(id)}`;

/** A page of `GET /api/v1/incidents`. */
interface IncidentPage {
  items: Incident[];
  total: number;
}

/** Largest page the API serves. */
const PAGE = 200;

async function listIncidents(api: ApiClient, all: boolean): Promise<Incident[]> {
  const incidents: Incident[] = [];
  for (;;) {
    const page = await api.get<IncidentPage>('/api/v1/incidents', {
      status: all ? 'all' : 'open',
      limit: PAGE,
      offset: incidents.length,
    });
    incidents.push(...page.items);
    if (page.items.length === 0 || incidents.length >= page.total) return incidents;
  }
}

export type IncidentAction =
  | { kind: 'ls'; all: boolean; json: boolean }
  | { kind: 'show'; id: string; json: boolean }
  | { kind: 'ack'; id: string }
  | { kind: 'resolve'; id: string; message?: string }
  | { kind: 'update'; id: string; status: string; message: string }
  | { kind: 'postmortem'; id: string; file?: string; delete: boolean };

type Outcome<T extends string> = { outcome: T; incident: Incident };

function checkUpdate(action: { status: string; message: string }): void {
  if (!(INCIDENT_STATUSES as readonly string[]).includes(action.status)) {
    throw new VigilError(
      'VALIDATION',
      `--status: expected one of ${INCIDENT_STATUSES.join(', ')}, got ${JSON.stringify(action.status)}`,
    );
  }
  if (action.message.trim() === '') throw new VigilError('VALIDATION', '--message: expected some text');
}

async function resolve(cli: CliContext, id: string, message: string | undefined) {
  const body = message === undefined ? {} : { message };
  const { outcome, incident } = await cli
    .api()
    .post<Outcome<'resolved' | 'already'>>(`${incidentPath(id)}/resolve`, body);
  cli.out(
    outcome === 'resolved'
      ? `Incident ${id} resolved. Recorded as ${incident.resolvedBy ?? 'this token'}.`
      : `Incident ${id} was already resolved.`,
  );
}

/** The postmortem's Markdown from its file; an unreadable or empty file is bad input naming it. */
async function markdownFrom(file: string): Promise<string> {
  let markdown: string;
  try {
    markdown = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new VigilError('VALIDATION', `-f: cannot read ${file}: ${reason}`, [{ path: '-f', message: reason }]);
  }
  if (markdown.trim() === '') throw new VigilError('VALIDATION', `-f: ${file} is empty; expected Markdown`);
  return markdown;
}

/** Publishes (or revises) a resolved incident's postmortem from a Markdown file, or withdraws it. */
async function postmortem(cli: CliContext, action: Extract<IncidentAction, { kind: 'postmortem' }>): Promise<void> {
  const path = `${incidentPath(action.id)}/postmortem`;
  if (action.delete === (action.file !== undefined)) {
    throw new VigilError('VALIDATION', 'expected either -f FILE.md (publish) or --delete (withdraw)');
  }
  if (action.file === undefined) {
    await cli.api().delete(path);
    cli.out(`Postmortem of incident ${action.id} withdrawn.`);
    return;
  }
  const markdown = await markdownFrom(action.file);
  const published = await cli.api().put<{ by: string }>(path, { markdown });
  cli.out(`Postmortem of incident ${action.id} published from ${action.file}. Recorded as ${published.by}.`);
}

/** `vigil incidents …` through the API; every change is recorded as the token's identity (owner and name). */
export async function incidentsCommand(cli: CliContext, action: IncidentAction): Promise<void> {
  const now = Date.now();
  switch (action.kind) {
    case 'ls': {
      const incidents = await listIncidents(cli.api(), action.all);
      cli.out(action.json ? JSON.stringify(incidents) : renderIncidentList(incidents, now));
      return;
    }
    case 'show': {
      const incident = await cli.api().get<Incident>(incidentPath(action.id));
      cli.out(action.json ? JSON.stringify(incident) : renderIncident(incident, now));
      return;
    }
    case 'ack': {
      const { outcome, incident } = await cli
        .api()
        .post<Outcome<'acknowledged' | 'already' | 'resolved'>>(`${incidentPath(action.id)}/ack`, {});
      if (outcome === 'acknowledged')
        cli.out(`Incident ${action.id} acknowledged by ${incident.acknowledgedBy}; escalation stopped.`);
      else if (outcome === 'already')
        cli.out(`Incident ${action.id} was already acknowledged by ${incident.acknowledgedBy}.`);
      else cli.out(`Incident ${action.id} is already resolved.`);
      return;
    }
    case 'resolve':
      return resolve(cli, action.id, action.message);
    case 'update': {
      checkUpdate(action);
      if (action.status === 'resolved') return resolve(cli, action.id, action.message);
      const updated = await cli
        .api()
        .post<Incident>(`${incidentPath(action.id)}/updates`, { status: action.status, message: action.message });
      cli.out(
        `Incident ${action.id} updated: ${action.status}. Recorded as ${updated.updates.at(-1)?.by ?? 'this token'}.`,
      );
      return;
    }
    case 'postmortem':
      return postmortem(cli, action);
  }
}
