import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./prober-heap.ts', import.meta.url));

/**
 * A fresh Node: churns short-lived garbage in slices (so the watch gets its turns), with or without
 * the prober's limits, and prints the young generation's size (MB) at the end.
 */
const script = (fit: boolean) => `
import { getHeapSpaceStatistics } from 'node:v8';
import { setImmediate as turn } from 'node:timers/promises';
import { fitProberHeap } from ${JSON.stringify(MODULE)};
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
if (${fit}) fitProberHeap({ oldGrowthPercent: 30, semiSpaceMb: 2, everyMs: 5 });
let kept = [];
for (let slice = 0; slice < 400; slice++) {
  for (let i = 0; i < 10_000; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 20_000) kept = []; }
  await turn();
  await new Promise((resolve) => setTimeout(resolve, 1));
}
console.log(JSON.stringify({ young: young() }));
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
    // Two semi-spaces of 2 MB, or 4 when a growth came between two looks; unfitted, V8 goes to 16 each.
    expect(fitted).toBeLessThanOrEqual(8);
    expect(free).toBeGreaterThan(fitted);
  }, 60_000);
});
