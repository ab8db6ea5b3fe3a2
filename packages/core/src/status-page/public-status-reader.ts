/**
 * Everything the public site shows, read from Redis into the public shapes: one place decides what is
 * public, so the HTML page, the Statuspage JSON and the feed can never disagree about it.
 */
import { mayPublish, mayUseComponent, tenantOf } from '../access/tenancy.js';
import type { TokenStore } from '../access/token-store.js';
import type { Check } from '../checks/check.js';
import type { CheckRegistry } from '../checks/check-registry.js';
import type { VigilConfig } from '../config/config.js';
import { DAY_MS } from '../config/duration.js';
import type { Incident, IncidentMember } from '../incidents/incident.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import { namesCheck, type ScheduledWindow, upcomingWindows } from '../maintenance/maintenance.js';
import type { MaintenanceSource } from '../maintenance/maintenance-source.js';
import { readUptimeDays, type UptimeDayCounts } from '../results/uptime.js';
import type { RoleContext } from '../runtime/context.js';
import { utcDay } from '../runtime/keys.js';
import { TimedMemo } from '../runtime/timed-memo.js';
import { readPublicComponents, UPTIME_BAR_DAYS } from './public-components.js';
import { type PublicScope, publicComponentsOf, toPublicIncident } from './public-incident.js';
import type {
  PublicComponent,
  PublicIncident,
  PublicMaintenance,
  PublicStatus,
  StatusIndicator,
} from './public-status.js';
import { publicComponents } from './status-page-settings.js';

/** What the reader works with: the role's stores, never its own, so a role has one of each. */
export interface PublicStatusContext extends Pick<RoleContext, 'redis' | 'keys' | 'clock'> {
  config: Pick<VigilConfig, 'components' | 'statusPage' | 'checks' | 'grants'>;
  checks: CheckRegistry;
  /** Who the operators are (owners of admin tokens), for tenancy. */
  tokens: TokenStore;
  incidents: IncidentStore;
  /** vigil.yaml's maintenances and the API's. */
  maintenanceSource: MaintenanceSource;
}

/** How long one build (of the status, a history page…) serves everyone: a crowd costs one build per period. */
export const STATUS_MEMO_MS = 2_000;
/** History pages are memoised by number: a bound, so odd page numbers cannot grow the map. */
const MAX_MEMOS = 64;
/** How long a check's daily uptime counts are reused between builds. */
const BARS_MEMO_MS = 60_000;
/** Scheduled maintenance is listed this far ahead. */
export const MAINTENANCE_HORIZON_MS = 30 * DAY_MS;
/** Completed windows stay listed (in the maintenance JSON) this long. */
export const MAINTENANCE_PAST_MS = 7 * DAY_MS;
const MAX_PER_PAGE = 100;

export interface IncidentHistory {
  incidents: PublicIncident[];
  page: number;
  perPage: number;
  /** Public incidents in all pages. */
  total: number;
  hasMore: boolean;
}

export class PublicStatusReader {
  private readonly registry: CheckRegistry;
  private readonly incidents: IncidentStore;
  private readonly maintenanceSource: MaintenanceSource;
  private readonly memos = new TimedMemo({ ttlMs: STATUS_MEMO_MS, maxKeys: MAX_MEMOS });
  /** Each check's 90 daily counts, kept a minute: 90 reads a check would otherwise be every build's bulk. */
  private readonly bars = new TimedMemo({ ttlMs: BARS_MEMO_MS });

  constructor(private readonly ctx: PublicStatusContext) {
    this.registry = ctx.checks;
    this.incidents = ctx.incidents;
    this.maintenanceSource = ctx.maintenanceSource;
  }

  /** The page: components, banner, open incidents, maintenance. */
  status(): Promise<PublicStatus> {
    return this.memo('status', (now) => this.build(now));
  }

  /** One public incident; undefined when it does not exist or is not public. */
  async incident(id: string): Promise<PublicIncident | undefined> {
    const incident = await this.incidents.get(id);
    if (!incident) return undefined;
    return (await this.toPublic([incident], await this.scope()))[0];
  }

