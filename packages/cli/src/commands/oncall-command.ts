import { type Command, Option } from 'commander';
import type { CliContext } from '../cli-context.js';

/** `vigil oncall`; the action loads when it runs. */
export function registerOncall(program: Command, cli: () => Promise<CliContext>): void {
  program
    .command('oncall')
    .description(
      'who is on call in each schedule, now or --at a time: from the API when VIGIL_TOKEN is set ' +
        '(and no -c is given), otherwise from the local config',
    )
    .addOption(new Option('-c, --config <file>', 'vigil.yaml to read (default: VIGIL_CONFIG or ./vigil.yaml)'))
    .option('--at <time>', 'an ISO date-time (default: now)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { config?: string; at?: string; json?: boolean }) =>
      (await import('./oncall.js')).oncall(await cli(), opts),
    );
}
