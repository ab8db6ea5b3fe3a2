import { type ChainableCommander, Cluster, type ClusterOptions } from 'ioredis';
import type { ClusterNode } from './redis-url.js';

type Reply = [error: Error | null, result: unknown];
interface Call {
  name: string;
  args: unknown[];
}
/** What ioredis keeps of a queued command: `getSlot()` is how its own cluster pipeline routes. */
interface QueuedCommand {
  getSlot(): number | null;
}
type Recording = ChainableCommander & Record<string, (...args: unknown[]) => unknown> & { _queue: QueuedCommand[] };

/**
 * A Redis Cluster connection whose pipelines may span nodes. ioredis refuses a pipeline whose keys
 * live on more than one node; Vigil's pipelines read many checks at once (states, latest results,
 * due rounds), so this one sends each node its share, in parallel, and answers in the order queued.
 * Each command still needs its own keys in one slot; MULTI stays per slot, as Redis requires.
 */
export class ShardedCluster extends Cluster {
  override pipeline(commands?: unknown[][]): ChainableCommander {
    const calls: Call[] = (commands ?? []).map(([name, ...args]) => ({ name: String(name), args }));
    const recorder: ChainableCommander = new Proxy(Object.create(null) as ChainableCommander, {
      get: (own, property) => {
        // What a caller set on the pipeline (BullMQ adds helpers to pipelines) is its own.
        if (Object.hasOwn(own, property)) return Reflect.get(own, property);
        if (property === 'exec') return () => this.execSplit(calls);
        if (property === 'length') return calls.length;
        if (typeof property !== 'string' || property === 'then') return undefined;
        // `valueOf`, `toString`…: what any object answers (BullMQ compares a queued call's return to 0).
        if (property in Object.prototype) return Reflect.get(Object.prototype, property);
        if (typeof Reflect.get(this, property) !== 'function') return undefined;
        return (...args: unknown[]) => {
          calls.push({ name: property, args });
          return recorder;
        };
      },
    });
    return recorder;
  }

  override duplicate(overrideStartupNodes: ClusterNode[] = [], overrideOptions: ClusterOptions = {}): ShardedCluster {
    const own = (this as unknown as { startupNodes: ClusterNode[] }).startupNodes;
    const nodes = overrideStartupNodes.length > 0 ? overrideStartupNodes : own.slice(0);
    return new ShardedCluster(nodes, { ...this.options, ...overrideOptions });
  }

  private async execSplit(calls: readonly Call[]): Promise<Reply[]> {
    if (calls.length === 0) return [];
    const all = this.record(calls);
    // Commands without keys go with the first node's share.
    const groups = new Map<string, number[]>();
    all._queue.forEach((command, i) => {
      const slot = command.getSlot();
      const group = slot === null ? '' : (this.slots[slot]?.[0] ?? `slot ${slot}`);
      const indexes = groups.get(group) ?? [];
      groups.set(group, indexes);
      indexes.push(i);
    });
    const keyless = groups.get('') ?? [];
    groups.delete('');
    const shares = [...groups.values()];
    if (shares.length <= 1) return ((await all.exec()) ?? []) as Reply[];
    shares[0]?.push(...keyless);
    const replies: Reply[] = new Array(calls.length);
    await Promise.all(
      shares.map(async (indexes) => {
        const share = (await this.record(indexes.map((i) => calls[i] as Call)).exec()) ?? [];
        indexes.forEach((i, j) => {
          replies[i] = (share[j] ?? [new Error('no reply from Redis'), null]) as Reply;
        });
      }),
    );
    return replies;
  }

  /** An ioredis pipeline of these calls, as the base class makes it. */
  private record(calls: readonly Call[]): Recording {
    const pipeline = Cluster.prototype.pipeline.call(this) as Recording;
    for (const { name, args } of calls) {
      const method = pipeline[name];
      if (typeof method !== 'function') throw new TypeError(`${name} is not a Redis command`);
      method.apply(pipeline, args);
    }
    return pipeline;
  }
}
