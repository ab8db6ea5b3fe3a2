import type { Page } from './channel.js';
import {
  affectedMembers,
  downtimeText,
  errorSummary,
  formatInstant,
  isWebUrl,
  listedMembers,
  memberLines,
  oneLine,
  vantagesSummary,
} from './page-content.js';

/** A chat page lists fewer checks than an email: it is read on a phone lock screen. */
export const CHAT_MEMBER_LIMIT = 10;

/**
 * Backslash-escapes the punctuation that makes links, emphasis, code and headings in the markdown chat
 * apps render (Teams, Discord, Mattermost, Rocket.Chat), so a check named `[Acknowledge](https://evil)`
 * or `<https://evil|Acknowledge>` stays text (plain punctuation such as `.`, `-` and `()` stays as it
 * is, readable where a renderer shows escapes), and puts a zero-width space after `@`, so
 * `@channel`, `@here`, `@all` and `@everyone` never become mentions. Names go through `oneLine` first.
 */
export function escapeChatMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#|~]/g, '\\$&').replace(/@/g, '@\u200b');
}

/** The facts a chat card shows beside the summary, as label and plain (unescaped) value. */
export function chatFacts(page: Page): [label: string, value: string][] {
  const { incident } = page;
  const affected = affectedMembers(page);
  const facts: [string, string][] = [
    ['Component', oneLine(page.componentName ?? incident.component ?? incident.group)],
    ['Severity', `${incident.severity} (${incident.status})`],
    ['Since', formatInstant(incident.startedAt, page.at)],
    ['Vantages failing', vantagesSummary(affected)],
  ];
  const errors = errorSummary(affected);
  if (errors) facts.push(['Error', errors]);
  if (incident.acknowledgedBy) facts.push(['Acknowledged by', oneLine(incident.acknowledgedBy)]);
  if (page.action === 'resolve') facts.push(['Downtime', downtimeText(page)]);
  return facts;
}

/** The checks as plain lines (`API health: down since …; failing from 2 of 3 vantages`), and how many are left out. */
export function chatMembers(page: Page, limit = CHAT_MEMBER_LIMIT): { name: string; details: string }[] {
  const { members } = listedMembers(page, limit);
  return members.map((member) => ({ name: oneLine(member.name), details: memberLines(member, page.at).join('; ') }));
}

/** The page's links that may become buttons or hrefs (http(s) only), in the order they are shown. */
export function chatLinks(page: Page): { label: string; url: string }[] {
  const links: [string, string | undefined][] = [
    ['Acknowledge', page.links.ack],
    ['Incident', page.links.incident],
    ['Status page', page.links.statusPage],
  ];
  return links.flatMap(([label, url]) => (url !== undefined && isWebUrl(url) ? [{ label, url }] : []));
}

/** A URL inside a markdown link must not close it: percent-encoding the delimiters keeps it the same URL. */
export function markdownLinkUrl(url: string): string {
  return url.replace(/[()<>[\]|\s]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** How many affected checks `chatMembers` leaves out. */
export function listedOmitted(page: Page, limit = CHAT_MEMBER_LIMIT): number {
  return listedMembers(page, limit).omitted;
}
