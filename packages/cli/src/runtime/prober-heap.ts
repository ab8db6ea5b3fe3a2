import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { DEFAULT_GROWTH_FACTOR } from './young-generation.js';

/** What a prober's heap is held to: the old generation's growth past what survived, and the semi-space. */
export interface ProberHeapLimits {
  /** How far the old generation may grow past what survived its last full GC, in % (V8's own: up to 300). */
  oldGrowthPercent: number;
  /** The semi-space size past which the young generation stops growing, in MB (V8's own: 16). */
  semiSpaceMb: number;
}

export const PROBER_HEAP: ProberHeapLimits = { oldGrowthPercent: 30, semiSpaceMb: 4 };

const MB = 1_048_576;

/**
 * A prober allocates fast and keeps little (~25 MB live at 200 probes/s), and V8 sizes its heap for
 * throughput: it lets the old generation grow to several times what survived, and the semi-spaces
 * double to 16 MB each — ~70 MB of old space and 32 MB of nursery, ~160 MB of RSS. Held to 30 %
 * growth and 4 MB semi-spaces it runs in ~110 MB for a few more (small, cheap) collections. The
 * semi-space limit cannot change once the heap exists, so growth is switched off (factor 1) while
 * the nursery is at the limit and back on below it. The size is looked at after every young-generation
 * collection (a GC observer), not on a timer: under load a prober scavenges many times a second, and
 * a look every second let the semi-spaces double from 4 to 16 MB in between (32 MB of nursery, seen
 * at 1,200 HTTP probes/s). Returns the stop of that watch.
 */
export function fitProberHeap(limits: ProberHeapLimits = PROBER_HEAP): () => void {
  setFlagsFromString(`--heap-growing-percent=${limits.oldGrowthPercent}`);
  let factor = DEFAULT_GROWTH_FACTOR;
  const watch = () => {
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    if (!young) return;
    // new_space is two semi-spaces.
    const wanted = young.space_size / 2 >= limits.semiSpaceMb * MB ? 1 : DEFAULT_GROWTH_FACTOR;
    if (wanted === factor) return;
    factor = wanted;
    setFlagsFromString(`--semi-space-growth-factor=${factor}`);
  };
  watch();
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isMinorGc)) watch();
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

/** A `gc` entry's `detail.kind` says which collection it was (Node ≥ 16; `entry.kind` before). */
function isMinorGc(entry: PerformanceEntry): boolean {
  return (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR;
}
