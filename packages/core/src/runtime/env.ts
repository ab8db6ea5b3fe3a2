import { z } from 'zod';
import { type FieldIssue, VigilError } from '../errors/errors.js';
import { describeIssues, toFieldIssues } from '../errors/issues.js';
import { parseRedisUrl, redisUrlProblem } from './redis-url.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envShape = z.object({
  /** One Redis (`redis://`, `rediss://`), or a Redis Cluster's seed nodes (`redis+cluster://h:p,h:p?shards=16`). */
  REDIS_URL: z
    .string()
    .superRefine((url, ctx) => {
      const problem = redisUrlProblem(url);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** Where `vigil up` and the CLI look for a Redis already on this machine before starting a private one. */
  VIGIL_LOCAL_REDIS_URL: z
    .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  VIGIL_CONFIG: z.string().min(1).default('vigil.yaml'),
  VIGIL_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]{1,64}$/, { error: 'expected letters, digits, _, -, { or } (no colon), up to 64' })
    .default('vigil'),
  VIGIL_VANTAGE: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { error: 'expected a vantage slug' })
    .optional(),
  VIGIL_PORT: z.coerce.number({ error: 'expected a port number' }).int().min(0).max(65535).default(8080),
  /** Signs acknowledge links and webhooks; at least 16 characters. */
  VIGIL_SECRET: z.string().min(16, { error: 'expected a secret of at least 16 characters' }).optional(),
  /** The bearer token `/metrics` asks for when vigil.yaml's `metrics.token` is not set; at least 16 characters. */
  VIGIL_METRICS_TOKEN: z.string().min(16, { error: 'expected a token of at least 16 characters' }).optional(),
  /** Where pages are mailed from; without it they go to the outbox folder. */
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'expected an smtp:// or smtps:// URL' }).optional(),
  /** The From address of pages. */
  VIGIL_MAIL_FROM: z.string().min(3).default('Vigil <vigil@localhost>'),
  /** Where the CLI finds the API; without it, the web role on this machine's VIGIL_PORT. */
  VIGIL_URL: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  /** The CLI's bearer token (`vigil tokens create`); never echoed back in an error. */
  VIGIL_TOKEN: z.string().regex(/^\S+$/, { error: 'expected a token without spaces (vgl_…)' }).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
});

const envSchema = envShape.superRefine((env, ctx) => {
  // On a Cluster, Vigil tags keys itself: a tag in the prefix would put every key in one slot.
  if (env.REDIS_URL && /[{}]/.test(env.VIGIL_PREFIX) && parseRedisUrl(env.REDIS_URL).mode === 'cluster')
    ctx.addIssue({
      code: 'custom',
      path: ['VIGIL_PREFIX'],
      message: 'expected no { or } with a redis+cluster:// REDIS_URL',
    });
});

/** Every variable Vigil reads: a deployment (compose file, manifest) setting another is a mistake. */
export const VIGIL_ENV_NAMES: readonly string[] = Object.keys(envShape.shape);

/** The environment Vigil reads, validated once at the process edge and passed inward. */
export type VigilEnv = z.output<typeof envSchema>;

/** Variables whose values are secrets: an error names them but never shows what they hold. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['VIGIL_SECRET', 'VIGIL_TOKEN', 'VIGIL_METRICS_TOKEN']);

/** Empty strings count as unset, so `REDIS_URL=` in a compose file means "the default". */
export function parseEnv(env: Readonly<Record<string, string | undefined>>): VigilEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issues: FieldIssue[] = toFieldIssues(parsed.error, present).map(({ received, ...issue }) =>
      SECRET_VARIABLES.has(issue.path) || received === undefined ? issue : { ...issue, received },
    );
    throw new VigilError('ENV_INVALID', `environment is invalid:\n${describeIssues(issues)}`, issues);
  }
  return parsed.data;
}
