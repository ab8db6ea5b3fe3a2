import {
  downtimeBounds,
  formatDowntime,
  type Incident,
  type IncidentAddress,
  type IncidentMember,
  membersDown,
} from '@vigil/core';
import type { Page } from './channel.js';

/** How many checks a page lists before "and N more": enough to see the pattern, short enough to read. */
export const MEMBER_LIMIT = 20;
const MESSAGE_LIMIT = 300;
const VANTAGE_LIMIT = 10;

/** A page for a person: one subject line, and the same facts as plain text and as (escaped) HTML. */
export interface RenderedPage {
  subject: string;
  text: string;
  html: string;
}

/** One check listed on a page: its name and a few short lines about it. */
interface MemberLines {
  name: string;
  lines: string[];
}

/** What an email shows, decided once so its text and HTML versions never disagree. */
interface PageModel {
  subject: string;
  facts: [label: string, value: string][];
  membersHeading: string;
  members: MemberLines[];
  omitted: number;
  links: [label: string, url: string][];
  footer: string;
}

/** The subject line and body of a page: what is down, since when, and the link that stops the escalation. */
export function renderPage(page: Page): RenderedPage {
  const model = pageModel(page);
  return { subject: model.subject, text: renderText(model), html: renderHtml(model) };
}

/** The one-line summary of a page, e.g. `[DOWN] api: 3 of 3 checks down — connect_refused`. */
export function pageSubject(page: Page): string {
  return `${subjectTag(page)} ${pageHeadline(page)}`;
}

/** The checks a page is about: the down ones (all of them on a resolve, or when none is down), earliest first. */
export function affectedMembers(page: Page): IncidentMember[] {
  const down = membersDown(page.incident);
  const affected = page.action === 'resolve' || down.length === 0 ? page.incident.members : down;
  return [...affected].sort((a, b) => a.firstFailedRound - b.firstFailedRound);
}

/** The affected checks a page lists, capped at `limit`, and how many it leaves out. */
export function listedMembers(page: Page, limit = MEMBER_LIMIT): { members: IncidentMember[]; omitted: number } {
  const affected = affectedMembers(page);
  return { members: affected.slice(0, limit), omitted: Math.max(0, affected.length - limit) };
}

/** `down`, or `degraded` for incidents opened on degradation. */
export function incidentState(incident: Incident): 'down' | 'degraded' {
  return incident.impact === 'minor' ? 'degraded' : 'down';
}

/** Short lines about one check: since when, from how many vantages, and why. */
export function memberLines(member: IncidentMember, now: number): string[] {
  const lines: string[] = [];
  if (member.down) lines.push(`down since ${formatInstant(member.firstFailedRound, now)}`);
  else if (member.firstGoodAfter !== undefined)
    lines.push(`down from ${isoUtc(member.firstFailedRound)} until ${isoUtc(member.firstGoodAfter)}`);
  else lines.push(`failing since ${formatInstant(member.firstFailedRound, now)}`);
  lines.push(vantageLine(member));
  for (const address of member.addresses ?? []) lines.push(addressLine(address, member, now));
  const why = errorLine(member);
  if (why) lines.push(why);
  return lines;
}

/** `address 5.104.101.30 failing from 3 of 3 vantages since …`, or `… was down from … until …`. */
function addressLine(address: IncidentAddress, member: IncidentMember, now: number): string {
  const from = `${address.vantagesFailing.length} of ${address.vantagesTotal} vantages`;
  if (!member.down && member.firstGoodAfter !== undefined)
    return `address ${address.address} failed from ${from}, from ${isoUtc(address.since)} until ${isoUtc(member.firstGoodAfter)}`;
  return `address ${address.address} failing from ${from} since ${formatInstant(address.since, now)}${address.error ? ` (${address.error})` : ''}`;
}

