import type { Redis } from 'ioredis';
import { VigilError } from '../errors/errors.js';
import type { RedisKeys } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';
import type { Incident, IncidentImpact, IncidentMember, IncidentStatus, IncidentUpdate } from './incident.js';

/** The scripts of `lua/`, as commands: each its KEYS, then its ARGV, as its header lists them. */
interface IncidentCommands {
  vigilOpenIncident(
    group: string,
    seq: string,
    open: string,
    all: string,
    events: string,
    incidentStem: string,
    groupName: string,
    now: number,
    reopenWindowMs: number,
    checkId: string,
    memberJson: string,
    title: string,
    impact: string,
    severity: string,
    component: string,
    escalation: string,
    startedAt: number,
    openedMessage: string,
    joinedMessage: string,
  ): Promise<[string, OpenOutcome['verb']]>;
  vigilRecoverIncidentMember(
    incident: string,
    members: string,
    updates: string,
    open: string,
    events: string,
    id: string,
    checkId: string,
    firstGoodAfter: number,
    now: number,
    partialMessage: string,
    resolvedMessage: string,
    lastFailedRound: number,
    withBounds: '0' | '1',
  ): Promise<[string, number?, number?]>;
  vigilAcknowledgeIncident(
    incident: string,
    updates: string,
    events: string,
    id: string,
    by: string,
    now: number,
  ): Promise<'acknowledged' | 'already' | 'resolved' | 'missing'>;
  vigilResolveIncident(
    incident: string,
    updates: string,
    open: string,
    events: string,
    id: string,
    by: string,
    now: number,
    message: string,
  ): Promise<'resolved' | 'already' | 'missing'>;
  vigilAddIncidentUpdate(
    incident: string,
    updates: string,
    open: string,
    events: string,
    id: string,
    by: string,
    now: number,
    status: IncidentStatus,
    message: string,
  ): Promise<'updated' | 'resolved' | 'missing'>;
  vigilSetPostmortem(
    incident: string,
    postmortem: string,
    events: string,
    id: string,
    by: string,
    now: number,
    markdown: string,
  ): Promise<[string, string?]>;
  vigilDeletePostmortem(
    incident: string,
    postmortem: string,
    events: string,
    id: string,
    by: string,
    now: number,
  ): Promise<'deleted' | 'none' | 'missing'>;
}

export interface OpenRequest {
  /** `component:api`, `check:api-health`, `vantage:eu-west`, `fleet:blind` */
  group: string;
  title: string;
  impact: IncidentImpact;
  severity: Incident['severity'];
  component?: string;
  escalation?: string;
  startedAt: number;
  member?: IncidentMember;
  /** The first timeline entry of a new incident. */
  openedMessage: string;
  /** The entry for a check joining (or reopening) an incident that exists. */
  joinedMessage: string;
}

export type OpenOutcome = { id: string; verb: 'opened' | 'joined' | 'reopened' | 'unchanged' };
export type RecoveryOutcome =
  | { verb: 'partial'; stillDown: number }
  | { verb: 'resolved'; atLeastMs: number; atMostMs: number }
  | { verb: 'unchanged' };

/** One event of the incident stream, as the notifier (and later the status page) reads it. */
export interface IncidentEvent {
  streamId: string;
  type: 'opened' | 'joined' | 'reopened' | 'partial' | 'acknowledged' | 'resolved' | 'updated' | 'postmortem';
  id: string;
  at: number;
  by: string;
}

/** A resolved incident's write-up: Markdown, rendered (safely) by whoever shows it. */
export interface Postmortem {
  incidentId: string;
  markdown: string;
  /** Who wrote the latest revision. */
  by: string;
  publishedAt: number;
  updatedAt: number;
}

/** 100 KB of UTF-8: a long write-up fits, a dump does not. */
export const MAX_POSTMORTEM_BYTES = 100_000;

/** What is wrong with a postmortem's Markdown, if anything: it needs some text, at most MAX_POSTMORTEM_BYTES. */
function postmortemProblem(markdown: string): string | undefined {
  if (markdown.trim() === '') return 'expected some text';
  const bytes = Buffer.byteLength(markdown, 'utf8');
  if (bytes > MAX_POSTMORTEM_BYTES) return `expected at most ${MAX_POSTMORTEM_BYTES} bytes of UTF-8 (got ${bytes})`;
  return undefined;
}

/**
 * Incidents in Redis: every transition is one Lua script that also writes its timeline entry and an
 * event on the `incident-events` stream, so the notifier pages from a log, not from in-memory flags.
 */
