// Preloaded (`node --require`) into each process `pnpm bench startup` times: on exit, writes the
// process's peak resident set (KiB) and CPU time (user + system, µs) to fd 3, which the bench reads.
const { writeSync } = require('node:fs');

process.on('exit', () => {
  const usage = process.resourceUsage();
  try {
    writeSync(3, `${usage.maxRSS} ${usage.userCPUTime + usage.systemCPUTime}\n`);
  } catch {
    // No fd 3: not started by the bench.
  }
});
