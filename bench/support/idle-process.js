// @ts-check
/**
 * The baseline of `pnpm bench fleet`: plain Node with every compiled package a role loads, doing
 * nothing. What a role costs on top of it is the role's own. JavaScript, so it runs without tsx.
 * Prints "ready"; stops on SIGTERM or when stdin closes.
 */
import '@vigil/core';
import '@vigil/notifier';
import '@vigil/prober';
import '@vigil/scheduler';
import '@vigil/web';

const MAX_LIFETIME_MS = 15 * 60_000;

const alive = setInterval(() => {}, 60_000);
function stop() {
  clearInterval(alive);
  process.exit(0);
}
process.stdout.write('ready\n');
process.on('SIGTERM', stop);
process.stdin.on('end', stop).resume();
setTimeout(stop, MAX_LIFETIME_MS).unref();
