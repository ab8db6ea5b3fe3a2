import { parseEnv, type VigilEnv, VigilError } from '@vigil/core';
import { ApiClient } from './api-client.js';
import { type Palette, palette, wantsColour } from './output/colour.js';
import { openRuntime, type Runtime } from './runtime/runtime.js';

/**
 * What every command adapter gets from the process: the environment (parsed once, on first use),
 * the API client, Redis for the commands that work without a token, and where to write.
 */
export class CliContext {
  private parsed: VigilEnv | undefined;
  private client: ApiClient | undefined;

  constructor(
    readonly processEnv: NodeJS.ProcessEnv,
    private readonly stdout: NodeJS.WriteStream,
    private readonly stderr: NodeJS.WriteStream,
  ) {}

  get env(): VigilEnv {
    this.parsed ??= parseEnv(this.processEnv);
    return this.parsed;
  }

  /** Whether VIGIL_TOKEN is set: commands that can also work on Redis go through the API then. */
  get hasToken(): boolean {
    return this.env.VIGIL_TOKEN !== undefined;
  }

  /** The API with the token, or UNAUTHORIZED saying how to get one. */
  api(): ApiClient {
    if (!this.hasToken) {
      throw new VigilError(
        'UNAUTHORIZED',
        'VIGIL_TOKEN is not set: create a token with `vigil tokens create --scope admin` and export VIGIL_TOKEN',
      );
    }
    this.client ??= ApiClient.fromEnv(this.env);
    return this.client;
  }

  /** Colours for stdout: only on a terminal, and never with NO_COLOR. */
  get colours(): Palette {
    return palette(wantsColour(this.stdout, this.processEnv));
  }

  /** One result for the caller: a table, a sentence or JSON, on stdout. */
  out(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  /** What a person should know but a script should not parse, on stderr. */
  note(text: string): void {
    this.stderr.write(`vigil: ${text}\n`);
  }

  json(value: unknown): void {
    this.out(JSON.stringify(value));
  }

  /** Runs a command against Redis with a quiet logger, setting the exit code it returns. */
  async withRuntime(run: (runtime: Runtime) => Promise<number | undefined>): Promise<void> {
    const runtime = await openRuntime({ env: { ...this.env, LOG_LEVEL: 'warn' }, role: 'cli' });
    try {
      process.exitCode = (await run(runtime)) ?? 0;
    } finally {
      await runtime.close();
    }
  }
}
