import type { IcmpReplies } from '@vigil/core';
import type { ProbeContext } from '../probe-context.js';
import {
  type Fping,
  type FpingRun,
  fpingArguments,
  MAX_STDERR_BYTES,
  type PingPacing,
  type PingRequest,
} from './fping.js';

/** Hosts one fping run pings at most: a slot job of more ICMP checks takes several runs. */
const MAX_HOSTS = 200;
/** Room on stderr per host of a batch: its summary line and a little more. */
const STDERR_PER_HOST = 256;

interface Member {
  address: string;
  settled: boolean;
  resolve(replies: IcmpReplies): void;
  reject(error: unknown): void;
  /** Stops the member's probe from tracking the batch. */
  release(): void;
}

interface Batch {
  pacing: PingPacing;
  addresses: Set<string>;
  members: Member[];
  /** Members still waiting: the run is killed when the last one's probe ends (its deadline). */
  waiting: number;
  run: FpingRun | undefined;
  flushed: boolean;
}

/**
 * Puts the ICMP probes that ask in the same turn of the event loop, with the same pacing and source
 * address, into one fping run: a slot's round of ICMP checks costs one process, not one each (a fork of
 * the prober is most of an ICMP probe's CPU). Each probe still owns its deadline: it settles at its own,
 * and the run is killed once every probe in it has ended. A host asked twice is pinged once, both
 * probes told the same replies.
 */
export class FpingBatcher {
  private readonly open = new Map<string, Batch>();

  constructor(private readonly fping: Fping) {}

  ping(request: PingRequest, ctx: ProbeContext): Promise<IcmpReplies> {
    const { address, ...pacing } = request;
    const batch = this.batchFor(pacing, address);
    return new Promise<IcmpReplies>((resolve, reject) => {
      const member: Member = { address, settled: false, resolve, reject, release: () => {} };
      batch.members.push(member);
      batch.addresses.add(address);
      batch.waiting += 1;
      const handle = ctx.track({ destroy: () => this.leave(batch, member) });
      member.release = () => ctx.release(handle);
    });
  }

  /** The open batch this request joins, or a new one flushed at the end of this turn. */
  private batchFor(pacing: PingPacing, address: string): Batch {
    const key = JSON.stringify([pacing.count, pacing.periodMs, pacing.replyTimeoutMs, pacing.sourceAddress]);
    const current = this.open.get(key);
    // fping sends to the next host a millisecond after the last: a batch fits within one period.
    const capacity = Math.min(MAX_HOSTS, pacing.periodMs);
    if (current && (current.addresses.has(address) || current.addresses.size < capacity)) return current;
    if (current) this.flush(key, current);
    const batch: Batch = { pacing, addresses: new Set(), members: [], waiting: 0, run: undefined, flushed: false };
    this.open.set(key, batch);
    setImmediate(() => this.flush(key, batch));
    return batch;
  }

  private flush(key: string, batch: Batch): void {
    if (batch.flushed) return;
    batch.flushed = true;
    if (this.open.get(key) === batch) this.open.delete(key);
    if (batch.waiting === 0) return;
    const addresses = [...batch.addresses];
    const run = this.fping.start(
      fpingArguments(batch.pacing, addresses),
      Math.max(MAX_STDERR_BYTES, addresses.length * STDERR_PER_HOST),
    );
    batch.run = run;
    run.exit.then(
      (exit) => this.settleAll(batch, (member) => member.resolve(this.fping.repliesOf(exit, member.address))),
      (error: unknown) => this.settleAll(batch, (member) => member.reject(error)),
    );
  }

  /** Tells every member still waiting how the run ended. */
  private settleAll(batch: Batch, tell: (member: Member) => void): void {
    for (const member of batch.members) {
      if (member.settled) continue;
      member.settled = true;
      member.release();
      try {
        tell(member);
      } catch (error) {
        member.reject(error);
      }
    }
  }

  /** A member's probe ended first (its deadline): it stops waiting; the last one out kills the run. */
  private leave(batch: Batch, member: Member): void {
    if (member.settled) return;
    member.settled = true;
    member.reject(new Error('the probe ended before fping did'));
    batch.waiting -= 1;
    if (batch.waiting === 0) batch.run?.kill();
  }
}