/** The error classes of the checks, most frequent first: the first is the likeliest common cause. */
export function errorClasses(members: IncidentMember[]): string[] {
  const counts = new Map<string, number>();
  for (const member of members) if (member.error) counts.set(member.error, (counts.get(member.error) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([error]) => error);
}

/** The error classes in a few words: `connect_refused`, `dns, timeout +2 more`. */
export function errorSummary(members: IncidentMember[]): string {
  const classes = errorClasses(members);
  const shown = classes.slice(0, 2).join(', ');
  return classes.length > 2 ? `${shown} +${classes.length - 2} more` : shown;
}

/** The vantages failing any of the checks, e.g. `eu-west, us-east (2 of 3)`: one region or everywhere? */
export function vantagesSummary(members: IncidentMember[]): string {
  const failing = [...new Set(members.flatMap((member) => member.vantagesFailing))].sort();
  const total = Math.max(0, ...members.map((member) => member.vantagesTotal));
  const names = failing.slice(0, VANTAGE_LIMIT).map(oneLine).join(', ');
  const more = failing.length > VANTAGE_LIMIT ? ` +${failing.length - VANTAGE_LIMIT} more` : '';
  return failing.length === 0 ? `0 of ${total}` : `${names}${more} (${failing.length} of ${total})`;
}

/** `2026-11-20T12:00:00Z (12m ago)`: absolute for the record, relative for the sleepy reader. */
export function formatInstant(at: number, now: number): string {
  const diff = now - at;
  const relative = diff >= 0 ? `${formatDowntime(diff)} ago` : `in ${formatDowntime(-diff)}`;
  return `${isoUtc(at)} (${relative})`;
}

/** Second precision, `Z` suffix: what an engineer compares against logs in any timezone. */
export function isoUtc(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `at least 2h50 and at most 4h04`, with ` so far` while something is still down. */
export function downtimeText(page: Page): string {
  const bounds = downtimeBounds(page.incident, page.at);
  const text = `at least ${formatDowntime(bounds.atLeastMs)} and at most ${formatDowntime(bounds.atMostMs)}`;
  return bounds.final ? text : `${text} so far`;
}

/** Whether a link may become an href: only http(s), so a stray `javascript:` URL stays inert text. */
export function isWebUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** Caps free text (probe messages, titles) so one long value cannot bury the rest of a page. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Names and messages on one line: a newline in a check name must not forge a header or a new fact. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function pageModel(page: Page): PageModel {
  const { members, omitted } = listedMembers(page);
  const total = members.length + omitted;
  const subject = truncate(pageSubject(page), 250);
  const state = incidentState(page.incident);
  return {
    subject,
    facts: pageFacts(page),
    membersHeading:
      page.action === 'resolve' ? `Checks (${total})` : `Checks ${state} (${total} of ${page.incident.members.length})`,
    members: members.map((member) => ({ name: oneLine(member.name), lines: memberLines(member, page.at) })),
    omitted,
    links: pageLinks(page),
    footer: pageFooter(page),
  };
}

function subjectTag(page: Page): string {
  if (page.action === 'acknowledge') return '[ACK]';
  if (page.action === 'resolve') return '[RESOLVED]';
  return `[${incidentState(page.incident).toUpperCase()}]`;
}

/** The summary without its tag: who is affected, how many, and why (or for how long, once resolved). */
function pageHeadline(page: Page): string {
  const { incident } = page;
  if (incident.members.length === 0)
    return page.late ? lateHeadline(page, oneLine(incident.title)) : withAck(page, oneLine(incident.title));
  const label = oneLine(page.componentName ?? incident.component ?? incident.title);
  const only = incident.members.length === 1 ? incident.members[0] : undefined;
  const who = only ? oneLine(only.name) : undefined;
  const prefix = who === label ? '' : `${label}: `;
  if (page.late) return `${prefix}${lateHeadline(page, who ?? `${incident.members.length} checks`, !who)}`;
  if (page.action === 'resolve') {
    const bounds = downtimeBounds(incident, page.at);
    const what = !bounds.final
      ? `resolved by ${oneLine(incident.resolvedBy ?? 'an operator')}`
      : `${who ?? `${incident.members.length} checks`} back up`;
    return `${prefix}${what} after ${downtimeText(page)}`;
  }
  const affected = affectedMembers(page);
  const count = who ?? `${affected.length} of ${incident.members.length} checks`;
  const errors = errorSummary(affected);
  return withAck(page, `${prefix}${count} ${incidentState(incident)}${errors ? ` — ${errors}` : ''}`);
}

/** `api-health was down from … to …, your page could not be delivered in time` (`who`: what was down). */
export function lateHeadline(page: Page, who: string, many = false): string {
  const { incident } = page;
  const to = isoUtc(incident.resolvedAt ?? page.at);
  const verb = many ? 'were' : 'was';
  return `${who} ${verb} down from ${isoUtc(incident.startedAt)} to ${to}, your page could not be delivered in time`;
}

function withAck(page: Page, summary: string): string {
  if (page.action !== 'acknowledge') return summary;
  const by = page.incident.acknowledgedBy;
  return `${summary} (acknowledged${by ? ` by ${oneLine(by)}` : ''})`;
}

function pageFacts(page: Page): [string, string][] {
  const { incident } = page;
  const facts: [string, string][] = [['Incident', oneLine(incident.title)]];
  if (incident.component) {
    const name =
      page.componentName && page.componentName !== incident.component
        ? `${page.componentName} (${incident.component})`
        : incident.component;
    facts.push(['Component', oneLine(name)]);
  }
  facts.push(['Severity', `${incident.severity} (impact ${incident.impact}, status ${incident.status})`]);
  facts.push(['Started', formatInstant(incident.startedAt, page.at)]);
  facts.push(['Detected', formatInstant(incident.detectedAt, page.at)]);
  if (incident.acknowledgedAt !== undefined)
    facts.push([
      'Acknowledged',
      `${formatInstant(incident.acknowledgedAt, page.at)} by ${oneLine(incident.acknowledgedBy ?? 'someone')}`,
    ]);
  if (incident.resolvedAt !== undefined)
    facts.push([
      'Resolved',
      `${formatInstant(incident.resolvedAt, page.at)} by ${oneLine(incident.resolvedBy ?? 'vigil')}`,
    ]);
  if (incident.members.length > 0) facts.push(['Downtime', downtimeText(page)]);
  return facts;
}

function pageLinks(page: Page): [string, string][] {
  const links: [string, string][] = [];
  if (page.links.ack) links.push(['Acknowledge', page.links.ack]);
  if (page.links.incident) links.push(['Incident page', page.links.incident]);
  if (page.links.statusPage) links.push(['Status page', page.links.statusPage]);
  return links;
}

function pageFooter(page: Page): string {
  const to = page.recipient ? ` to ${oneLine(page.recipient.name)}` : '';
  return `Sent by Vigil${to} (escalation level ${page.level + 1}, cycle ${page.cycle + 1}). Dedup key: ${page.dedupKey}`;
}

function vantageLine(member: IncidentMember): string {
  const names = member.vantagesFailing.slice(0, VANTAGE_LIMIT).map(oneLine);
  const more =
    member.vantagesFailing.length > VANTAGE_LIMIT ? ` +${member.vantagesFailing.length - VANTAGE_LIMIT} more` : '';
  const list = names.length > 0 ? `: ${names.join(', ')}${more}` : '';
  const verb = member.down ? 'failing' : 'failed';
  return `${verb} from ${member.vantagesFailing.length} of ${member.vantagesTotal} vantages${list}`;
}

function errorLine(member: IncidentMember): string | undefined {
  const message = member.message ? truncate(oneLine(member.message), MESSAGE_LIMIT) : undefined;
  if (member.error && message) return `${member.error}: ${message}`;
  return member.error ?? message;
}

function renderText(model: PageModel): string {
  const ack = model.links.find(([label]) => label === 'Acknowledge');
  const width = Math.max(...model.facts.map(([label]) => label.length)) + 2;
  const lines = [model.subject, ...(ack ? [`Acknowledge: ${ack[1]}`] : []), ''];
  for (const [label, value] of model.facts) lines.push(`${`${label}:`.padEnd(width)}${value}`);
  if (model.members.length > 0) lines.push('', `${model.membersHeading}:`);
  for (const member of model.members) lines.push(`  * ${member.name}`, ...member.lines.map((line) => `    ${line}`));
  if (model.omitted > 0) lines.push(`  and ${model.omitted} more`);
  lines.push('');
  for (const [label, url] of model.links) if (label !== 'Acknowledge') lines.push(`${label}: ${url}`);
  lines.push('', model.footer);
  return `${lines.join('\n')}\n`;
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attributes: every user-provided string goes through it. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char);
}

function htmlLink(label: string, url: string): string {
  if (!isWebUrl(url)) return `${escapeHtml(label)}: ${escapeHtml(url)}`;
  return `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
}

function renderHtml(model: PageModel): string {
  const ack = model.links.find(([label]) => label === 'Acknowledge');
  const facts = model.facts
    .map(
      ([label, value]) =>
        `<tr><th align="left" valign="top">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  const members = model.members
    .map((m) => `<li><strong>${escapeHtml(m.name)}</strong><br>${m.lines.map(escapeHtml).join('<br>')}</li>`)
    .join('');
  const others = model.links.filter(([label]) => label !== 'Acknowledge').map(([label, url]) => htmlLink(label, url));
  return [
    '<!doctype html><html><body style="font-family:sans-serif;font-size:14px;line-height:1.4">',
    `<h2>${escapeHtml(model.subject)}</h2>`,
    ack ? `<p><strong>${htmlLink(ack[0], ack[1])}</strong></p>` : '',
    `<table cellpadding="3">${facts}</table>`,
    members ? `<h3>${escapeHtml(model.membersHeading)}</h3>\n<ul>${members}</ul>` : '',
    model.omitted > 0 ? `<p>and ${model.omitted} more</p>` : '',
    others.length > 0 ? `<p>${others.join(' · ')}</p>` : '',
    `<p style="color:#666;font-size:12px">${escapeHtml(model.footer)}</p>`,
    '</body></html>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}
