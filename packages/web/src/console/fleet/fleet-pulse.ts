import type { WebContext } from '../../context.js';
import { probeQueueLag, type QueueLag, type QueueLagReader } from './queue-lag.js';
import { type ResultBacklog, resultBacklog } from './result-backlog.js';

/** The notifier's blind-spot incident group: the checks no round could judge for lack of results. */
const BLIND_SPOT_GROUP = 'fleet:blind';
/** The pulse is read at most this often, whatever the number of consoles polling. */
export const FLEET_PULSE_TTL_MS = 5_000;

/** The fleet's own backlog and blindness, as the overview's fleet panel shows it. */
export interface FleetPulse {
  /** One per vantage's probe queue. */
  probes: QueueLag[];
  /** Result batches waiting for the notifier; null when they could not be read. */
  results: QueueLag | null;
  /** Checks in the open blind-spot incident (their state is `unknown`), and that incident. */
  blind: { checkIds: string[]; incidentId?: string };
}

type PulseContext = Pick<WebContext, 'redis' | 'keys' | 'clock' | 'config' | 'incidents' | 'log'>;

/**
 * Queue lag and blind spots for the console, read once per `FLEET_PULSE_TTL_MS` and shared by every
 * console of the process (one read in flight at a time), never per poll of each user.
 */
export class FleetPulseReader {
  /** Made at the first read: a web role whose console nobody opens holds no queue. */
  private readers: { probes: QueueLagReader[]; results: ResultBacklog } | undefined;
  private cached: { at: number; pulse: Promise<FleetPulse> } | undefined;

  constructor(private readonly ctx: PulseContext) {}

  read(): Promise<FleetPulse> {
    const now = this.ctx.clock.now();
    if (this.cached && now - this.cached.at < FLEET_PULSE_TTL_MS) return this.cached.pulse;
    const pulse = this.readNow();
    this.cached = { at: now, pulse };
    // A failed read is not kept: the next poll tries again.
    pulse.catch(() => {
      if (this.cached?.pulse === pulse) this.cached = undefined;
    });
    return pulse;
  }

  private async readNow(): Promise<FleetPulse> {
    const lagOrNull = (reading: Promise<QueueLag>) =>
      reading.catch((err: unknown) => {
        this.ctx.log.warn({ err }, 'console: a queue backlog was not read');
        return null;
      });
    this.readers ??= { probes: probeQueueLag(this.ctx), results: resultBacklog(this.ctx) };
    const readers = this.readers;
    const [probes, results, blind] = await Promise.all([
      Promise.all(readers.probes.map((reader) => lagOrNull(reader.read()))),
      lagOrNull(readers.results.read()),
      this.ctx.incidents.ofGroup(BLIND_SPOT_GROUP),
    ]);
    const open = blind && blind.status !== 'resolved' ? blind : undefined;
    return {
      probes: probes.filter((lag): lag is QueueLag => lag !== null),
      results,
      blind: {
        checkIds: open ? open.members.filter((member) => member.down).map((member) => member.checkId) : [],
        ...(open && { incidentId: open.id }),
      },
    };
  }

  async close(): Promise<void> {
    // A read in flight finishes first: its queues are closed after it, not under it.
    await this.cached?.pulse.catch(() => undefined);
    const readers = this.readers;
    this.readers = undefined;
    if (readers) await Promise.all([...readers.probes, readers.results].map((reader) => reader.close()));
  }
}
