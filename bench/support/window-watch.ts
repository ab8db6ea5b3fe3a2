/**
 * What `pnpm bench fleet` does through its measured window: reads each process's RSS every few
 * seconds (the largest is kept: flat or not shows as start, end and largest), and scrapes each role's
 * `/metrics` as a Prometheus server would, so a role's memory and CPU include what a scrape costs it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleProc } from './proc-stats.js';

export interface WindowWatch {
  /** Processes whose RSS is read, by pid. */
  pids: readonly number[];
  /** Roles scraped (`/metrics` on 127.0.0.1:port). */
  scrapePorts: readonly number[];
  ms: number;
  /** Between RSS reads. */
  sampleEveryMs: number;
  /** Between scrapes; 0: none (the window's edges read the probers' counters only). */
  scrapeEveryMs: number;
}

/** Waits out the window; resolves with each pid's largest RSS seen in it, in bytes. */
export async function watchWindow(watch: WindowWatch): Promise<Map<number, number>> {
  const largest = new Map<number, number>();
  const started = Date.now();
  let nextScrape = watch.scrapeEveryMs > 0 ? started + watch.scrapeEveryMs : Number.POSITIVE_INFINITY;
  while (Date.now() - started < watch.ms) {
    await sleep(Math.min(watch.sampleEveryMs, watch.ms - (Date.now() - started)));
    // None at the window's very end: its RSS is read next, and would be the scrape's every time.
    if (Date.now() >= nextScrape && nextScrape < started + watch.ms) {
      nextScrape += watch.scrapeEveryMs;
      await Promise.all(watch.scrapePorts.map(scrape));
    }
    const samples = await Promise.all(watch.pids.map((pid) => sampleProc(pid).catch(() => undefined)));
    samples.forEach((sample, i) => {
      const pid = watch.pids[i];
      if (sample && pid !== undefined) largest.set(pid, Math.max(largest.get(pid) ?? 0, sample.rss));
    });
  }
  return largest;
}

async function scrape(port: number): Promise<void> {
  await fetch(`http://127.0.0.1:${port}/metrics`).then(
    (res) => res.arrayBuffer(),
    () => undefined,
  );
}
