import { type Check, checkRevision } from '@vigil/core';

/**
 * Header names whose values are credentials: shown as `[redacted]`, never echoed back. Any `key`
 * counts (`Ocp-Apim-Subscription-Key`, `X-Functions-Key`): hiding a harmless one costs nothing.
 */
const SECRET_HEADER = /auth|cookie|token|secret|passw|key|session|credential|signature/i;

export interface CheckView extends Omit<Check, 'owner'> {
  owner: string | null;
  /** `config` for checks from vigil.yaml, `api` for checks registered through the API. */
  source: 'config' | 'api';
  /** A fingerprint of the whole stored check, secrets included; equal revisions mean equal checks. */
  revision: string;
  /** What the notifier decided: up, degraded, down, unknown, new (not decided yet) or paused. */
  state: string;
}

/** A check as the API shows it: credentials in headers redacted, ownership and revision added. */
export function checkView(check: Check, state: string | undefined): CheckView {
  const { owner, ...rest } = check;
  const http = check.http && {
    ...check.http,
    headers: Object.fromEntries(
      Object.entries(check.http.headers).map(([name, value]) => [
        name,
        SECRET_HEADER.test(name) ? '[redacted]' : value,
      ]),
    ),
  };
  return {
    ...rest,
    ...(http && { http }),
    owner: owner ?? null,
    source: owner === undefined ? 'config' : 'api',
    revision: checkRevision(check),
    state: check.paused ? 'paused' : (state ?? 'new'),
  };
}
