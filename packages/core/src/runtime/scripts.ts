import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander, Redis } from 'ioredis';

/** One `.lua` file of a `lua/` folder, checked against its header and ready for `defineCommand`. */
export interface LuaScript {
  /** `vigil` and the file name in camel case: `open-incident.lua` → `vigilOpenIncident`. */
  name: string;
  /** The file, for messages. */
  path: string;
  /** How many `KEYS[i]` lines the header's `Input:` lists. */
  numberOfKeys: number;
  /**
   * Whether the last of them repeats (`KEYS[2…]`): the script takes any number of keys, and the
   * caller passes how many it gives first, as with EVALSHA.
   */
  repeatingKeys: boolean;
  /** The script with its `--- @include` lines replaced by the included files. */
  lua: string;
}

/** The pipeline form of a store's commands: each queues its call and returns the pipeline. */
export type ScriptPipeline<Commands> = ChainableCommander & {
  [Name in keyof Commands]: Commands[Name] extends (...args: infer Args) => unknown
    ? (...args: Args) => ScriptPipeline<Commands>
    : never;
};

const FILE_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*\.lua$/;
const HEADER = /^--\[\[\n([\s\S]*?)\n\]\]\n/;
const INCLUDE = /^--- @include "([^"]+)"$/gm;

const folders = new Map<string, readonly LuaScript[]>();
/** Per connection: command name → the script defined under it. */
const definedOn = new WeakMap<Redis, Map<string, LuaScript>>();

/**
 * Defines every script of a `lua/` folder as a command of this connection, once per connection, and
 * returns the connection typed with the caller's `Commands`. Pass the folder as
 * `new URL('./lua/', import.meta.url)`, so it resolves beside the caller in `src/` and in `dist/`.
 * A name already taken on the connection by another file (or by ioredis itself) is refused.
 */
export function defineScripts<Commands extends object>(redis: Redis, folder: URL): Redis & Commands {
  const defined = definedOn.get(redis) ?? new Map<string, LuaScript>();
  definedOn.set(redis, defined);
  for (const script of loadScripts(folder)) {
    const owner = defined.get(script.name);
    if (owner?.lua === script.lua) continue;
    if (owner !== undefined)
      throw new Error(`${script.path}: ${script.name} is already defined on this connection, by ${owner.path}`);
    if (script.name in redis)
      throw new Error(
        `${script.path}: ${script.name} is already a property of this connection, not one of its scripts`,
      );
    redis.defineCommand(script.name, {
      ...(!script.repeatingKeys && { numberOfKeys: script.numberOfKeys }),
      lua: script.lua,
    });
    defined.set(script.name, script);
  }
  return redis as Redis & Commands;
}

/**
 * The scripts of a folder (its kebab-case `.lua` files), read once per process. Each opens with a
 * BullMQ-style header, `--[[ what it does … Input: … Output: … ]]`, whose `Input:` lists `KEYS[1]`,
 * `KEYS[2]`, … then `ARGV[1]`, … one a line: the number of `KEYS[i]` lines is the command's number
 * of keys. A script using a KEYS or ARGV entry its header does not list, or listing one it never
 * uses, fails here, naming the file. The last `KEYS` or `ARGV` line may repeat, `KEYS[3…]` (a
 * batch: the same for each further entry), when the script indexes them with a variable; a script
 * whose KEYS repeat takes the number of keys as its first argument. `--- @include "includes/name"` inlines `includes/name.lua`,
 * relative to the including file and once per script: helpers that take keys as arguments.
 */
export function loadScripts(folder: URL): readonly LuaScript[] {
  const cached = folders.get(folder.href);
  if (cached) return cached;
  const dir = realpathSync(fileURLToPath(folder));
  const scripts = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.lua'))
    .map((entry) => readScript(join(dir, entry.name)))
    .sort((a, b) => a.name.localeCompare(b.name));
  folders.set(folder.href, scripts);
  return scripts;
}

