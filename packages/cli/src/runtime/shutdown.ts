/**
 * Runs `stop` once on the first SIGINT or SIGTERM, then exits; a second signal exits at once, for
 * the operator whose shutdown is stuck behind a probe that will not end.
 */
export function onShutdown(stop: () => Promise<void>, deadlineMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`vigil: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    stopping = true;
    const timer = setTimeout(() => {
      process.stderr.write(`vigil: shutdown took longer than ${deadlineMs}ms, exiting\n`);
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`vigil: error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
