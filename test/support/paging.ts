/**
 * The notifier of the paging scenarios: one-second grouping and round grace, quick retries, fleet-wide
 * pages to the `fleet` escalation (which the YAML around it defines).
 */
export const PAGING_NOTIFIER_YAML = `notifier:
  groupingWindow: 1s
  fleetEscalation: fleet
  roundGrace: 1s
  vantages: { window: 10s, minChecks: 3, silentAfter: 30s }
  delivery: { attempts: 20, backoff: 500ms }`;

/** People, a schedule and a two-level policy: what the paging scenarios page with. */
export function pagingYaml(options: { repeat?: number; extra?: string } = {}): string {
  return `
people:
  - { id: ana, name: Ana, email: ana@example.test }
  - { id: bo, name: Bo, email: bo@example.test }
  - { id: cy, name: Cy, email: cy@example.test }
schedules:
  - { id: primary, timezone: UTC, rotation: { every: 1w, handoff: "mon 09:00", people: [ana] } }
escalations:
  - id: default
    levels:
      - { notify: [schedule:primary], after: 0s }
      - { notify: [person:bo], after: 3s }
    repeat: ${options.repeat ?? 0}
    repeatAfter: 3s
  - id: fleet
    levels: [{ notify: [person:cy] }]
${PAGING_NOTIFIER_YAML}
${options.extra ?? ''}`;
}

/** The token of the first ack link in a page's text. */
export function ackToken(text: string): string {
  const match = /\/ack\/([A-Za-z0-9_.-]+)/.exec(text);
  if (!match?.[1]) throw new Error(`no ack link in:\n${text}`);
  return match[1];
}
