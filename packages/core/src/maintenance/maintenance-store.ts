import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { PutOutcome } from '../checks/check-registry.js';
import { formatDuration } from '../config/duration.js';
import { VigilError } from '../errors/errors.js';
import { toFieldIssues } from '../errors/issues.js';
import type { RedisKeys } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';
import { type Maintenance, maintenanceSchema } from './maintenance-schema.js';

/**
 * The scripts of `lua/`, as commands. Each changes the hash and bumps the version in one step, and
 * only when something changed, so a poller comparing versions never misses a change.
 */
interface MaintenanceCommands {
  vigilCreateMaintenance(maintenances: string, version: string, id: string, json: string): Promise<0 | 1>;
  vigilPutMaintenance(maintenances: string, version: string, id: string, json: string): Promise<0 | 1 | 2>;
  vigilDeleteMaintenance(maintenances: string, version: string, id: string): Promise<0 | 1>;
}

const PUT_OUTCOMES: readonly PutOutcome[] = ['unchanged', 'created', 'updated'];

/**
 * Maintenances created through the API, beside those of vigil.yaml: one hash of parsed
 * Maintenance JSON (epoch ms and milliseconds, which JSON keeps exactly) and a version counter
 * bumped by every change, so notifiers reload only when something changed.
 */
export class MaintenanceStore {
  private readonly redis: Redis & MaintenanceCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<MaintenanceCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** Every stored maintenance, by id. */
  async list(): Promise<Maintenance[]> {
    const all = await this.ctx.redis.hgetall(this.ctx.keys.maintenances);
    return Object.values(all)
      .map((json) => JSON.parse(json) as Maintenance)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<Maintenance | undefined> {
    const json = await this.ctx.redis.hget(this.ctx.keys.maintenances, id);
    return json === null ? undefined : (JSON.parse(json) as Maintenance);
  }

  /** Adds a maintenance; CONFLICT when the id is taken, VALIDATION when it breaks the schema's rules. */
  async create(maintenance: Maintenance): Promise<void> {
    const { keys } = this.ctx;
    const json = canonicalJson(maintenance);
    const created = await this.redis.vigilCreateMaintenance(
      keys.maintenances,
      keys.maintenancesVersion,
      maintenance.id,
      json,
    );
    if (created === 0) {
      throw new VigilError('CONFLICT', `maintenance ${maintenance.id} already exists`, [
        { path: 'id', message: 'already exists' },
      ]);
    }
  }

  /** Creates or replaces a maintenance; one equal to the stored one changes nothing. */
  async put(maintenance: Maintenance): Promise<PutOutcome> {
    const { keys } = this.ctx;
    const json = canonicalJson(maintenance);
    const outcome = await this.redis.vigilPutMaintenance(
      keys.maintenances,
      keys.maintenancesVersion,
      maintenance.id,
      json,
    );
    return PUT_OUTCOMES[outcome] ?? 'updated';
  }

  /** Removes a maintenance; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const { keys } = this.ctx;
    return (await this.redis.vigilDeleteMaintenance(keys.maintenances, keys.maintenancesVersion, id)) === 1;
  }

  /** The change counter: readers compare it to know whether to reload. */
  async version(): Promise<number> {
    return Number((await this.ctx.redis.get(this.ctx.keys.maintenancesVersion)) ?? 0);
  }
}

/**
 * The maintenance checked again by `maintenanceSchema` (from the form vigil.yaml would write) and
 * rendered in the schema's own field order, so equal maintenances are equal strings.
 */
function canonicalJson(maintenance: Maintenance): string {
  const input = maintenanceToInput(maintenance);
  const parsed = maintenanceSchema.safeParse(input);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error, input);
    throw new VigilError(
      'VALIDATION',
      `maintenance ${maintenance.id} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const { owners } = maintenance;
  return JSON.stringify(owners === undefined ? parsed.data : { ...parsed.data, owners });
}

/** A maintenance in the form vigil.yaml and the API take (what `vigil apply` sends and compares). */
export function maintenanceToInput(m: Maintenance): z.input<typeof maintenanceSchema> {
  return {
    id: m.id,
    title: m.title,
    ...(m.description !== undefined && { description: m.description }),
    checks: m.checks,
    components: m.components,
    start: isoInstant(m.start),
    ...(m.end !== undefined && { end: isoInstant(m.end) }),
    ...(m.recurring && {
      recurring: {
        every: `${m.recurring.every.count}${m.recurring.every.unit}`,
        duration: formatDuration(m.recurring.duration),
        timezone: m.recurring.timezone,
      },
    }),
  };
}

/** Epoch ms as ISO 8601; a value no Date can hold stays as text the schema then refuses. */
function isoInstant(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
