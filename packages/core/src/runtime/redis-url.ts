/** Per-check keys spread over this many hash tags on a Redis Cluster unless the URL says otherwise. */
export const DEFAULT_CLUSTER_SHARDS = 16;

/** A seed node of a Redis Cluster. */
export interface ClusterNode {
  host: string;
  port: number;
}

/** Where Redis is: one server (any `redis://` URL), or the seed nodes of a Redis Cluster. */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | {
      mode: 'cluster';
      nodes: ClusterNode[];
      username?: string;
      password?: string;
      tls: boolean;
      /** How many hash-tag shards per-check keys spread over (`?shards=`). */
      shards: number;
    };

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/?#]*)@)?([^/?#]+)\/?(?:\?([^#]*))?$/;
const NODE = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/;

/**
 * Reads a Redis location: `redis+cluster://[user:password@]host:port[,host:port…][?shards=N]`
 * (`rediss+cluster://` with TLS) names a Cluster by its seed nodes; anything else is one Redis.
 * WHATWG URLs cannot hold a list of hosts, hence the hand-written parse. Throws naming what is wrong.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const match = CLUSTER_URL.exec(url);
  if (!match) {
    if (/^rediss?\+cluster:/.test(url))
      throw new Error('expected redis+cluster://[user:password@]host:port[,host:port…][?shards=N]');
    return { mode: 'single', url };
  }
  const [, scheme, userinfo, hostList = '', query = ''] = match;
  const nodes = hostList.split(',').map((entry) => {
    const node = NODE.exec(entry);
    const port = Number(node?.[3]);
    if (!node || port < 1 || port > 65535) throw new Error(`expected host:port for a seed node, got "${entry}"`);
    return { host: node[1] ?? node[2] ?? '', port };
  });
  const params = new URLSearchParams(query);
  for (const name of params.keys()) if (name !== 'shards') throw new Error(`unknown parameter "${name}" (only shards)`);
  const shardsText = params.get('shards');
  const shards = shardsText === null ? DEFAULT_CLUSTER_SHARDS : Number(shardsText);
  if (!Number.isInteger(shards) || shards < 1 || shards > 16_384)
    throw new Error(`expected shards to be a whole number from 1 to 16384, got "${shardsText}"`);
  const [user = '', password] = (userinfo ?? '').split(/:(.*)/s, 2);
  return {
    mode: 'cluster',
    nodes,
    ...(user !== '' && { username: decodeURIComponent(user) }),
    ...(password !== undefined && password !== '' && { password: decodeURIComponent(password) }),
    tls: scheme === 'rediss',
    shards,
  };
}

/** What is wrong with a Redis location, or undefined when it reads. */
export function redisUrlProblem(url: string): string | undefined {
  try {
    const target = parseRedisUrl(url);
    if (target.mode === 'single' && !/^rediss?:$/.test(new URL(url).protocol))
      return 'expected a redis://, rediss:// or redis+cluster:// URL';
    return undefined;
  } catch (err) {
    return err instanceof TypeError ? 'expected a redis://, rediss:// or redis+cluster:// URL' : (err as Error).message;
  }
}
