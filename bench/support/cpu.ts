/**
 * CPU time per probe, by process: this one (load generator, recorder), the prober, Redis and the target.
 * On a small machine every process shares the same cores, so the cost of a probe in CPU is what
 * bounds the rate; this says which process pays it.
 */
import { readFile } from 'node:fs/promises';
import type { Redis } from '@vigil/core';

/** Cumulative CPU milliseconds of each process. */
export interface CpuSample {
  self: number;
  prober: number;
  redis: number;
  target: number;
}

/** The child processes whose CPU time is read. */
export interface CpuPids {
  prober: number | undefined;
  target: number | undefined;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export async function sampleCpu(redis: Redis, pids: CpuPids): Promise<CpuSample> {
  const usage = process.cpuUsage();
  const [redisMs, proberMs, targetMs, childrenMs] = await Promise.all([
    redisCpuMs(redis),
    processCpuMs(pids.prober),
    processCpuMs(pids.target),
    childrenCpuMs(process.pid),
  ]);
  const self = (usage.user + usage.system) / 1000 + childrenMs;
  return { self, prober: proberMs, redis: redisMs, target: targetMs };
}

/** Microseconds of CPU per probe between two samples. */
export function cpuPerProbe(before: CpuSample, after: CpuSample, probes: number): CpuSample {
  const per = (key: keyof CpuSample) => (probes > 0 ? ((after[key] - before[key]) * 1000) / probes : Number.NaN);
  return { self: per('self'), prober: per('prober'), redis: per('redis'), target: per('target') };
}

async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** utime + stime of a child process and of the children it reaped (an ICMP probe's fping); NaN without /proc. */
async function processCpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const fields = await statFields(pid);
  if (!fields) return Number.NaN;
  return (
    ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND
  );
}

/** cutime + cstime: the CPU of children a process reaped (this one's raw fping runs); 0 without /proc. */
async function childrenCpuMs(pid: number): Promise<number> {
  const fields = await statFields(pid);
  return fields ? ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND : 0;
}

/** /proc/<pid>/stat after the command name: fields[11] is utime, [12] stime, [13] cutime, [14] cstime. */
async function statFields(pid: number): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
