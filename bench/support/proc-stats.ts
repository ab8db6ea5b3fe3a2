/** A process's memory and CPU time from /proc (Linux): what `pnpm bench fleet` reads of each role. */
import { readFile } from 'node:fs/promises';

export interface ProcSample {
  /** Resident set now (VmRSS) and its peak over the process's life (VmHWM), in bytes. */
  rss: number;
  hwm: number;
  /** utime + stime, in milliseconds. */
  cpuMs: number;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export async function sampleProc(pid: number): Promise<ProcSample> {
  const [status, stat] = await Promise.all([
    readFile(`/proc/${pid}/status`, 'utf8'),
    readFile(`/proc/${pid}/stat`, 'utf8'),
  ]);
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    rss: kb('VmRSS') * 1024,
    hwm: kb('VmHWM') * 1024,
    cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND,
  };
}
