import { type Check, type CheckCommon, checkRevision, isProbed, type KindSettings, kindSettingsOf } from '@vigil/core';

/** A check as the API shows it: any kind, its settings under the kind's name. */
export type CheckView = Omit<CheckCommon, 'owner'> & KindSettings & CheckViewFields;

interface CheckViewFields {
  owner: string | null;
  /** `config` for checks from vigil.yaml, `api` for checks registered through the API. */
  source: 'config' | 'api';
  /** A fingerprint of the whole stored check, secrets included; equal revisions mean equal checks. */
  revision: string;
  /** What the notifier decided: up, degraded, down, unknown, new (not decided yet) or paused. */
  state: string;
  /** Pinged by the job it watches (a heartbeat), not probed: no vantages, no quorum; `…/pings` has its pings. */
  pushed?: true;
}

/** A check as the API shows it: credentials redacted by its kind, ownership and revision added. */
export function checkView(check: Check, state: string | undefined): CheckView {
  const { owner, ...rest } = check;
  const { kind, spec, module } = kindSettingsOf(check);
  const view = {
    ...rest,
    [kind]: module.redact(spec),
    owner: owner ?? null,
    source: owner === undefined ? 'config' : 'api',
    revision: checkRevision(check),
    state: check.paused ? 'paused' : (state ?? 'new'),
    ...(!isProbed(check) && { pushed: true }),
  };
  // The kind's settings replaced by their redacted form: still the settings of the same kind.
  return view as CheckView;
}
