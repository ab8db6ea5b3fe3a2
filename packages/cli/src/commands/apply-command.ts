import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';

/** `vigil apply -f vigil.yaml [--dry-run] [--prune] [--json]`; the action loads when it runs. */
export function registerApply(program: Command, cli: () => Promise<CliContext>): void {
  program
    .command('apply')
    .description(
      "make the server's checks and maintenances match a file: shows the plan (+ create, ~ change, - delete), " +
        'then applies it; a second apply changes nothing (through the API: VIGIL_URL, VIGIL_TOKEN)',
    )
    .requiredOption('-f, --file <file>', `the vigil.yaml to apply (\${VAR} expanded from the environment)`)
    .option('--dry-run', 'print the plan and write nothing')
    .option(
      '--prune',
      "delete this token owner's API checks (and their maintenances) that the file lacks; never the server's own vigil.yaml checks",
    )
    .option('--json', 'machine-readable plan and outcome')
    .action(async (opts: { file: string; dryRun?: boolean; prune?: boolean; json?: boolean }) =>
      (await import('./apply.js')).apply(await cli(), opts),
    );
}
