import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

/** `vigil status`; the action (and the Redis client or API behind it) loads when it runs. */
export function registerStatus(program: Command, cli: () => Promise<CliContext>): void {
  program
    .command('status')
    .description(
      "each check's decided state and latest result from every vantage (the API with VIGIL_TOKEN, else Redis)",
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => (await import('./status.js')).status(await cli(), opts));
}
