import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { PutOutcome } from '../checks/check-registry.js';
import { formatDuration } from '../config/duration.js';
import { VigilError } from '../errors/errors.js';
import { toFieldIssues } from '../errors/issues.js';
import type { RedisKeys } from '../runtime/keys.js';
import { type Maintenance, maintenanceSchema } from './maintenance-schema.js';

/*
 * Each script changes the hash and bumps the version in one step, and only when something changed,
 * so a poller comparing versions never misses a change and never reloads for nothing.
 * KEYS maintenances, maintenancesVersion. ARGV id, json.
 */

/** Returns 1 created, 0 the id is taken. */
const CREATE = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
return 1
`;

/** Returns 0 unchanged, 1 created, 2 updated. */
const PUT = `
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous == ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
if previous then return 2 end
return 1
`;

/** Returns 1 deleted, 0 there was none. */
const DELETE = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
return 1
`;

const PUT_OUTCOMES: readonly PutOutcome[] = ['unchanged', 'created', 'updated'];

/**
 * Maintenances created through the API, beside those of vigil.yaml: one hash of parsed
 * Maintenance JSON (epoch ms and milliseconds, which JSON keeps exactly) and a version counter
 * bumped by every change, so notifiers reload only when something changed.
 */
export class MaintenanceStore {
  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {}

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
    if ((await this.run(CREATE, maintenance.id, canonicalJson(maintenance))) === 0) {
      throw new VigilError('CONFLICT', `maintenance ${maintenance.id} already exists`, [
        { path: 'id', message: 'already exists' },
      ]);
    }
  }

  /** Creates or replaces a maintenance; one equal to the stored one changes nothing. */
  async put(maintenance: Maintenance): Promise<PutOutcome> {
    const outcome = await this.run(PUT, maintenance.id, canonicalJson(maintenance));
    return PUT_OUTCOMES[outcome] ?? 'updated';
  }

  /** Removes a maintenance; false when there was none. */
  async delete(id: string): Promise<boolean> {
    return (await this.run(DELETE, id, '')) === 1;
  }

  /** The change counter: readers compare it to know whether to reload. */
  async version(): Promise<number> {
    return Number((await this.ctx.redis.get(this.ctx.keys.maintenancesVersion)) ?? 0);
  }

  private async run(lua: string, id: string, json: string): Promise<number> {
    const { keys } = this.ctx;
    return (await this.ctx.redis.eval(lua, 2, keys.maintenances, keys.maintenancesVersion, id, json)) as number;
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
  return JSON.stringify(parsed.data);
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
