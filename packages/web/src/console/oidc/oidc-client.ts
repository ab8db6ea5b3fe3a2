import type { OidcSettings } from '@vigil/core';
import * as client from 'openid-client';

/** Hosts whose issuer may be plain http: a provider on this machine (a test's, a laptop's). */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The outcome of a sign-in the console shows as a page: a status and a sentence, never a stack. */
export class OidcSignInError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'OidcSignInError';
  }
}

/**
 * The IdP's configuration, discovered at the first sign-in and kept; a failed discovery is retried
 * at the next one. The client secret goes to openid-client only, never into an error or a log line.
 */
export class OidcClient {
  private discovered: Promise<client.Configuration> | undefined;

  constructor(private readonly settings: OidcSettings) {}

  configuration(): Promise<client.Configuration> {
    this.discovered ??= this.discover().catch((err: unknown) => {
      this.discovered = undefined;
      throw err;
    });
    return this.discovered;
  }

  private async discover(): Promise<client.Configuration> {
    const issuer = new URL(this.settings.issuer);
    const insecure = issuer.protocol === 'http:' && LOOPBACK.has(issuer.hostname);
    const secret = this.settings.clientSecret;
    try {
      return await client.discovery(
        issuer,
        this.settings.clientId,
        secret,
        secret === undefined ? client.None() : client.ClientSecretBasic(secret),
        { timeout: 10, ...(insecure && { execute: [client.allowInsecureRequests] }) },
      );
    } catch {
      throw new OidcSignInError(
        502,
        `The identity provider at ${issuer.origin} could not be reached or read; try again shortly.`,
      );
    }
  }
}

/** The sentence and status of a failed code exchange, from openid-client's error classes. */
export function exchangeFailure(err: unknown): OidcSignInError {
  if (err instanceof OidcSignInError) return err;
  if (err instanceof client.AuthorizationResponseError) {
    return new OidcSignInError(403, `The identity provider did not sign you in (${err.error}).`);
  }
  if (err instanceof client.ResponseBodyError) {
    return new OidcSignInError(502, `The identity provider refused the sign-in (${err.error}); start again.`);
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const code = err.cause[0]?.parameters.error ?? `HTTP ${err.status}`;
    return new OidcSignInError(502, `The identity provider refused the sign-in (${code}); start again.`);
  }
  return new OidcSignInError(502, 'The identity provider answered with something Vigil could not verify; start again.');
}
