import { randomBytes } from 'node:crypto';
import type { RoleContext } from '@vigil/core';

/** What the start of a sign-in leaves for its callback: never in the browser, only the state is. */
export interface OidcFlow {
  nonce: string;
  codeVerifier: string;
  /** Where the person was going, a path under /console. */
  returnTo: string;
}

/** A sign-in has this long to come back from the IdP. */
export const OIDC_FLOW_TTL_S = 600;

/** 256 random bits, base64url: 43 characters. */
const STATE = /^[A-Za-z0-9_-]{43}$/;

/**
 * OIDC sign-ins under way, in Redis under their state with a short TTL. A callback takes its flow
 * with GETDEL, so a state is good once: a replayed or forged callback finds nothing.
 */
export class OidcFlowStore {
  constructor(private readonly ctx: Pick<RoleContext, 'redis' | 'keys'>) {}

  /** Keeps a new flow; its state goes in the authorization request. */
  async begin(flow: OidcFlow): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    await this.ctx.redis.set(this.ctx.keys.consoleOidcFlow(state), JSON.stringify(flow), 'EX', OIDC_FLOW_TTL_S);
    return state;
  }

  /** The flow of a state, removed as it is read; undefined for an unknown, used or expired state. */
  async take(state: string | undefined): Promise<OidcFlow | undefined> {
    if (state === undefined || !STATE.test(state)) return undefined;
    const json = await this.ctx.redis.getdel(this.ctx.keys.consoleOidcFlow(state));
    return json === null ? undefined : (JSON.parse(json) as OidcFlow);
  }
}
