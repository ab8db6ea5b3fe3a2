import type { ProbeErrorClass, ProbeResult, Quorum } from '@vigil/core';

/** What the evaluator keeps of one vantage's result for one round. */
export interface RoundOutcome {
  ok: boolean;
  error?: ProbeErrorClass;
  message?: string;
  /** Up, but slower than the check's bound. */
  slow?: boolean;
  /** Up overall, but this many of the resolved addresses failed (`allAddresses`). */
  badAddresses?: number;
  /** Each probed address (`allAddresses`): `true` when it answered as expected, else why it failed. */
  addresses?: Record<string, true | ProbeErrorClass>;
}

/**
 * What the round keeps of a result. With `allAddresses` the name still answers while any of its
 * addresses does: the vantage saw it up, and the failing addresses make it degraded (and are judged
 * one by one, `judgeAddresses`).
 */
export function toRoundOutcome(result: ProbeResult): RoundOutcome {
  const badAddresses = result.addresses?.filter((address) => !address.ok).length ?? 0;
  const answering = result.addresses?.some((address) => address.ok) ?? false;
  const ok = result.ok || answering;
  return {
    ok,
    ...(result.error && { error: result.error }),
    ...(result.message && { message: result.message.slice(0, 300) }),
    ...(result.slow && { slow: true }),
    ...(badAddresses > 0 && { badAddresses }),
    ...(result.addresses && result.addresses.length > 0 && { addresses: addressMarks(result.addresses) }),
  };
}

function addressMarks(addresses: NonNullable<ProbeResult['addresses']>): Record<string, true | ProbeErrorClass> {
  const marks: Record<string, true | ProbeErrorClass> = {};
  for (const address of addresses) marks[address.address] = address.ok ? true : (address.error ?? 'internal');
  return marks;
}

export type Verdict = 'ok' | 'degraded' | 'fail';

export interface RoundVerdict {
  verdict: Verdict;
  /** Vantages whose results counted (reported, not impaired). */
  counted: string[];
  failing: string[];
  /** Failing vantages whose peers mostly saw the check up: evidence against the vantage, not the target. */
  soloFailures: string[];
  reporters: string[];
  /** Reporters (impaired ones included) that saw the check up. */
  reportersUp: string[];
  /** The most common error among the failing, with one of its messages. */
  error?: ProbeErrorClass;
  message?: string;
}

/** Failures needed for `down` among `counted` vantages. */
export function failuresNeeded(quorum: Quorum, counted: number): number {
  if (quorum === 'majority') return Math.floor(counted / 2) + 1;
  if (quorum === 'all') return counted;
  return Math.min(quorum, counted);
}

/**
 * One round judged across vantages: `fail` when the quorum of healthy reporters failed, `degraded`
 * when some did (or it was slow, or an address failed), `ok` otherwise. Impaired vantages are left
 * out of the count unless nobody else reported. Undefined when nobody reported.
 */
export function judgeRound(
  outcomes: ReadonlyMap<string, RoundOutcome>,
  options: { quorum: Quorum; impaired: ReadonlySet<string> },
): RoundVerdict | undefined {
  const reporters = [...outcomes.keys()].sort();
  if (reporters.length === 0) return undefined;
  const healthy = reporters.filter((vantage) => !options.impaired.has(vantage));
  const counted = healthy.length > 0 ? healthy : reporters;
  const failing = counted.filter((vantage) => !outcomes.get(vantage)?.ok);
  const soloFailures = reporters.filter((vantage) => {
    if (outcomes.get(vantage)?.ok) return false;
    const others = reporters.filter((other) => other !== vantage);
    const othersUp = others.filter((other) => outcomes.get(other)?.ok).length;
    return others.length > 0 && othersUp * 2 > others.length;
  });
  const uneasy = counted.some((vantage) => {
    const outcome = outcomes.get(vantage);
    return outcome?.slow || (outcome?.badAddresses ?? 0) > 0;
  });
  const verdict: Verdict =
    failing.length >= failuresNeeded(options.quorum, counted.length)
      ? 'fail'
      : failing.length > 0 || uneasy
        ? 'degraded'
        : 'ok';
  const reportersUp = reporters.filter((vantage) => outcomes.get(vantage)?.ok);
  return { verdict, counted, failing, soloFailures, reporters, reportersUp, ...commonError(failing, outcomes) };
}

function commonError(
  failing: readonly string[],
  outcomes: ReadonlyMap<string, RoundOutcome>,
): { error?: ProbeErrorClass; message?: string } {
  const counts = new Map<ProbeErrorClass, number>();
  for (const vantage of failing) {
    const error = outcomes.get(vantage)?.error;
    if (error) counts.set(error, (counts.get(error) ?? 0) + 1);
  }
  const [error] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
  if (!error) return {};
  const message = failing.map((vantage) => outcomes.get(vantage)).find((o) => o?.error === error)?.message;
  return { error, ...(message && { message }) };
}
