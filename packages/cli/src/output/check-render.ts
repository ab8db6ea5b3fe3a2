import {
  describeCheckTarget,
  formatDuration,
  type ProbeResult,
  type UptimeReport,
  type UptimeWindow,
} from '@vigil/core';
import type { CheckView } from '@vigil/web';
import { describeAddressEvent, describeAddresses } from './address-render.js';
import type { Palette } from './colour.js';
import { formatAge, renderTable } from './table.js';

/** What a check probes, in one short cell, as its kind describes it. */
export function describeTarget(check: CheckView): string {
  return describeCheckTarget(check);
}

/** A decided state in the colour a person reads it by. */
export function paintState(state: string, colours: Palette): (text: string) => string {
  if (state === 'up') return colours.green;
  if (state === 'degraded') return colours.yellow;
  if (state === 'down') return colours.red;
  return colours.dim;
}

export function renderCheckList(checks: readonly CheckView[], colours: Palette): string {
  if (checks.length === 0) return 'No checks. Add one with `vigil checks add` or `vigil apply -f vigil.yaml`.';
  return renderTable(
    ['ID', 'STATE', 'KIND', 'TARGET', 'EVERY', 'COMPONENT', 'OWNER'],
    checks.map((check) => [
      check.id,
      check.state,
      check.kind,
      describeTarget(check).slice(0, 60),
      formatDuration(check.intervalMs),
      check.component ?? '-',
      check.owner ?? '(vigil.yaml)',
    ]),
    (cell, column, row) => {
      const state = checks[row]?.state ?? '';
      return column === 1 ? paintState(state, colours)(cell) : cell;
    },
  );
}

const WINDOWS: readonly UptimeWindow[] = ['24h', '7d', '30d', '90d'];

function percent(uptime: number | null): string {
  if (uptime === null) return '-';
  const value = uptime * 100;
  return `${value === 100 ? '100' : value.toFixed(value >= 99 ? 3 : 2).replace(/\.?0+$/, '')}%`;
}

/** `ok`, or the error and its message; a DNS answer's records, or ICMP replies and round trips, before either. */
export function resultText(result: ProbeResult): string {
  const text = result.ok ? 'ok' : `${result.error ?? 'failed'}${result.message ? `: ${result.message}` : ''}`;
  if (result.dns) return `${result.dns.rcode} ${result.dns.answers.join(', ') || '(no records)'} — ${text}`;
  if (result.icmp) {
    const { sent, received, rttMs } = result.icmp;
    const rtt = rttMs ? `, rtt ${rttMs.min}/${rttMs.avg}/${rttMs.max} ms` : '';
    return `${received}/${sent} replies${rtt} — ${text}`;
  }
  return text;
}

/**
 * Vantages told different DNS answers in the latest round, one line: the seed's "custom domains with
 * A records still broken" seen from some places only.
 */
export function answerDisagreement(results: readonly ProbeResult[]): string | undefined {
  const latest = Math.max(...results.map((result) => result.round));
  const byAnswer = new Map<string, string[]>();
  for (const result of results) {
    if (result.round !== latest || !result.dns) continue;
    const answer = `${result.dns.rcode} ${result.dns.answers.join(', ') || '(no records)'}`;
    byAnswer.set(answer, [...(byAnswer.get(answer) ?? []), result.vantage]);
  }
  if (byAnswer.size < 2) return undefined;
  const told = [...byAnswer].map(([answer, vantages]) => `${vantages.sort().join(', ')} → ${answer}`);
  return `Vantages disagree: ${told.join('; ')}`;
}

function renderResults(results: readonly ProbeResult[], now: number, colours: Palette): string {
  if (results.length === 0) return 'No results yet.';
  return renderTable(
    ['VANTAGE', 'ROUND', 'RESULT', 'STATUS', 'LATENCY', 'AGE'],
    results.map((result) => [
      result.vantage,
      new Date(result.round).toISOString().replace('.000Z', 'Z'),
      resultText(result).slice(0, 70),
      result.status === undefined ? '-' : String(result.status),
      `${Math.round(result.timings.total)}ms`,
      formatAge(Math.max(0, now - result.finishedAt)),
    ]),
    (cell, column, row) => {
      if (column !== 2) return cell;
      return results[row]?.ok ? colours.green(cell) : colours.red(cell);
    },
  );
}