export class IncidentStore {
  private readonly redis: Redis & IncidentCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<IncidentCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** Opens the group's incident, joins the open one, or reopens one resolved within `reopenWindowMs`. */
  async openOrJoin(request: OpenRequest, now: number, reopenWindowMs: number): Promise<OpenOutcome> {
    const { keys } = this.ctx;
    const [id, verb] = await this.redis.vigilOpenIncident(
      keys.incidentGroup(request.group),
      keys.incidentSeq,
      keys.incidentsOpen,
      keys.incidentsAll,
      keys.incidentEvents,
      keys.incidentStem,
      request.group,
      now,
      reopenWindowMs,
      request.member?.checkId ?? '',
      request.member ? JSON.stringify(request.member) : '',
      request.title,
      request.impact,
      request.severity,
      request.component ?? '',
      request.escalation ?? '',
      request.startedAt,
      request.openedMessage,
      request.joinedMessage,
    );
    return { id, verb };
  }

  /** A member check is good again; the last one to recover resolves the incident with its bounds. */
  async memberRecovered(
    id: string,
    recovery: {
      checkId: string;
      firstGoodAfter: number;
      lastFailedRound: number;
      /** A Lua `string.format` pattern with one `%d`: the checks still down. */
      partialMessage: string;
      resolvedMessage: string;
      /** Append "Down for at least … and at most …" to the resolved entry (default true). */
      withBounds?: boolean;
    },
    now: number,
  ): Promise<RecoveryOutcome> {
    const { keys } = this.ctx;
    const reply = await this.redis.vigilRecoverIncidentMember(
      keys.incident(id),
      keys.incidentMembers(id),
      keys.incidentUpdates(id),
      keys.incidentsOpen,
      keys.incidentEvents,
      id,
      recovery.checkId,
      recovery.firstGoodAfter,
      now,
      recovery.partialMessage,
      recovery.resolvedMessage,
      recovery.lastFailedRound,
      recovery.withBounds === false ? '0' : '1',
    );
    if (reply[0] === 'partial') return { verb: 'partial', stillDown: Number(reply[1]) };
    if (reply[0] === 'resolved') return { verb: 'resolved', atLeastMs: Number(reply[1]), atMostMs: Number(reply[2]) };
    return { verb: 'unchanged' };
  }

  /** First acknowledgement wins; later ones (and acks of resolved incidents) change nothing. */
  async acknowledge(id: string, by: string, now: number): Promise<'acknowledged' | 'already' | 'resolved'> {
    const { keys } = this.ctx;
    const outcome = await this.redis.vigilAcknowledgeIncident(
      keys.incident(id),
      keys.incidentUpdates(id),
      keys.incidentEvents,
      id,
      by,
      now,
    );
    if (outcome === 'missing') throw new VigilError('NOT_FOUND', `incident ${id} does not exist`);
    return outcome;
  }

  async resolve(id: string, by: string, now: number, message = `Resolved by ${by}.`): Promise<'resolved' | 'already'> {
    const { keys } = this.ctx;
    const outcome = await this.redis.vigilResolveIncident(
      keys.incident(id),
      keys.incidentUpdates(id),
      keys.incidentsOpen,
      keys.incidentEvents,
      id,
      by,
      now,
      message,
    );
    if (outcome === 'missing') throw new VigilError('NOT_FOUND', `incident ${id} does not exist`);
    return outcome;
  }

  /** A human update: a status change and a message on the timeline. */
  async addUpdate(id: string, update: { by: string; status: IncidentStatus; message: string }, now: number) {
    const { keys } = this.ctx;
    const outcome = await this.redis.vigilAddIncidentUpdate(
      keys.incident(id),
      keys.incidentUpdates(id),
      keys.incidentsOpen,
      keys.incidentEvents,
      id,
      update.by,
      now,
      update.status,
      update.message,
    );
    if (outcome === 'missing') throw new VigilError('NOT_FOUND', `incident ${id} does not exist`);
    if (outcome === 'resolved')
      throw new VigilError('CONFLICT', `incident ${id} is resolved; only a resolved update fits`);
  }

  /**
   * Publishes or revises the postmortem of a resolved incident, with an `updated` event so the status
   * page and subscribers hear of it. An incident still open gets a CONFLICT naming its status.
   */
  async setPostmortem(id: string, postmortem: { markdown: string; by: string }, now: number): Promise<Postmortem> {
    const problem = postmortemProblem(postmortem.markdown);
    if (problem) throw new VigilError('VALIDATION', `markdown: ${problem}`, [{ path: 'markdown', message: problem }]);
    const { keys } = this.ctx;
    const [outcome, value] = await this.redis.vigilSetPostmortem(
      keys.incident(id),
      keys.incidentPostmortem(id),
      keys.incidentEvents,
      id,
      postmortem.by,
      now,
      postmortem.markdown,
    );
    if (outcome === 'missing') throw new VigilError('NOT_FOUND', `incident ${id} does not exist`);
    if (outcome === 'open') {
      throw new VigilError('CONFLICT', `incident ${id} is ${value}; a postmortem attaches to a resolved incident`, [
        { path: 'status', message: 'expected a resolved incident', received: JSON.stringify(value) },
      ]);
    }
    return { incidentId: id, ...postmortem, publishedAt: Number(value), updatedAt: now };
  }

