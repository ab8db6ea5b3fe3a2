import { type ApiToken, type Incident, type ProbeResult, readUptime, type UptimeReport } from '@vigil/core';
import type { CheckView } from '../../api/check-view.js';
import { incidentFilter, visibleCheck } from '../../api/ownership.js';
import { readCheckView } from '../../api/routes/checks.js';
import type { WebContext } from '../../context.js';

/** Recent incidents searched for the check's own (the store keeps no per-check index). */
const INCIDENTS_SEARCHED = 200;

export interface CheckPage {
  check: CheckView;
  latest: ProbeResult[];
  uptime: UptimeReport;
  incidents: Incident[];
}

/** Everything the check page shows, read with the API's functions and ownership rules (another tenant's check is a 404). */
export async function readCheckPage(ctx: WebContext, token: ApiToken, id: string): Promise<CheckPage> {
  const check = await visibleCheck(ctx, token, id);
  const [view, latest, uptime, recent, visible] = await Promise.all([
    readCheckView(ctx, check),
    ctx.results.latest(id),
    readUptime(ctx, id, ctx.clock.now()),
    ctx.incidents.list({ limit: INCIDENTS_SEARCHED }),
    incidentFilter(ctx, token),
  ]);
  return {
    check: view,
    latest: Object.values(latest).sort((a, b) => a.vantage.localeCompare(b.vantage)),
    uptime,
    // A member recorded for another owner was a deleted check's of the same id: not this one's.
    incidents: recent.filter(
      (incident) =>
        visible(incident) && incident.members.some((m) => m.checkId === id && (m.owner ?? check.owner) === check.owner),
    ),
  };
}
