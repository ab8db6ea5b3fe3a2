import type { ProbeErrorClass, Quorum } from '@vigil/core';
import { judgeRound, type RoundOutcome, type Verdict } from './round-verdict.js';

/** One resolved address of a name judged across the vantages that probed it in one round. */
export interface AddressVerdict {
  address: string;
  verdict: Verdict;
  /** Vantages that probed this address and counted (not impaired), sorted. */
  counted: string[];
  failing: string[];
  /** The most common error among the failing. */
  error?: ProbeErrorClass;
}

/**
 * Every address of an `allAddresses` round judged as a name is (`judgeRound`): `fail` when the
 * quorum of healthy vantages that probed it failed it, `degraded` when some did. Sorted by address;
 * empty when no vantage probed addresses one by one.
 */
export function judgeAddresses(
  outcomes: ReadonlyMap<string, RoundOutcome>,
  options: { quorum: Quorum; impaired: ReadonlySet<string> },
): AddressVerdict[] {
  const byAddress = new Map<string, Map<string, RoundOutcome>>();
  for (const [vantage, outcome] of outcomes) {
    for (const [address, mark] of Object.entries(outcome.addresses ?? {})) {
      const seen = byAddress.get(address) ?? new Map<string, RoundOutcome>();
      seen.set(vantage, mark === true ? { ok: true } : { ok: false, error: mark });
      byAddress.set(address, seen);
    }
  }
  const verdicts: AddressVerdict[] = [];
  for (const address of [...byAddress.keys()].sort()) {
    const judged = judgeRound(byAddress.get(address) ?? new Map(), options);
    if (!judged) continue;
    verdicts.push({
      address,
      verdict: judged.verdict,
      counted: judged.counted,
      failing: judged.failing,
      ...(judged.error && { error: judged.error }),
    });
  }
  return verdicts;
}
