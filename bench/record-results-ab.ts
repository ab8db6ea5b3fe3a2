/**
 * The record script (record-results.lua, with its include) of the working tree against the one of
 * a commit, alternating batch by batch on one redis-server of its own, on the same results, each
 * result booked for its round as the evaluator books it and each round applied after (outside the
 * measure): `tsx bench/record-results-ab.ts COMMIT [rounds] [prober|together|first]`. 1,000 checks × 3
 * vantages a round, 10% failing with a message, history at the default cap (config
 * `history.perCheck`, 226; 340 before); `prober` (the default): a vantage's results in batches of
 * 200 as a prober sends them; `together`: a check's 3 results side by side, 66 checks a batch, as
 * the notifier's merged batches hold them (all vantages probe a slot at once, and ResultStore puts
 * a check's results together); `first`: as `together`, but every round's 1,000 checks are new ones
 * (their first round: no latest hash, ring nor vantage index yet, as in a registration burst). Prints each script's Redis time a result (INFO commandstats: EVALSHA, nested commands
 * included) and redis-server CPU a result, and their ratio.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ProbeResult, type RedisKeys, recordResultsCall, validateConfig } from '@vigil/core';
import type { Redis } from 'ioredis';
import { httpRoundResult } from './support/results.js';
import { commitArgument, measured, printComparison, type Side, withScriptSides } from './support/script-ab.js';

const CHECKS = 1_000;
const BATCH = 200;
const VANTAGES = ['alpha', 'beta', 'gamma'];
const INTERVAL_MS = 60_000;
const HISTORY = validateConfig({ vantages: VANTAGES }, 'bench').history.perCheck;
const SCRIPT = 'packages/core/src/results/lua/record-results.lua';
const INCLUDE = 'packages/core/src/results/lua/includes/book-outcome.lua';

/** Both scripts in a folder of their own, named so the loader calls them vigilRecordResultsBase / …New. */
function scriptFolder(commit: string): { url: URL; baseText: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'record-ab-'));
  mkdirSync(join(dir, 'includes'));
  const show = (path: string) => execFileSync('git', ['show', `${commit}:${path}`], { encoding: 'utf8' });
  const rename = (text: string, side: Side) =>
    text.replace('"includes/book-outcome"', `"includes/book-outcome-${side}"`);
  const baseText = show(SCRIPT);
  writeFileSync(join(dir, 'record-results-base.lua'), rename(baseText, 'base'));
  writeFileSync(join(dir, 'includes', 'book-outcome-base.lua'), show(INCLUDE));
  writeFileSync(join(dir, 'record-results-new.lua'), rename(readFileSync(SCRIPT, 'utf8'), 'new'));
  writeFileSync(join(dir, 'includes', 'book-outcome-new.lua'), readFileSync(INCLUDE, 'utf8'));
  return { url: pathToFileURL(`${dir}/`), baseText, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Each result booked (3 vantages expected). */
function toRecord(results: readonly ProbeResult[]) {
  return results.map((result) => ({
    result,
    intervalMs: INTERVAL_MS,
    booking: { deadline: result.round + INTERVAL_MS, expected: VANTAGES.length, outcome: `{"ok":${result.ok}}` },
  }));
}

/** ResultStore's call for one shard's results. */
function recordCall(keys: RedisKeys, results: readonly ProbeResult[]): [number, ...(string | number)[]] {
  return recordResultsCall(keys, HISTORY, toRecord(results));
}

/**
 * The call as ResultStore made it before the script took two keys a result (d1d9cc7 and older): five
 * keys a result, no key suffixes.
 */
function fiveKeyCall(keys: RedisKeys, results: readonly ProbeResult[]): [number, ...(string | number)[]] {
  const [numberOfKeys, ...rest] = recordCall(keys, results);
  const twoKeys = rest.slice(1, numberOfKeys) as string[];
  const [, , ...perResult] = rest.slice(numberOfKeys);
  const callKeys: string[] = [String(rest[0])];
  results.forEach(({ checkId }, i) => {
    callKeys.push(
      twoKeys[2 * i] ?? '',
      twoKeys[2 * i + 1] ?? '',
      keys.history(checkId),
      keys.checkState(checkId),
      keys.latestMessages(checkId),
    );
  });
  return [callKeys.length, ...callKeys, HISTORY, ...perResult];
}

/** What apply-verdicts.lua does to a latest hash once a round is decided: its book goes, `~a` is the round. */
async function applyRound(redis: Redis, keys: RedisKeys, round: number, mode: Mode): Promise<void> {
  const pipeline = redis.pipeline();
  for (let c = 0; c < CHECKS; c++) {
    const id = checkId(c, round, mode);
    pipeline.hdel(keys.latest(id), `~b${round}`);
    pipeline.hset(keys.latest(id), '~a', round);
    pipeline.zrem(keys.pendingRounds(keys.shardOf(id)), `${id}|${round}`);
  }
  await pipeline.exec();
}

const MODES = ['prober', 'together', 'first'] as const;
type Mode = (typeof MODES)[number];

/** Check `c` of a round: the same checks every round, or in `first` mode new ones each round. */
function checkId(c: number, round: number, mode: Mode): string {
  return mode === 'first' ? `check-${round}-${c}` : `check-${c}`;
}

/** A round's results in the batches they are recorded in (see the top of this file). */
function roundBatches(round: number, mode: Mode): ProbeResult[][] {
  const result = (c: number, vantage: string) => httpRoundResult(checkId(c, round, mode), vantage, round, c % 10 !== 0);
  const batches: ProbeResult[][] = [];
  if (mode === 'prober') {
    for (const vantage of VANTAGES) {
      const all = Array.from({ length: CHECKS }, (_, c) => result(c, vantage));
      for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
    }
    return batches;
  }
  const checksPerBatch = Math.floor(BATCH / VANTAGES.length);
  for (let c = 0; c < CHECKS; c += checksPerBatch) {
    const checks = Array.from({ length: Math.min(checksPerBatch, CHECKS - c) }, (_, i) => c + i);
    batches.push(checks.flatMap((check) => VANTAGES.map((vantage) => result(check, vantage))));
  }
  return batches;
}

async function main(commit: string, rounds: number, mode: Mode): Promise<void> {
  const folder = scriptFolder(commit);
  const twoKeysBase = folder.baseText.includes('two keys per result');
  await withScriptSides(folder, 'vigilRecordResults', async (redis, sides) => {
    const first = Date.now() - rounds * INTERVAL_MS;
    let results = 0;
    let turn = 0;
    for (let k = 0; k < rounds; k++) {
      const round = first + k * INTERVAL_MS;
      for (const batch of roundBatches(round, mode)) {
        // Alternate which goes first, so neither always finds the caches warm.
        for (const side of turn++ % 2 ? (['base', 'new'] as const) : (['new', 'base'] as const)) {
          const call = (side === 'base' && !twoKeysBase ? fiveKeyCall : recordCall)(sides[side].keys, batch);
          await measured(redis, sides[side].sum, () => sides[side].run(...call));
        }
        results += batch.length;
      }
      for (const side of ['base', 'new'] as const) await applyRound(redis, sides[side].keys, round, mode);
    }
    printComparison(commit, { base: sides.base.sum, new: sides.new.sum }, results, 'result');
  });
}

const commit = commitArgument(
  'usage: tsx bench/record-results-ab.ts COMMIT [rounds] [prober|together|first] (the record script to compare with)',
);
const mode = (process.argv[4] ?? 'prober') as Mode;
if (!MODES.includes(mode)) {
  console.error(`record-results-ab: mode ${mode}: expected ${MODES.join(', ')}`);
  process.exit(2);
}
await main(commit, Number(process.argv[3] ?? 20), mode);
