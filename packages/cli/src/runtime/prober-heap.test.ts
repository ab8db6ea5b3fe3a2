import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./prober-heap.ts', import.meta.url));

/**
 * A fresh Node: churns garbage that lives a little (so V8 grows the nursery), a turn of the event loop
 * between slices as a busy prober has, with or without the prober's limits; prints the young
 * generation's largest size (MB). The slices take about a second in all: a look every second missed
 * the growth.
 */
const script = (fit: boolean) => `
import { getHeapSpaceStatistics } from 'node:v8';
import { setImmediate as turn } from 'node:timers/promises';
import { fitProberHeap } from ${JSON.stringify(MODULE)};
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
if (${fit}) fitProberHeap({ oldGrowthPercent: 30, semiSpaceMb: 4 });
let kept = [];
let most = young();
for (let slice = 0; slice < 300; slice++) {
  for (let i = 0; i < 5_000; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 100_000) kept = []; }
  await turn();
  most = Math.max(most, young());
}
console.log(JSON.stringify({ young: most }));
process.exit(0);
`;

async function youngAfterChurn(fit: boolean): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script(fit),
  ]);
  return (JSON.parse(stdout) as { young: number }).young;
}

describe('fitProberHeap', () => {
  it('stops the young generation growing once its semi-spaces reach the limit', async () => {
    const [fitted, free] = await Promise.all([youngAfterChurn(true), youngAfterChurn(false)]);
    // Two semi-spaces of 4 MB: the size is looked at after every scavenge; unfitted, V8 goes to 16 each.
    expect(fitted).toBeLessThanOrEqual(8);
    expect(free).toBeGreaterThan(fitted);
  }, 60_000);
});
