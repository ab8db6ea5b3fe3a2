import { fileURLToPath } from 'node:url';

/** For the fuzz tests (api/fuzz.test.ts, console/console-authorization.test.ts): what a leaked stack trace looks like. */
const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
const STACK_SIGNS = [
  new RegExp(REPO.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
  /node:internal|node_modules/,
  /(?:\\n|\n)\s*at \S+ \(/,
  /\.(?:[cm]?js|ts):\d+:\d+/,
  /\b(?:TypeError|RangeError|ReferenceError)\b/,
];

/** Object.prototype's own names before any request: a fuzzed one that adds to them polluted it. */
export const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/** A stack frame, a source path or an exception name in an answer, unless the request itself sent it (as is, JSON-quoted or percent-encoded). */
export function stackLeak(body: string, sent: string): string | undefined {
  for (const sign of STACK_SIGNS) {
    const match = sign.exec(body)?.[0];
    if (match === undefined) continue;
    if (!sent.includes(match) && !JSON.stringify(sent).includes(match) && !decoded(sent).includes(match)) return match;
  }
  return undefined;
}
