import { userInfo } from 'node:os';
import {
  type ApiToken,
  CheckRegistry,
  formatDuration,
  systemClock,
  TokenStore,
  tokenInputSchema,
  VigilError,
} from '@vigil/core';
import type { CliContext } from '../cli-context.js';
import { relabelIssues } from '../output/field-errors.js';
import { renderTable } from '../output/table.js';
import { type TokenFlags, tokenFlagFor, tokenInputFromFlags } from '../token-flags.js';

/** A token as listed: its record, how many checks its owner has registered, when it was last used. */
type TokenView = ApiToken & { checksUsed: number; lastUsedAt?: number | null };

function createdBy(): string {
  try {
    return `${userInfo().username} (cli, direct to Redis)`;
  } catch {
    return 'cli (direct to Redis)';
  }
}

export function renderTokens(tokens: readonly TokenView[]): string {
  if (tokens.length === 0) return 'No tokens. Create the first with `vigil tokens create --scope admin`.';
  return renderTable(
    ['ID', 'NAME', 'OWNER', 'SCOPE', 'CHECKS', 'MIN INTERVAL', 'VANTAGES', 'RATE', 'CREATED', 'LAST USED'],
    tokens.map((token) => [
      token.id,
      token.name,
      token.owner,
      token.scope,
      `${token.checksUsed}/${token.quota.checks}`,
      formatDuration(token.quota.minIntervalMs),
      String(token.quota.vantages),
      `${token.rateLimit.max}/${formatDuration(token.rateLimit.perMs)}`,
      new Date(token.createdAt).toISOString().slice(0, 10),
      // Noted once a minute at most, so shown to the minute; older servers do not send it.
      typeof token.lastUsedAt === 'number'
        ? `${new Date(token.lastUsedAt).toISOString().slice(0, 16).replace('T', ' ')}Z`
        : 'never',
    ]),
  );
}

/** `vigil tokens create`: through the API with a token, else straight to Redis (the first admin token). */
export async function create(cli: CliContext, flags: TokenFlags & { json?: boolean }): Promise<void> {
  const { json, ...rest } = flags;
  const input = tokenInputFromFlags(rest);
  let created: { token: string } & TokenView;
  if (cli.hasToken) {
    created = await cli
      .api()
      .post<{ token: string } & TokenView>('/api/v1/tokens', input)
      .catch((err: unknown) => {
        throw relabelIssues(err, tokenFlagFor);
      });
  } else {
    created = await directToRedis(cli, async (stores) => {
      const { token, record } = await stores.tokens.create(tokenInputSchema.parse(input), {
        now: systemClock.now(),
        createdBy: createdBy(),
      });
      return { token, ...record, checksUsed: await stores.checks.countOwned(record.owner) };
    });
  }
  if (json) return cli.json(created);
  // The token alone on stdout (`export VIGIL_TOKEN=$(vigil tokens create …)`); the words on stderr.
  cli.note(`created token ${created.id} (${created.scope}, owner ${created.owner}, name ${created.name})`);
  cli.out(created.token);
  cli.note('this is the only time the token is shown: store it now (export VIGIL_TOKEN=…)');
}

interface Stores {
  tokens: TokenStore;
  checks: CheckRegistry;
}

/** The bootstrap path: without VIGIL_TOKEN, token commands work on Redis itself. */
async function directToRedis<T>(cli: CliContext, run: (stores: Stores) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await cli.withRuntime(async (runtime) => {
    const stores = { redis: runtime.redis, keys: runtime.keys };
    result = await run({ tokens: new TokenStore(stores), checks: new CheckRegistry(stores) });
    return 0;
  });
  return result as T;
}

/** `vigil tokens ls`, with how many checks each owner has. */
export async function list(cli: CliContext, opts: { json?: boolean }): Promise<void> {
  const tokens = cli.hasToken
    ? (await cli.api().get<{ items: TokenView[] }>('/api/v1/tokens')).items
    : await directToRedis(cli, async ({ tokens, checks }) => {
        const records = await tokens.list();
        const lastUsed = await tokens.lastUsed(records.map((token) => token.id));
        return Promise.all(
          records.map(async (token) => ({
            ...token,
            checksUsed: await checks.countOwned(token.owner),
            lastUsedAt: lastUsed.get(token.id) ?? null,
          })),
        );
      });
  cli.out(opts.json ? JSON.stringify(tokens) : renderTokens(tokens));
}

/** `vigil tokens revoke <id>`. */
export async function revoke(cli: CliContext, id: string): Promise<void> {
  if (cli.hasToken) {
    await cli.api().delete(`/api/v1/tokens/${encodeURIComponent(id)}`);
  } else {
    const revoked = await directToRedis(cli, ({ tokens }) => tokens.revoke(id));
    if (!revoked) throw new VigilError('NOT_FOUND', `no token ${id} (see \`vigil tokens ls\`)`);
  }
  cli.out(`Token ${id} revoked: it is refused from now on.`);
}