/** A pushed check's pings, as `GET /api/v1/checks/:id/pings` answers. */
export interface PingsView {
  hasToken: boolean;
  lastPing?: number;
  lastKind?: string;
  exitCode?: number;
  lastOk?: number;
  started?: number;
  message?: string;
}

/** How a check is watched: probed every interval from vantages, or pushed by its job. */
function watchedLines(check: CheckView, pings: PingsView | undefined): string[] {
  if (!check.pushed) {
    return [
      `  every         ${formatDuration(check.intervalMs)}, timeout ${formatDuration(check.timeoutMs)}, ` +
        `${check.confirmations} confirmations, quorum ${check.quorum}`,
      `  vantages      ${check.vantages.length > 0 ? check.vantages.join(', ') : 'all'}`,
    ];
  }
  const at = (ms: number | undefined) => (ms === undefined ? 'never' : new Date(ms).toISOString());
  const said = pings?.exitCode === undefined ? (pings?.lastKind ?? '-') : `exit code ${pings.exitCode}`;
  const lines = [
    `  pushed        by the job (no vantages); a start must succeed within ${formatDuration(check.timeoutMs)}`,
    pings?.hasToken
      ? `  last ping     ${at(pings.lastPing)} (${said}); last success ${at(pings.lastOk)}`
      : '  last ping     none: no token yet (vigil checks token ID)',
  ];
  if (pings?.started !== undefined) lines.push(`  running       since ${at(pings.started)}`);
  if (pings?.message !== undefined) lines.push(`  last message  ${pings.message.slice(0, 300).replace(/\s+/g, ' ')}`);
  return lines;
}

/** `vigil checks show`: the check, its uptime over each window, and its latest results. */
export function renderCheck(
  view: {
    check: CheckView;
    results: readonly ProbeResult[];
    latest?: readonly ProbeResult[];
    uptime: UptimeReport;
    pings?: PingsView;
  },
  now: number,
  colours: Palette,
): string {
  const { check, uptime } = view;
  const owner = check.source === 'config' ? 'vigil.yaml' : `api, owner ${check.owner}`;
  const lines = [
    `Check ${check.id}: ${check.name}`,
    `  state         ${paintState(check.state, colours)(check.state)}   (source ${owner}, revision ${check.revision})`,
    `  target        ${check.kind} ${describeTarget(check)}`,
    ...watchedLines(check, view.pings),
    `  component     ${check.component ?? '-'}   severity ${check.severity}   alert on ${check.alertOn}` +
      `${check.escalation ? `   escalation ${check.escalation}` : ''}`,
  ];
  if (check.addresses && check.addresses.length > 0)
    lines.push(`  addresses     ${describeAddresses(check.addresses, now, colours)}`);
  if (check.tags.length > 0) lines.push(`  tags          ${check.tags.join(', ')}`);
  lines.push(`  uptime        ${WINDOWS.map((window) => `${window} ${percent(uptime[window].uptime)}`).join('   ')}`);
  if (check.addressEvents && check.addressEvents.length > 0) {
    lines.push('', 'Address timeline (newest first):');
    for (const event of check.addressEvents) lines.push(`  ${describeAddressEvent(event, now)}`);
  }
  lines.push('', 'Latest results:', renderResults(view.results, now, colours));
  const answers = (view.latest ?? []).filter((result) => result.dns);
  if (answers.length > 0) {
    lines.push('', 'Latest answer per vantage:');
    for (const result of answers) lines.push(`  ${result.vantage.padEnd(12)} ${resultText(result).slice(0, 100)}`);
    const disagreement = answerDisagreement(answers);
    if (disagreement) lines.push(colours.yellow(disagreement));
  }
  const pinged = (view.latest ?? []).filter((result) => result.icmp);
  if (pinged.length > 0) {
    lines.push('', 'Latest replies per vantage:');
    for (const result of pinged) lines.push(`  ${result.vantage.padEnd(12)} ${resultText(result).slice(0, 100)}`);
  }
  return lines.join('\n');
}
