/** What every role process runs on: Redis and its key layout, queues, environment, clock, logger, health server. */
export { type Clock, systemClock } from './clock.js';
export type { RoleConnections, RoleContext } from './context.js';
export { parseEnv, VIGIL_ENV_NAMES, type VigilEnv } from './env.js';
export { freePort } from './free-port.js';
export {
  escapeHelpText,
  escapeLabelValue,
  expositionPieces,
  formatSampleValue,
  type StreamedFamily,
  writePieces,
} from './http/metrics-exposition.js';
export { processMetrics, RoleServer, type RoleServerOptions, redisReady } from './http/role-server.js';
export {
  fnv1a,
  groupByShard,
  type KeyLayout,
  keyLayoutOf,
  type RedisKeys,
  redisKeys,
  type ShardGroup,
  scatterReplies,
  utcDay,
} from './keys.js';
export { createLogger, type Logger } from './logger.js';
export {
  DELIVERIES_QUEUE,
  ESCALATIONS_QUEUE,
  probeQueueName,
  RESULTS_QUEUE,
  roundFromJobId,
  schedulerId,
} from './queues.js';
export { createRedis, DEFAULT_REDIS_URL, type Redis, redactUrl, redisAnswers, waitForRedis } from './redis.js';
export { type ClusterNode, DEFAULT_CLUSTER_SHARDS, parseRedisUrl, type RedisTarget } from './redis-url.js';
export { defineScripts, type LuaScript, loadScripts, type ScriptPipeline } from './scripts.js';
export { TimedMemo } from './timed-memo.js';
