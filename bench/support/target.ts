/** The loopback target of every bench: `target-server.ts` in a child process, and where to find it. */
import { startChild } from './child.js';

export interface Target {
  httpUrl: string;
  httpOrigin: string;
  tcpPort: number;
  /** UDP and TCP, on 127.0.0.1. */
  dnsPort: number;
  /** For reading its CPU time. */
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const child = await startChild('./target-server.ts');
  const ports = JSON.parse(child.first) as { http: number; tcp: number; dns: number };
  const httpOrigin = `http://127.0.0.1:${ports.http}`;
  return {
    httpUrl: `${httpOrigin}/health`,
    httpOrigin,
    tcpPort: ports.tcp,
    dnsPort: ports.dns,
    pid: child.pid,
    stop: () => child.stop(2_000),
  };
}
