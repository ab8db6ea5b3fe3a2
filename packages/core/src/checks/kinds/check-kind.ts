import type { z } from 'zod';

/** A host the target policy must vet, and the field of the kind's settings it was written in. */
export interface PolicyHost {
  /** The field under the kind's key: `url` for `http.url`. */
  field: string;
  /** The host as a resolver reads it (`2130706433` → `127.0.0.1`); undefined when the field does not parse. */
  host: string | undefined;
  /** The value as written, for the error. */
  written: string;
}

/** How `vigil checks add --<kind> VALUE` turns its one value into the kind's settings. */
export interface KindFlag {
  /** The value's placeholder in `--help`: `URL`, `HOST:PORT`. */
  value: string;
  example: string;
  /** The kind's input settings, or undefined when the value has not the expected shape. */
  toInput(text: string): Record<string, unknown> | undefined;
}

/**
 * Everything core knows about one check kind. `Spec` is its settings with defaults applied, `Vetted`
 * the part of them the target policy reads (an API body is vetted before it is complete).
 */
export interface CheckKindModule<Spec, Vetted = Spec> {
  /** One line for `--help`, the OpenAPI document and the README. */
  summary: string;
  schema: z.ZodType<Spec>;
  flag: KindFlag;
  /** Exactly what it probes (`https://a.example/health`, `db:5432`): allowances are matched against it. */
  target(spec: Spec): string;
  /** The target for people, in one short cell (CLI tables, `vigil checks show`). */
  describe(spec: Spec): string;
  /** What the public status page shows: never a credential. */
  publicTarget(spec: Spec): string;
  /** The host per-host concurrency limits count probes against. */
  limitKey(spec: Spec): string;
  /** Every host the target policy must vet; a kind with none (a DNS check on the system resolver) lists none. */
  policyHosts(spec: Vetted): PolicyHost[];
  /**
   * What settings written through the API (a tenant's token) must say that vigil.yaml, the operator's
   * own, may leave to the fleet — a DNS check's resolver; each a field under the kind's key. Absent when
   * the kind asks nothing more of the API.
   */
  apiIssues?(spec: Spec): { field: string; message: string }[];
  /** The input (vigil.yaml) form of stored settings: parsing it gives the same settings back. */
  toInput(spec: Spec): unknown;
  /** The settings as the API shows them: credentials redacted. */
  redact(spec: Spec): Spec;
  /** `false` for a kind nothing probes (a heartbeat is pushed): the scheduler gives it no slots. */
  probed?: false;
}

/** Any kind's module, its settings' type left open: what the registries' `satisfies` checks. */
export type AnyCheckKindModule = {
  [F in keyof CheckKindModule<unknown>]: CheckKindModule<unknown>[F] extends (spec: never) => unknown
    ? (spec: never) => unknown
    : CheckKindModule<unknown>[F];
};