  /** Public incidents, open and resolved, newest first, a page at a time (pages count from 1). */
  async history(options: { page?: number; perPage?: number } = {}): Promise<IncidentHistory> {
    const page = Math.max(1, Math.floor(options.page ?? 1));
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Math.floor(options.perPage ?? 25)));
    return this.memo(`history:${page}:${perPage}`, async () => {
      const scope = await this.scope();
      const ids = await this.publicIncidentIds(scope);
      const slice = ids.slice((page - 1) * perPage, page * perPage);
      const incidents = await this.toPublic(await this.incidents.getMany(slice), scope);
      return { incidents, page, perPage, total: ids.length, hasMore: page * perPage < ids.length };
    });
  }

  /** The newest public incidents, for the Atom feed. */
  async incidentsForFeed(limit = 50): Promise<PublicIncident[]> {
    return (await this.history({ page: 1, perPage: limit })).incidents;
  }

  /** Public maintenance windows from MAINTENANCE_PAST_MS ago to MAINTENANCE_HORIZON_MS ahead, earliest first. */
  maintenances(): Promise<PublicMaintenance[]> {
    return this.memo('maintenances', async (now) => {
      const from = now - MAINTENANCE_PAST_MS;
      const all = await this.maintenanceSource.current();
      return toPublicMaintenances(
        upcomingWindows(all, from, MAINTENANCE_PAST_MS + MAINTENANCE_HORIZON_MS),
        await this.scope(),
        now,
      );
    });
  }

  /** One build per key serves every caller for STATUS_MEMO_MS (results are shared: treat them as read-only). */
  private memo<T>(key: string, build: (now: number) => Promise<T>): Promise<T> {
    const now = this.ctx.clock.now();
    return this.memos.get(key, now, () => build(now));
  }

  private async build(now: number): Promise<PublicStatus> {
    const [checks, maintenances, open] = await Promise.all([
      this.checks(),
      this.maintenanceSource.current(),
      this.incidents.listOpen(),
    ]);
    const scope = scopeOf(this.ctx.config, checks);
    const refs = publicComponents(this.ctx.config);
    if (this.bars.size > 2 * checks.length) this.bars.clear();
    const days = (checkId: string) => this.barsOf(checkId, now);
    const components = await readPublicComponents(this.ctx, { refs, checks, maintenances, now, days });
    const incidents = await this.toPublic(open, scope);
    const windows = upcomingWindows(maintenances, now, MAINTENANCE_HORIZON_MS);
    const { title, description, url } = this.ctx.config.statusPage;
    return {
      page: {
        title,
        ...(description !== undefined && { description }),
        ...(url !== undefined && { url }),
        updatedAt: pageUpdatedAt(components, incidents, now),
      },
      ...pageIndicator(components, incidents),
      components,
      incidents,
      maintenances: toPublicMaintenances(windows, scope, now),
    };
  }

  /**
   * Today's bar may lag a minute once it has data (a new check's first rounds show at the next build,
   * not a minute on); a new UTC day is a new key.
   */
  private barsOf(checkId: string, now: number): Promise<UptimeDayCounts[]> {
    return this.bars.get(
      `${checkId}:${utcDay(now)}`,
      now,
      () => readUptimeDays(this.ctx, checkId, UPTIME_BAR_DAYS, now),
      (counts) => {
        const today = counts.at(-1);
        return today !== undefined && today.ok + today.degraded + today.fail > 0;
      },
    );
  }

  /** vigil.yaml's checks and the API's (which the web role also copies vigil.yaml's into). */
  /**
   * The checks the public page counts, under tenancy: a check whose owner may not use its component
   * does not count toward it, and one whose owner may not publish shows no name or target.
   */
  private async checks(): Promise<Check[]> {
    const byId = new Map(this.ctx.config.checks.map((check) => [check.id, check]));
    for (const check of await this.registry.list()) byId.set(check.id, check);
    const { config } = this.ctx;
    const operators = await this.ctx.tokens.operatorOwners();
    return [...byId.values()].flatMap((check) => {
      const owner = tenantOf(check.owner, operators);
      if (check.component !== undefined && !mayUseComponent(config, owner, check.component)) return [];
      if (!check.public || mayPublish(config, owner)) return [check];
      const { public: _unpublished, ...hidden } = check;
      return [hidden];
    });
  }

  private async scope(): Promise<PublicScope> {
    return scopeOf(this.ctx.config, await this.checks());
  }

  private async toPublic(incidents: readonly Incident[], scope: PublicScope): Promise<PublicIncident[]> {
    const now = this.ctx.clock.now();
    const out = await Promise.all(
      incidents.map(async (incident) => {
        if (publicComponentsOf(incident, scope).length === 0) return undefined;
        const postmortem = incident.status === 'resolved' ? await this.incidents.getPostmortem(incident.id) : undefined;
        return toPublicIncident(incident, scope, {
          now,
          ...(postmortem && { postmortem: { markdown: postmortem.markdown, publishedAt: postmortem.publishedAt } }),
        });
      }),
    );
    return out.filter((incident): incident is PublicIncident => incident !== undefined);
  }

  /**
   * Ids of the public incidents, newest first. Reads only what decides publicness (impact, group,
   * component, member ids) for the whole history in one pipeline, so paging and totals stay cheap.
   */
  private async publicIncidentIds(scope: PublicScope): Promise<string[]> {
    const { redis, keys } = this.ctx;
    const ids = await redis.zrevrange(keys.incidentsAll, 0, -1);
    const pipeline = redis.pipeline();
    for (const id of ids) {
      pipeline.hmget(keys.incident(id), 'impact', 'group', 'component');
      pipeline.hvals(keys.incidentMembers(id));
    }
    const replies = (await pipeline.exec()) ?? [];
    return ids.filter((_, i) => {
      const [impact, group, component] = (replies[i * 2]?.[1] ?? []) as (string | null)[];
      const members = ((replies[i * 2 + 1]?.[1] ?? []) as string[]).map(
        (json) => JSON.parse(json) as Pick<IncidentMember, 'checkId' | 'owner'>,
      );
      const reach = {
        impact: (impact ?? 'fleet') as Incident['impact'],
        group: group ?? '',
        ...(component && { component }),
        members,
      };
      return publicComponentsOf(reach, scope).length > 0;
    });
  }
}

