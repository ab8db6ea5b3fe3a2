import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** A Redis Cluster of loopback masters started for a test, and how to reach it. */
export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:<port>,…`, what REDIS_URL takes. */
  url: string;
  ports: number[];
  /** A plain connection to each master, in port order (for `DBSIZE`, `CLUSTER COUNTKEYSINSLOT`). */
  masters: Redis[];
  stop(): Promise<void>;
}

const SLOTS = 16_384;

/**
 * Starts `size` masters (`redis-server --cluster-enabled yes` from PATH, no persistence, each with its
 * own config file and folder in a temp dir, on loopback ports whose bus port is free too) and joins
 * them with `CLUSTER ADDSLOTS` and `CLUSTER MEET`, so no redis-cli is needed; resolves once every
 * node reports `cluster_state:ok`. Takes a second or two.
 */
export async function startRedisCluster(
  options: { size?: number; timeoutMs?: number } = {},
): Promise<TestRedisCluster> {
  const size = options.size ?? 3;
  const dir = await mkdtemp(join(tmpdir(), 'vigil-cluster-'));
  const ports: number[] = [];
  while (ports.length < size) {
    const port = await freePortWithBus();
    if (!ports.some((taken) => Math.abs(taken - port) === 10_000 || taken === port)) ports.push(port);
  }
  const servers: ChildProcess[] = [];
  const masters: Redis[] = [];
  const stop = async () => {
    for (const master of masters) master.disconnect();
    await Promise.all(servers.map(stopServer));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) servers.push(await startServer(dir, port));
    for (const port of ports) masters.push(await connected(port, servers));
    const per = Math.ceil(SLOTS / size);
    // ADDSLOTS naming every slot, not ADDSLOTSRANGE: Redis 6 (some distributions' package still) has no range.
    await Promise.all(
      masters.map((master, i) => {
        const slots = Array.from({ length: Math.min(SLOTS, (i + 1) * per) - i * per }, (_, j) => i * per + j);
        return master.call('CLUSTER', 'ADDSLOTS', ...slots);
      }),
    );
    const [first] = masters;
    for (const port of ports.slice(1)) await first?.call('CLUSTER', 'MEET', '127.0.0.1', port);
    await clusterOk(masters, options.timeoutMs ?? 10_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis+cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`, ports, masters, stop };
}

async function startServer(dir: string, port: number): Promise<ChildProcess> {
  const nodeDir = join(dir, String(port));
  await mkdir(nodeDir);
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1'],
    ...['--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf')],
    ...['--cluster-node-timeout', '5000', '--dir', nodeDir, '--save', '', '--appendonly', 'no'],
  ];
  const server = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  server.on('error', () => {});
  return server;
}

/**
 * A loopback port free now whose cluster bus port (the port + 10000, where every Redis version puts
 * it) is free too.
 */
async function freePortWithBus(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await Promise.race([exited, sleep(3_000).then(() => server.kill('SIGKILL'))]);
}

/** A plain connection to one node once it answers; fails early if a server exited (no redis-server on PATH). */
async function connected(port: number, servers: readonly ChildProcess[]): Promise<Redis> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const redis = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => {});
    try {
      await redis.connect();
      await redis.ping();
      return redis;
    } catch (err) {
      redis.disconnect();
      const exited = servers.find((server) => server.exitCode !== null);
      if (exited) throw new Error(`redis-server exited with ${exited.exitCode}: is redis-server (7 or later) on PATH?`);
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

async function clusterOk(masters: readonly Redis[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const infos = await Promise.all(masters.map((master) => master.call('CLUSTER', 'INFO') as Promise<string>));
    const ok = infos.every(
      (info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters.length}`),
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the test Redis Cluster was not ok within ${timeoutMs}ms`);
    await sleep(50);
  }
}
