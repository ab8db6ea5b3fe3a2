/**
 * The latency rollup merge script (merge-latency-rollups.lua) of the working tree against the one of
 * a commit, alternating call by call on one redis-server of its own, on the same aggregates: `tsx
 * bench/latency-merge-ab.ts COMMIT [merges]`. 1,000 checks × 3 vantages, one hour aggregate each a
 * merge, in calls of 500 checks as LatencyRollups sends them; the hour moves on every fourth merge
 * (so day heads move, hours pass into the week tier and slots are zeroed as in a deployment), and a
 * fourth vantage joins a tenth of the checks halfway (their keys grow a block). Prints each script's
 * Redis time a check × vantage (INFO commandstats: EVALSHA, nested commands included) and
 * redis-server CPU a check × vantage, and their ratio; fails unless both replied alike and left every
 * key byte for byte alike, with a time to live.
 */
import { LATENCY_BUCKET_MS, LATENCY_MERGE_CHUNK, LATENCY_ROLLUP_TTL_MS, latencyLine } from '@vigil/core';
import {
  commitArgument,
  measured,
  printComparison,
  SIDES,
  type Side,
  scriptFolder,
  withScriptSides,
} from './support/script-ab.js';

const CHECKS = 1_000;
const VANTAGES = ['alpha', 'beta', 'gamma'];
const SCRIPT = 'packages/core/src/results/lua/merge-latency-rollups.lua';

/** Check `c`'s lines for merge `k`, in hour `bucket`: its samples and means vary by check and merge. */
function linesOf(c: number, k: number, bucket: number, merges: number): string {
  const vantages = k >= merges / 2 && c % 10 === 0 ? [...VANTAGES, 'delta'] : VANTAGES;
  return vantages
    .map((vantage, v) =>
      latencyLine({
        vantage,
        bucket,
        samples: 5 + ((c + k + v) % 11),
        failures: (c + k) % 17 === 0 ? 2 : 0,
        means: {
          total: 80 + ((c * 7 + k * 3 + v) % 400),
          dns: 2.5,
          connect: 9 + v,
          tls: 21.75,
          firstByte: 40 + (c % 90),
        },
      }),
    )
    .join('');
}

async function main(commit: string, merges: number): Promise<void> {
  await withScriptSides(scriptFolder(commit, SCRIPT), 'vigilMergeLatencyRollups', async (redis, sides) => {
    const first = Math.floor(Date.now() / LATENCY_BUCKET_MS) - Math.ceil(merges / 4) - 1;
    let pairs = 0;
    let turn = 0;
    for (let k = 0; k < merges; k++) {
      const bucket = first + Math.floor(k / 4);
      for (let i = 0; i < CHECKS; i += LATENCY_MERGE_CHUNK) {
        const checks = Array.from({ length: Math.min(LATENCY_MERGE_CHUNK, CHECKS - i) }, (_, j) => i + j);
        const lines = checks.map((c) => linesOf(c, k, bucket, merges));
        const replies: Partial<Record<Side, unknown>> = {};
        // Alternate which goes first, so neither always finds the caches warm.
        for (const side of turn++ % 2 ? SIDES : ([...SIDES].reverse() as Side[])) {
          const keys = checks.map((c) => sides[side].keys.latencyRollup(`check-${c}`));
          replies[side] = await measured(redis, sides[side].sum, () =>
            sides[side].run(keys.length, ...keys, LATENCY_ROLLUP_TTL_MS, ...lines),
          );
        }
        if (replies.base !== replies.new) throw new Error(`merge ${k}: replied ${replies.base} and ${replies.new}`);
        pairs += lines.reduce((n, text) => n + text.split('\n').length - 1, 0);
      }
    }
    for (let c = 0; c < CHECKS; c++) {
      const [base, next] = await Promise.all(
        SIDES.map((side) => redis.getBuffer(sides[side].keys.latencyRollup(`check-${c}`))),
      );
      if (!base || !next || !base.equals(next)) throw new Error(`check-${c}: the two scripts left different rollups`);
      const ttl = await redis.pttl(sides.new.keys.latencyRollup(`check-${c}`));
      if (ttl <= 0 || ttl > LATENCY_ROLLUP_TTL_MS) throw new Error(`check-${c}: time to live ${ttl} ms`);
    }
    printComparison(commit, { base: sides.base.sum, new: sides.new.sum }, pairs, 'check × vantage');
  });
}

const commit = commitArgument(
  'usage: tsx bench/latency-merge-ab.ts COMMIT [merges] (the merge script to compare with)',
);
await main(commit, Number(process.argv[3] ?? 24));