  async getPostmortem(id: string): Promise<Postmortem | undefined> {
    const fields = await this.ctx.redis.hgetall(this.ctx.keys.incidentPostmortem(id));
    if (fields.markdown === undefined) return undefined;
    return {
      incidentId: id,
      markdown: fields.markdown,
      by: fields.by ?? '',
      publishedAt: Number(fields.publishedAt),
      updatedAt: Number(fields.updatedAt),
    };
  }

  /** Removes the postmortem (false when there was none), with an `updated` event as for publishing. */
  async deletePostmortem(id: string, by: string, now: number): Promise<boolean> {
    const { keys } = this.ctx;
    const outcome = await this.redis.vigilDeletePostmortem(
      keys.incident(id),
      keys.incidentPostmortem(id),
      keys.incidentEvents,
      id,
      by,
      now,
    );
    if (outcome === 'missing') throw new VigilError('NOT_FOUND', `incident ${id} does not exist`);
    return outcome === 'deleted';
  }

  async get(id: string): Promise<Incident | undefined> {
    const [incident] = await this.getMany([id]);
    return incident;
  }

  async getMany(ids: readonly string[]): Promise<Incident[]> {
    if (ids.length === 0) return [];
    const { keys } = this.ctx;
    const pipeline = this.ctx.redis.pipeline();
    for (const id of ids) {
      pipeline.hgetall(keys.incident(id));
      pipeline.hvals(keys.incidentMembers(id));
      pipeline.lrange(keys.incidentUpdates(id), 0, -1);
    }
    const replies = (await pipeline.exec()) ?? [];
    const out: Incident[] = [];
    ids.forEach((_, i) => {
      const fields = (replies[i * 3]?.[1] ?? {}) as Record<string, string>;
      if (!fields.id) return;
      const members = ((replies[i * 3 + 1]?.[1] ?? []) as string[]).map(parseMember);
      const updates = ((replies[i * 3 + 2]?.[1] ?? []) as string[]).map((json) => JSON.parse(json) as IncidentUpdate);
      out.push(toIncident(fields, members, updates));
    });
    return out;
  }

  /** Open incidents, newest first. */
  async listOpen(): Promise<Incident[]> {
    return this.getMany(await this.ctx.redis.zrevrange(this.ctx.keys.incidentsOpen, 0, -1));
  }

  /** Every incident, newest first, a page at a time. */
  async list(options: { offset?: number; limit?: number } = {}): Promise<Incident[]> {
    const offset = options.offset ?? 0;
    const ids = await this.ctx.redis.zrevrange(this.ctx.keys.incidentsAll, offset, offset + (options.limit ?? 50) - 1);
    return this.getMany(ids);
  }

  /** The incident a group last had (open, or resolved and perhaps still reopenable). */
  async ofGroup(group: string): Promise<Incident | undefined> {
    const id = await this.ctx.redis.get(this.ctx.keys.incidentGroup(group));
    return id ? this.get(id) : undefined;
  }
}

/** Lua's cjson writes an empty array as `{}`: read members back into their declared shape. */
function parseMember(json: string): IncidentMember {
  const member = JSON.parse(json) as IncidentMember;
  if (!Array.isArray(member.vantagesFailing)) member.vantagesFailing = [];
  return member;
}

function toIncident(fields: Record<string, string>, members: IncidentMember[], updates: IncidentUpdate[]): Incident {
  const num = (name: string) => (fields[name] === undefined ? undefined : Number(fields[name]));
  members.sort((a, b) => a.checkId.localeCompare(b.checkId));
  return {
    id: fields.id ?? '',
    title: fields.title ?? '',
    group: fields.group ?? '',
    impact: (fields.impact ?? 'major') as IncidentImpact,
    severity: (fields.severity ?? 'major') as Incident['severity'],
    status: (fields.status ?? 'investigating') as IncidentStatus,
    ...(fields.component !== undefined && { component: fields.component }),
    ...(fields.escalation !== undefined && { escalation: fields.escalation }),
    episode: num('episode') ?? 1,
    startedAt: num('startedAt') ?? 0,
    detectedAt: num('detectedAt') ?? 0,
    ...(fields.acknowledgedAt !== undefined && { acknowledgedAt: Number(fields.acknowledgedAt) }),
    ...(fields.acknowledgedBy !== undefined && { acknowledgedBy: fields.acknowledgedBy }),
    ...(fields.resolvedAt !== undefined && { resolvedAt: Number(fields.resolvedAt) }),
    ...(fields.resolvedBy !== undefined && { resolvedBy: fields.resolvedBy }),
    members,
    updates,
  };
}
