import type { z } from 'zod';
import type { FieldIssue } from '../../errors/errors.js';
import type { AnyCheckKindModule, CheckKindModule, PolicyHost } from './check-kind.js';
import { dnsKind } from './dns.js';
import { heartbeatKind } from './heartbeat.js';
import { httpKind } from './http.js';
import { icmpKind } from './icmp.js';
import { tcpKind } from './tcp.js';

/** Every kind of check, in the order help texts list them. */
export const CHECK_KINDS = ['http', 'tcp', 'dns', 'icmp', 'heartbeat'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/**
 * One entry per kind: adding a name to `CHECK_KINDS` without its module here (or in the prober's
 * registry) does not compile. Nothing outside a kind's module branches on the kind.
 */
export const checkKinds = {
  http: httpKind,
  tcp: tcpKind,
  dns: dnsKind,
  icmp: icmpKind,
  heartbeat: heartbeatKind,
} satisfies Record<CheckKind, AnyCheckKindModule>;

type Kinds = typeof checkKinds;

/** The kinds the fleet probes: every kind but those whose module says `probed: false`. */
export type ProbedCheckKind = { [K in CheckKind]: Kinds[K] extends { probed: false } ? never : K }[CheckKind];

/** Whether the scheduler gives a check slots and probers probe it (a heartbeat is pushed instead). */
export function isProbed(check: { kind: CheckKind }): boolean {
  return kindModule(check.kind).probed !== false;
}

/** A kind's settings with defaults applied (`HttpSpec` for `http`). */
export type KindSpec<K extends CheckKind> = z.output<Kinds[K]['schema']>;

/** A kind's settings under its own key, the others absent: `{ kind: 'tcp', tcp: TcpSpec }`. */
export type KindSettings = {
  [K in CheckKind]: { kind: K } & { [P in K]: KindSpec<K> } & { [P in Exclude<CheckKind, K>]?: never };
}[CheckKind];

/** The parts of a check (or an unvalidated API body) that say where it probes. */
export type PolicyTarget = {
  [K in CheckKind]?: Parameters<Kinds[K]['policyHosts']>[0] | undefined;
};

/** A kind's module with its settings' type erased: for callers that hold a check of any kind. */
type ErasedKind = CheckKindModule<unknown, unknown>;

/** The module of `kind`, its settings typed as unknown; each kind's own code keeps the real types. */
export function kindModule(kind: CheckKind): ErasedKind {
  // The map pairs each kind with its module, so a check's settings always fit the module of its kind.
  return checkKinds[kind] as unknown as ErasedKind;
}

/** A check's kind and its settings, read through the kind rather than by name. */
export function kindSettingsOf(check: KindSettings): { kind: CheckKind; spec: unknown; module: ErasedKind } {
  const spec = (check as Record<CheckKind, unknown>)[check.kind];
  return { kind: check.kind, spec, module: kindModule(check.kind) };
}

/** Just the kind part of a check: `{ kind, [kind]: settings }`, for a probe job. */
export function pickKindSettings(check: KindSettings): KindSettings {
  const { kind, spec } = kindSettingsOf(check);
  return { kind, [kind]: spec } as KindSettings;
}

/** The kinds whose settings an input carries (a valid one carries exactly one). */
export function kindsIn(input: Partial<Record<CheckKind, unknown>>): CheckKind[] {
  return CHECK_KINDS.filter((kind) => input[kind] !== undefined);
}

/** Exactly what a check probes, for people and for matching allowances: `http https://a.example/`. */
export function checkTarget(check: KindSettings): string {
  const { kind, spec, module } = kindSettingsOf(check);
  return `${kind} ${module.target(spec)}`;
}

/** The host a check probes, for per-host concurrency caps. */
export function checkLimitKey(check: KindSettings): string {
  const { spec, module } = kindSettingsOf(check);
  return module.limitKey(spec);
}

/** The target for people, in one short cell. */
export function describeCheckTarget(check: KindSettings): string {
  const { spec, module } = kindSettingsOf(check);
  return module.describe(spec);
}

/** What the public status page shows of a check's target. */
export function publicCheckTarget(check: KindSettings): string {
  const { spec, module } = kindSettingsOf(check);
  return module.publicTarget(spec);
}

/** Every host the target policy must vet in a (possibly incomplete) target, each with its field path. */
export function policyHostsOf(target: PolicyTarget): (PolicyHost & { path: string })[] {
  return kindsIn(target).flatMap((kind) =>
    kindModule(kind)
      .policyHosts(target[kind])
      .map((host) => ({ ...host, path: `${kind}.${host.field}` })),
  );
}

/** What a check written through the API lacks that vigil.yaml may leave out, each with its field path. */
export function apiCheckIssues(check: KindSettings): FieldIssue[] {
  const { kind, spec, module } = kindSettingsOf(check);
  return (module.apiIssues?.(spec) ?? []).map(({ field, message }) => ({ path: `${kind}.${field}`, message }));
}

/** The kind settings of a validated input (which carries exactly one kind): `{ kind, [kind]: settings }`. */
export function inputKindSettings(input: { [K in CheckKind]?: KindSpec<K> | undefined }): KindSettings {
  const [kind = CHECK_KINDS[0]] = kindsIn(input);
  return { kind, [kind]: input[kind] } as KindSettings;
}
