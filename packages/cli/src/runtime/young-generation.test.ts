import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const MODULE = fileURLToPath(new URL('./young-generation.ts', import.meta.url));

/**
 * A fresh Node (the flag is process-wide, and vitest's own worker has long grown its nursery): churns
 * short-lived garbage with the young generation held (tsx's loading may have grown it a little first), then again after the release, and prints the
 * young generation's size (MB) after each.
 */
const SCRIPT = `
import { getHeapSpaceStatistics } from 'node:v8';
import { holdYoungGeneration } from ${JSON.stringify(MODULE)};
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
let kept = [];
const churn = () => { for (let i = 0; i < 400_000; i++) { kept.push({ i, s: 'x' + i }); if (kept.length > 20_000) kept = []; } };
const start = young();
const release = holdYoungGeneration();
churn();
const held = young();
release();
release();
churn();
console.log(JSON.stringify({ start, held, released: young() }));
`;

describe('holdYoungGeneration', () => {
  it('keeps the young generation at its starting size until released, then lets it grow again', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      SCRIPT,
    ]);
    const { start, held, released } = JSON.parse(stdout) as { start: number; held: number; released: number };
    // Unheld, V8 doubles the semi-spaces under churn up to 16 MB each (32 MB in all).
    expect(held).toBe(start);
    expect(released).toBeGreaterThan(held);
  });
});