function scopeOf(config: PublicStatusContext['config'], checks: readonly Check[]): PublicScope {
  return {
    components: new Map(publicComponents(config).map((ref) => [ref.id, ref.name])),
    componentOfCheck: new Map(
      checks.flatMap((check) => (check.component === undefined ? [] : [[check.id, check.component] as const])),
    ),
    ownerOfCheck: new Map(
      checks.flatMap((check) => (check.owner === undefined ? [] : [[check.id, check.owner] as const])),
    ),
  };
}

/**
 * The banner, as Statuspage words it: the worst of the components' statuses and the open incidents'
 * impacts. A component in major outage (or a critical incident) is critical, a partial outage (or a
 * major incident) major, degraded performance (or a minor incident) minor; maintenance only when
 * nothing else is wrong.
 */
export function pageIndicator(
  components: readonly Pick<PublicComponent, 'status'>[],
  incidents: readonly Pick<PublicIncident, 'impact'>[],
): { indicator: StatusIndicator; description: string } {
  const statuses = new Set(components.map((component) => component.status));
  const impacts = new Set(incidents.map((incident) => incident.impact));
  if (statuses.has('major_outage') || impacts.has('critical'))
    return { indicator: 'critical', description: 'Major System Outage' };
  if (statuses.has('partial_outage') || impacts.has('major'))
    return { indicator: 'major', description: 'Partial System Outage' };
  if (statuses.has('degraded_performance')) return { indicator: 'minor', description: 'Partially Degraded Service' };
  if (impacts.has('minor')) return { indicator: 'minor', description: 'Minor Service Outage' };
  if (statuses.has('under_maintenance')) return { indicator: 'maintenance', description: 'Service Under Maintenance' };
  return { indicator: 'none', description: 'All Systems Operational' };
}

/**
 * The latest visible change: a check changing state, an incident update. With no change on record it
 * is the current minute, so the ETag of an idle page still holds for a minute at a time.
 */
function pageUpdatedAt(components: readonly PublicComponent[], incidents: readonly PublicIncident[], now: number) {
  const times = [
    ...components.flatMap((component) => (component.updatedAt === undefined ? [] : [component.updatedAt])),
    ...incidents.map((incident) => incident.updatedAt),
  ];
  return times.length > 0 ? Math.max(...times) : now - (now % 60_000);
}

/** Windows covering a public component (directly or through a check of one); the others are internal. */
function toPublicMaintenances(windows: readonly ScheduledWindow[], scope: PublicScope, now: number) {
  return windows.flatMap(({ maintenance: m, start, end }): PublicMaintenance[] => {
    const touched = new Set([
      ...m.components,
      ...m.checks.flatMap((id) => {
        if (!namesCheck(m, id, scope.ownerOfCheck.get(id))) return [];
        const component = scope.componentOfCheck.get(id);
        return component === undefined ? [] : [component];
      }),
    ]);
    const components = [...scope.components.keys()].filter((id) => touched.has(id));
    if (components.length === 0) return [];
    return [
      {
        // A recurring maintenance has many windows: each gets its own id, stable across reads.
        id: m.recurring ? `${m.id}-${compactInstant(start)}` : m.id,
        title: m.title,
        ...(m.description !== undefined && { description: m.description }),
        status: now < start ? 'scheduled' : now < end ? 'in_progress' : 'completed',
        start,
        end,
        components,
      },
    ];
  });
}

function compactInstant(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:]|\.\d{3}/g, '');
}
