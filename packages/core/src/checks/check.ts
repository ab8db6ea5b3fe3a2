import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DAY_MS, durationSchema, formatDuration } from '../config/duration.js';
import {
  CHECK_KINDS,
  type CheckKind,
  checkKinds,
  inputKindSettings,
  isProbed,
  type KindSettings,
  kindSettingsOf,
  kindsIn,
} from './kinds/registry.js';

/** Identifiers of checks, components, vantages: safe in Redis keys, queue names and URLs. */
/** When a check opens an incident: see `alertOn` in the check schema. */
export const ALERT_ON = ['down', 'degraded', 'address'] as const;
export type AlertOn = (typeof ALERT_ON)[number];

export const slugSchema = z
  .string({ error: 'expected a slug (lowercase letters, digits and -)' })
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: 'expected a slug: lowercase letters, digits and -, 1 to 63 characters, not starting or ending with -',
  });

export const quorumSchema = z.union([z.literal('majority'), z.literal('all'), z.int().positive()], {
  error: 'expected "majority", "all" or a number of vantages',
});
export type Quorum = z.output<typeof quorumSchema>;

export const severitySchema = z.enum(['critical', 'major', 'minor', 'info']);

/** A vantage listed twice would be probed, counted and expected twice: refused at input. */
function eachVantageOnce(vantages: readonly string[], ctx: z.RefinementCtx): void {
  const times = new Map<string, number>();
  for (const vantage of vantages) times.set(vantage, (times.get(vantage) ?? 0) + 1);
  for (const [vantage, n] of times) {
    if (n < 2) continue;
    const listed = n === 2 ? 'twice' : `${n} times`;
    ctx.addIssue({
      code: 'custom',
      message: `expected each vantage once; ${JSON.stringify(vantage)} is listed ${listed}`,
    });
  }
}

const checkInputFields = {
  id: slugSchema,
  name: z.string().min(1).max(200).optional(),
  component: slugSchema.optional(),
  ...kindInputFields(),
  interval: durationSchema.optional(),
  timeout: durationSchema.optional(),
  vantages: z.array(slugSchema).min(1).superRefine(eachVantageOnce).optional(),
  confirmations: z.int().min(1).max(100).optional(),
  quorum: quorumSchema.optional(),
  severity: severitySchema.default('major'),
  escalation: slugSchema.optional(),
  /**
   * Open an incident when the check is `down` (default), already when it is `degraded`, or (`address`,
   * with `allAddresses`) when it is down or one of its addresses is down while the name still answers.
   */
  alertOn: z.enum(ALERT_ON).default('down'),
  tags: z.array(z.string().min(1).max(64)).max(32).default([]),
  paused: z.boolean().default(false),
  /** Show this check's name and target on the public status page (its component is always shown by name only). */
  public: z.boolean().default(false),
};

/** `http: httpSpecSchema.optional()` and so on, one field per kind of the registry. */
function kindInputFields(): { [K in CheckKind]: z.ZodOptional<(typeof checkKinds)[K]['schema']> } {
  const fields = Object.fromEntries(CHECK_KINDS.map((kind) => [kind, checkKinds[kind].schema.optional()]));
  return fields as { [K in CheckKind]: z.ZodOptional<(typeof checkKinds)[K]['schema']> };
}

const KIND_CHOICES = `${CHECK_KINDS.slice(0, -1).join(', ')} or ${CHECK_KINDS.at(-1)}`;

function exactlyOneKind(check: Partial<Record<CheckKind, unknown>>, ctx: z.RefinementCtx): void {
  const kinds = kindsIn(check);
  if (kinds.length !== 1) {
    ctx.addIssue({ code: 'custom', path: [CHECK_KINDS[0]], message: `expected exactly one of ${KIND_CHOICES}` });
  }
}

/** A check as written in an API body (or vigil.yaml, less its file-only fields): defaults not yet applied. */
export const checkInputSchema = z.strictObject(checkInputFields).superRefine(exactlyOneKind);
export type CheckInput = z.output<typeof checkInputSchema>;

/**
 * A check in vigil.yaml: the API's fields, and `allowPrivateTarget`, which only the operator's own file
 * may set — it lets this one check probe the private or loopback target it names, and nothing else.
 */
export const fileCheckInputSchema = z
  .strictObject({ ...checkInputFields, allowPrivateTarget: z.boolean().default(false) })
  .superRefine(exactlyOneKind);
export type FileCheckInput = z.output<typeof fileCheckInputSchema>;

export const checkDefaultsSchema = z.strictObject({
  interval: durationSchema.prefault('30s'),
  timeout: durationSchema.prefault('10s'),
  confirmations: z.int().min(1).max(100).default(2),
  quorum: quorumSchema.default('majority'),
});
export type CheckDefaults = z.output<typeof checkDefaultsSchema>;

