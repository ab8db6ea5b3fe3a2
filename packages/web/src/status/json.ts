import type { PublicMaintenance } from '@vigil/core';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { publicBaseUrl } from './base-url.js';
import { sendCached } from './http-cache.js';
import {
  componentsJson,
  incidentJson,
  maintenanceJson,
  type PageView,
  pageJson,
  pageView,
  statusJson,
} from './statuspage-v2.js';

const JSON_TYPE = 'application/json; charset=utf-8';
/** Statuspage lists the 50 most recent incidents and maintenances. */
const RECENT = 50;

type Build = (view: PageView, ctx: WebContext) => Promise<Record<string, unknown>> | Record<string, unknown>;

const incidentsOf = (view: PageView, incidents: PageView['status']['incidents']) =>
  incidents.map((incident) => incidentJson(incident, view));

/** From the status' windows (ongoing and upcoming): what all but the full list need, at no extra read. */
const maintenancesWhere = (view: PageView, keep: (m: PublicMaintenance) => boolean) =>
  view.status.maintenances.filter(keep).map((maintenance) => maintenanceJson(maintenance, view));

const upcoming = (m: PublicMaintenance) => m.status === 'scheduled';
const active = (m: PublicMaintenance) => m.status === 'in_progress';

/** Each endpoint of the Statuspage v2 public API, by path, with what its body holds besides `page`. */
const ENDPOINTS: Record<string, Build> = {
  'summary.json': (view) => ({
    components: componentsJson(view),
    incidents: incidentsOf(view, view.status.incidents),
    scheduled_maintenances: maintenancesWhere(view, (m) => upcoming(m) || active(m)),
    status: statusJson(view),
  }),
  'status.json': (view) => ({ status: statusJson(view) }),
  'components.json': (view) => ({ components: componentsJson(view) }),
  'incidents.json': async (view, ctx) => {
    const history = await ctx.publicStatus.history({ page: 1, perPage: RECENT });
    return { incidents: incidentsOf(view, history.incidents) };
  },
  'incidents/unresolved.json': (view) => ({ incidents: incidentsOf(view, view.status.incidents) }),
  // Most recent first, as Statuspage lists them: the latest window to start leads.
  'scheduled-maintenances.json': async (view, ctx) => {
    const all = await ctx.publicStatus.maintenances();
    return {
      scheduled_maintenances: [...all]
        .reverse()
        .slice(0, RECENT)
        .map((m) => maintenanceJson(m, view)),
    };
  },
  'scheduled-maintenances/upcoming.json': (view) => ({ scheduled_maintenances: maintenancesWhere(view, upcoming) }),
  'scheduled-maintenances/active.json': (view) => ({ scheduled_maintenances: maintenancesWhere(view, active) }),
};

/**
 * Serialises for the wire. `<` is written as its JSON escape: the parsed value is identical, and a
 * body that a browser sniffs as HTML can carry no markup from a component name or an update.
 */
function toJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** Registers the Statuspage-v2-shaped JSON under /api/v2/: open to every origin, cached like the page. */
export function registerStatusJson(app: FastifyInstance, ctx: WebContext): void {
  for (const [path, build] of Object.entries(ENDPOINTS)) {
    app.get(`/api/v2/${path}`, async (request, reply) => {
      const view = pageView(await ctx.publicStatus.status(), publicBaseUrl(request, ctx));
      const body = toJson({ page: pageJson(view), ...(await build(view, ctx)) });
      reply.header('access-control-allow-origin', '*');
      return sendCached(request, reply, { body, type: JSON_TYPE });
    });
  }
}
