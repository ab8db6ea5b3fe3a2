import { formatDuration } from '@vigil/core';
import { html, type SafeHtml } from '../../status/page/escape.js';
import type { EscalationView, OnCallPage, ScheduleView } from '../oncall/oncall-page.js';

const at = (ms: number | undefined) => (ms === undefined ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z'));

function scheduleRow(schedule: ScheduleView): SafeHtml {
  const next = schedule.next && `${schedule.next.person?.name ?? 'nobody'} from ${at(schedule.next.at)}`;
  return html`<tr id="schedule-${schedule.id}"><th scope="row">${schedule.name} <span class="muted">(${schedule.name === schedule.id ? '' : `${schedule.id}, `}${schedule.timezone})</span></th>
<td>${schedule.now?.name ?? 'nobody'}</td><td>${at(schedule.until)}</td><td>${next ?? '—'}</td></tr>`;
}

function overrideRows(schedules: ScheduleView[]): SafeHtml[] {
  return schedules.flatMap((schedule) =>
    schedule.overrides.map(
      (override) =>
        html`<tr><td>${schedule.id}</td><td>${override.person.name}</td><td>${at(override.start)}</td><td>${at(override.end)}</td><td>${override.active ? 'now' : 'upcoming'}</td></tr>`,
    ),
  );
}

function policyBlock(policy: EscalationView): SafeHtml {
  const levels = policy.levels.map(
    (level, i) =>
      html`<li>Level ${i + 1}, after ${formatDuration(level.afterMs)}: ${level.targets.map((target) => target.label).join(', ')}</li>`,
  );
  const repeat =
    policy.repeat === 0 ? 'no repeat' : `repeats ${policy.repeat}× after ${formatDuration(policy.repeatAfterMs)}`;
  return html`<section id="escalation-${policy.id}"><h4>${policy.id} <span class="muted">(${repeat})</span></h4><ol>${levels}</ol></section>`;
}

/** Who is on call now and next per schedule, the overrides not yet over, and every escalation policy. */
export function onCallBody(page: OnCallPage): SafeHtml {
  const overrides = overrideRows(page.schedules);
  return html`<h2>On call</h2><p class="muted">As of ${at(page.at)} (UTC).</p>
${
  page.schedules.length === 0
    ? html`<p class="muted">No schedules in the config.</p>`
    : html`<table><thead><tr><th scope="col">Schedule</th><th scope="col">On call now</th><th scope="col">Until (UTC)</th><th scope="col">Next</th></tr></thead><tbody>${page.schedules.map(scheduleRow)}</tbody></table>`
}
<h3>Overrides</h3>${
    overrides.length === 0
      ? html`<p class="muted">No current or upcoming override.</p>`
      : html`<table><thead><tr><th scope="col">Schedule</th><th scope="col">Person</th><th scope="col">From (UTC)</th><th scope="col">To (UTC)</th><th scope="col">When</th></tr></thead><tbody>${overrides}</tbody></table>`
  }
<h3>Escalation policies</h3>${
    page.escalations.length === 0
      ? html`<p class="muted">No escalation policies in the config.</p>`
      : page.escalations.map(policyBlock)
  }`;
}
