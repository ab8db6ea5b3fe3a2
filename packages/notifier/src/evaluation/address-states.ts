import {
  type AddressState,
  defineScripts,
  groupByShard,
  type ProbeErrorClass,
  type Redis,
  type RedisKeys,
  readAddressStates,
  type ScriptPipeline,
} from '@vigil/core';
import type { ChainableCommander } from 'ioredis';
import type { AddressVerdict } from './address-verdict.js';

/** How long a check's address states outlive its last round with addresses (the check stopped asking). */
const ADDRESS_STATES_TTL_MS = 24 * 3_600_000;

/** One decided round's address verdicts, for the address state machines. */
export interface AddressRound {
  checkId: string;
  round: number;
  confirmations: number;
  verdicts: readonly AddressVerdict[];
  /** The check alerts on addresses: its changes go to the outbox too, until acted on (`settle`). */
  durable: boolean;
}

/** A change of whether one address of a check is down: what the incident side and webhooks act on. */
export interface AddressTransition {
  checkId: string;
  address: string;
  /** `gone`: the name no longer resolves to an address that was down (drained, say). */
  kind: 'down' | 'back' | 'gone';
  /** When it was decided (epoch ms). */
  at: number;
  round: number;
  /** For `down`, its first failed round; for `back`, its first good one. */
  since: number;
  failing: string[];
  counted: number;
  error?: ProbeErrorClass;
}

interface AddressCommands {
  /** How many keys, the outbox, then per round its address states hash; then the TTL and per round its five arguments. */
  vigilApplyAddressVerdicts(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<string[][]>;
}

/** Per-address state machines of `allAddresses` checks: one small hash per check beside its state. */
export class AddressStates {
  private readonly redis: Redis & AddressCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<AddressCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /**
   * Queues the rounds that judged addresses, oldest first, on a pipeline of the same connection
   * (`CheckStates.pipeline()`): one script per shard present, none when no round has addresses. The
   * function returned takes the pipeline's replies (this call's first) and gives the transitions.
   */
  queueApplyMany(
    pipeline: ChainableCommander,
    rounds: readonly AddressRound[],
    now: number,
  ): { calls: number; read: (replies: readonly [Error | null, unknown][]) => AddressTransition[] } {
    const withAddresses = rounds.filter((round) => round.verdicts.length > 0);
    const groups = groupByShard(this.ctx.keys, withAddresses, (round) => round.checkId);
    for (const group of groups) {
      const keys = [
        this.ctx.keys.addressTransitions(group.shard),
        ...group.items.map((round) => this.ctx.keys.addressStates(round.checkId)),
      ];
      const args: (string | number)[] = [now, ADDRESS_STATES_TTL_MS];
      for (const round of group.items) {
        args.push(round.round, round.confirmations, verdictsJson(round.verdicts), round.checkId, round.durable ? 1 : 0);
      }
      (pipeline as ScriptPipeline<AddressCommands>).vigilApplyAddressVerdicts(keys.length, ...keys, ...args);
    }
    const read = (replies: readonly [Error | null, unknown][]): AddressTransition[] => {
      const transitions: AddressTransition[] = [];
      groups.forEach((group, i) => {
        // A failed call is thrown for the batch by the evaluator, with the rest of its pipeline.
        const [err, reply] = replies[i] ?? [new Error('no reply from Redis')];
        if (err) return;
        (reply as string[][]).forEach((changes, j) => {
          const checkId = group.items[j]?.checkId;
          if (checkId === undefined) return;
          for (const json of changes) transitions.push(parseTransition(json));
        });
      });
      return transitions;
    };
    return { calls: groups.length, read };
  }

  /** Removes a change from the outbox once acted on. */
  async settle(transition: AddressTransition): Promise<void> {
    const { keys } = this.ctx;
    await this.ctx.redis.hdel(keys.addressTransitions(keys.shardOf(transition.checkId)), outboxField(transition));
  }

  /** Changes of checks alerting on addresses not yet acted on (a notifier died mid-way), oldest round first. */
  async pending(): Promise<AddressTransition[]> {
    const { keys } = this.ctx;
    const pipeline = this.ctx.redis.pipeline();
    for (let shard = 0; shard < keys.shards; shard++) pipeline.hvals(keys.addressTransitions(shard));
    const all = ((await pipeline.exec()) ?? []).flatMap(([err, values]) => {
      if (err) throw err;
      return (values as string[]).map(parseTransition);
    });
    return all.sort((a, b) => a.round - b.round);
  }

  /** One check's address states, sorted by address. */
  async get(checkId: string): Promise<AddressState[]> {
    return (await readAddressStates(this.ctx, [checkId])).get(checkId) ?? [];
  }
}

function verdictsJson(verdicts: readonly AddressVerdict[]): string {
  return JSON.stringify(verdicts.map((v) => [v.address, v.verdict, v.failing, v.counted.length, v.error ?? '']));
}

function outboxField(transition: AddressTransition): string {
  return `${transition.checkId}|${transition.address}|${transition.round}`;
}

function parseTransition(json: string): AddressTransition {
  const raw = JSON.parse(json) as AddressTransition;
  return {
    checkId: raw.checkId,
    address: raw.address,
    kind: raw.kind,
    at: raw.at,
    round: raw.round,
    since: raw.since,
    // Lua's cjson writes an empty list as `{}`.
    failing: Array.isArray(raw.failing) ? raw.failing : [],
    counted: raw.counted,
    ...(raw.error && { error: raw.error }),
  };
}