function readScript(file: string): LuaScript {
  const path = relative(process.cwd(), file);
  const fail = (problem: string) => new Error(`${path}: ${problem}`);
  const base = file.slice(dirname(file).length + 1);
  if (!FILE_NAME.test(base)) throw fail('expected a kebab-case file name (`open-incident.lua`)');
  const source = readFileSync(file, 'utf8');
  const header = HEADER.exec(source);
  if (!header?.[1]) throw fail('expected the file to open with a `--[[ … ]]` header');
  const declared = parseHeader(header[1], fail);
  const body = inlineIncludes(source.slice(header[0].length), dirname(file), new Set(), fail);
  for (const kind of ['KEYS', 'ARGV'] as const) {
    const used = new Set([...body.matchAll(new RegExp(`\\b${kind}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])));
    const repeats = declared.repeating[kind];
    for (const i of used)
      if (i < 1 || (i > declared[kind] && !repeats))
        throw fail(`uses ${kind}[${i}] but its header lists ${declared[kind]} ${kind}`);
    for (let i = 1; i <= declared[kind]; i++) {
      if (repeats && i === declared[kind]) {
        if (!new RegExp(`\\b${kind}\\[(?!\\d+\\])`).test(body))
          throw fail(`its header lists ${kind}[${i}…] but the script never indexes ${kind} with a variable`);
      } else if (!used.has(i)) throw fail(`its header lists ${kind}[${i}] but the script never uses it`);
    }
  }
  const name = `vigil${base.slice(0, -'.lua'.length).replace(/(?:^|-)([a-z0-9])/g, (_, c: string) => c.toUpperCase())}`;
  return { name, path, numberOfKeys: declared.KEYS, repeatingKeys: declared.repeating.KEYS, lua: header[0] + body };
}

interface HeaderInput {
  KEYS: number;
  ARGV: number;
  /** Whether the last entry of each repeats (`KEYS[2…]`). */
  repeating: { KEYS: boolean; ARGV: boolean };
}

/** The `Input:` entries of a header, checked: a description first, `KEYS`/`ARGV` numbered from 1, an `Output:`. */
function parseHeader(header: string, fail: (problem: string) => Error): HeaderInput {
  const lines = header.split('\n');
  const input = lines.findIndex((line) => line.trim() === 'Input:');
  const output = lines.findIndex((line) => line.trim() === 'Output:');
  if (input < 0 || output < input) throw fail('expected `Input:` and then `Output:` in its header');
  if (!lines.slice(0, input).some((line) => line.trim() !== '')) throw fail('expected its header to say what it does');
  if (!lines.slice(output + 1).some((line) => line.trim() !== ''))
    throw fail('expected its header to describe the output');
  const counts: HeaderInput = { KEYS: 0, ARGV: 0, repeating: { KEYS: false, ARGV: false } };
  for (const line of lines.slice(input + 1, output)) {
    const entry = /^\s*(KEYS|ARGV)\[(\d+)(…|\.\.\.)?\](.*)$/.exec(line);
    if (!entry) continue;
    const kind = entry[1] as 'KEYS' | 'ARGV';
    const expected = counts[kind] + 1;
    if (counts.repeating[kind]) throw fail(`expected no ${kind} after the repeating ${kind}[${counts[kind]}…]`);
    if (Number(entry[2]) !== expected)
      throw fail(`expected ${kind}[${expected}] next in its header, got ${kind}[${entry[2]}]`);
    if ((entry[4] ?? '').trim() === '') throw fail(`expected a meaning for ${kind}[${expected}] in its header`);
    counts[kind] = expected;
    counts.repeating[kind] = entry[3] !== undefined;
  }
  return counts;
}

/** The body with each include inlined once; an include may include others. */
function inlineIncludes(body: string, dir: string, seen: Set<string>, fail: (problem: string) => Error): string {
  return body.replace(INCLUDE, (_, name: string) => {
    const file = join(dir, `${name}.lua`);
    if (seen.has(file)) return '';
    seen.add(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw fail(`includes "${name}", but there is no ${name}.lua beside it`);
    }
    if (/\b(?:KEYS|ARGV)\[/.test(text)) throw fail(`its include "${name}" reads KEYS or ARGV; pass them as arguments`);
    return inlineIncludes(text.trimEnd(), dirname(file), seen, fail);
  });
}