/** The shortest interval a check may have; below it a probe fleet becomes a flood. */
export const MIN_INTERVAL_MS = 1_000;
/** A day: the longest interval a probed check may have (a job that checks in weekly is a heartbeat). */
export const MAX_INTERVAL_MS = DAY_MS;

/** What every check has, whatever its kind. */
export interface CheckCommon {
  id: string;
  name: string;
  component?: string;
  intervalMs: number;
  timeoutMs: number;
  /** Vantages that probe it; empty means every configured vantage. */
  vantages: string[];
  confirmations: number;
  quorum: Quorum;
  severity: z.output<typeof severitySchema>;
  escalation?: string;
  alertOn: AlertOn;
  tags: string[];
  paused: boolean;
  /** Name and target shown on the public status page; absent unless the check says `public: true`. */
  public?: true;
  /** The API token owner who registered it; absent for checks from vigil.yaml. */
  owner?: string;
}

/** A check with every default applied: what the registry stores and the scheduler reads. Its kind's settings sit under the kind's name. */
export type Check = CheckCommon & KindSettings;

/**
 * The vantages a check names, each once: a check stored before a vantage listed twice was refused
 * still names it twice, and is probed, expected and edited there once.
 */
export function namedVantages(check: Pick<CheckCommon, 'vantages'>): string[] {
  return [...new Set(check.vantages)];
}

/**
 * Which of `vantageIds` probe a check, each once: the ones it names, or all of them. The scheduler
 * plans and counts its slots from this list.
 */
export function vantagesFor(check: Pick<CheckCommon, 'vantages'>, vantageIds: readonly string[]): string[] {
  if (check.vantages.length === 0) return [...vantageIds];
  return namedVantages(check).filter((vantage) => vantageIds.includes(vantage));
}

/** Applies defaults to a validated input; `validateResolvedCheck` then checks what spans fields. */
export function resolveCheck(input: CheckInput, defaults: CheckDefaults): Check {
  const intervalMs = input.interval ?? defaults.interval;
  const timeoutMs = input.timeout ?? defaults.timeout;
  return {
    id: input.id,
    name: input.name ?? input.id,
    ...(input.component !== undefined && { component: input.component }),
    ...inputKindSettings(input),
    intervalMs,
    timeoutMs,
    vantages: input.vantages ?? [],
    confirmations: input.confirmations ?? defaults.confirmations,
    quorum: input.quorum ?? defaults.quorum,
    severity: input.severity,
    ...(input.escalation !== undefined && { escalation: input.escalation }),
    alertOn: input.alertOn,
    tags: input.tags,
    paused: input.paused,
    ...(input.public && { public: true }),
  };
}

/**
 * Rules that span a check and its defaults; each issue names the field to fix. A kind nothing probes
 * (a heartbeat) may be due weekly, and a run it watches may outlast the interval: the bounds that
 * keep probes from overlapping are for probed kinds.
 */
export function resolvedCheckIssues(check: Check): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  const probed = isProbed(check);
  if (check.intervalMs < MIN_INTERVAL_MS) {
    issues.push({ path: ['interval'], message: `expected at least ${MIN_INTERVAL_MS / 1000}s` });
  }
  if (probed && check.intervalMs > MAX_INTERVAL_MS) {
    issues.push({ path: ['interval'], message: `expected at most ${formatDuration(MAX_INTERVAL_MS)}` });
  }
  if (probed && check.timeoutMs > check.intervalMs) {
    issues.push({ path: ['timeout'], message: `expected at most the interval (${check.intervalMs}ms)` });
  }
  return issues;
}

/**
 * A short fingerprint of everything a check does (not who owns it): the API returns it and
 * `vigil apply` computes it for the file, so "unchanged" is exact even when secrets are redacted.
 */
export function checkRevision(check: Check): string {
  const { owner: _owner, ...spec } = check;
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/**
 * The input form of a stored check (durations as text, status ranges as strings): parsing it
 * with `checkInputSchema` and resolving it gives the same check back. PATCH merges into it.
 */
export function checkToInput(check: Check): Record<string, unknown> {
  const { kind, spec, module } = kindSettingsOf(check);
  const vantages = namedVantages(check);
  // A number quorum stored beside a vantage listed twice may count it twice: held to the vantages.
  const quorum =
    typeof check.quorum === 'number' && vantages.length > 0 ? Math.min(check.quorum, vantages.length) : check.quorum;
  return {
    id: check.id,
    name: check.name,
    ...(check.component !== undefined && { component: check.component }),
    [kind]: module.toInput(spec),
    interval: formatDuration(check.intervalMs),
    timeout: formatDuration(check.timeoutMs),
    // Each once: a check stored before a vantage listed twice was refused still parses and patches.
    ...(vantages.length > 0 && { vantages }),
    confirmations: check.confirmations,
    quorum,
    severity: check.severity,
    ...(check.escalation !== undefined && { escalation: check.escalation }),
    alertOn: check.alertOn,
    tags: check.tags,
    paused: check.paused,
    ...(check.public && { public: true }),
  };
}
