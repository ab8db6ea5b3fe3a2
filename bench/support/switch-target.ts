/** The detection bench's target: `switch-target-server.ts` in a child process, failed and healed on demand. */
import { startChild } from './child.js';

export interface SwitchTarget {
  /** A URL per check (`?n=`), all on the one server. */
  url(n: number): string;
  pid: number | undefined;
  /** From now on every request's connection is dropped; returns the moment the signal was sent. */
  fail(): number;
  heal(): void;
  stop(): Promise<void>;
}

export async function startSwitchTarget(): Promise<SwitchTarget> {
  const child = await startChild('./switch-target-server.ts');
  const { http } = JSON.parse(child.first) as { http: number };
  const signal = (name: NodeJS.Signals) => {
    if (child.pid === undefined) throw new Error('the target process has no pid');
    process.kill(child.pid, name);
  };
  return {
    url: (n) => `http://127.0.0.1:${http}/health?n=${n}`,
    pid: child.pid,
    fail() {
      const at = Date.now();
      signal('SIGUSR1');
      return at;
    },
    heal: () => signal('SIGUSR2'),
    stop: () => child.stop(2_000),
  };
}
