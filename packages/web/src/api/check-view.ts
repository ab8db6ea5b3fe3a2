import {
  type AddressEvent,
  type AddressState,
  type Check,
  type CheckCommon,
  checkRevision,
  isProbed,
  type KindSettings,
  kindSettingsOf,
} from '@vigil/core';

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
  /** Each resolved address's state (up, degraded, down, since when, failing from which vantages), with `allAddresses`. */
  addresses?: AddressState[];
  /** The check's timeline of address transitions (down, back, gone), newest first. */
  addressEvents?: AddressEvent[];
}

/** A check as the API shows it: credentials redacted by its kind, ownership and revision added. */
export function checkView(
  check: Check,
  state: string | undefined,
  report: { addresses: AddressState[]; events: AddressEvent[] } = { addresses: [], events: [] },
): CheckView {
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
    ...(report.addresses.length > 0 && { addresses: report.addresses }),
    ...(report.events.length > 0 && { addressEvents: report.events }),
  };
  // The kind's settings replaced by their redacted form: still the settings of the same kind.
  return view as CheckView;
}
