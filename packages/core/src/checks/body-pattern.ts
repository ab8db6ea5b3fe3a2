import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';

/**
 * A user's body pattern runs with RE2 semantics: linear in the body's length whatever the pattern
 * (no backreferences, no lookaround), so `^(a+)+$` cannot stall a role's event loop. re2js is a pure
 * JavaScript port of RE2 (no native build to install on every prober).
 */
export type BodyPattern = RE2JS;

let re2js: typeof RE2JS | undefined;
/** re2js (260 kB of source) loads with the first pattern: a role whose checks have none never holds it. */
function engine(): typeof RE2JS {
  re2js ??= (createRequire(import.meta.url)('re2js') as typeof import('re2js')).RE2JS;
  return re2js;
}

/** Longer sources are refused at registration: a pattern is a predicate, not a program. */
export const MAX_BODY_PATTERN_LENGTH = 1000;

/** Compiles `source`, or throws RE2's syntax error (its message names the offending part). */
export function compileBodyPattern(source: string): BodyPattern {
  return engine().compile(source);
}

/** Why `source` is not a pattern Vigil runs, in words for a field error; undefined when it is. */
export function bodyPatternProblem(source: string): string | undefined {
  if (source.length > MAX_BODY_PATTERN_LENGTH) return `expected at most ${MAX_BODY_PATTERN_LENGTH} characters`;
  try {
    compileBodyPattern(source);
    return undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
    return `expected a regular expression in RE2 syntax (no backreferences or lookaround): ${reason}`;
  }
}
