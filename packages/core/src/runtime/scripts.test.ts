import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testRedis } from '../testing/index.js';
import { defineScripts, loadScripts } from './scripts.js';

/** Bumps a counter and keeps its latest value in a hash: two keys, one argument. */
const COUNT = `--[[
  Counts a visit.

  Input:
    KEYS[1] the counter
    KEYS[2] hash of latest values

    ARGV[1] field of the hash

  Output:
    The count.
]]
local counterKey = KEYS[1]
local latestKey = KEYS[2]
local field = ARGV[1]

--- @include "includes/remember"

local count = redis.call('INCR', counterKey)
remember(latestKey, field, count)
return count
`;

const REMEMBER = `--[[
  Keeps a value in a hash.
]]
local function remember(key, field, value)
  redis.call('HSET', key, field, value)
end
`;

interface CountCommands {
  vigilCountVisit(counter: string, latest: string, field: string): Promise<number>;
}

describe('Lua scripts', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let dir: string;

  /** A fresh `lua/` folder holding `files` (name → text), as a folder URL. */
  async function luaFolder(files: Record<string, string>): Promise<URL> {
    const folder = await mkdtemp(join(dir, 'lua-'));
    await mkdir(join(folder, 'includes'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
    return pathToFileURL(`${folder}/`);
  }

  beforeEach(async () => {
    ctx = await testRedis('scripts');
    dir = await mkdtemp(join(tmpdir(), 'vigil-scripts-'));
  });
  afterEach(async () => {
    await ctx.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('become commands named after their files, with the header’s number of keys and their includes', async () => {
    const folder = await luaFolder({ 'count-visit.lua': COUNT, 'includes/remember.lua': REMEMBER });
    const [script, ...others] = loadScripts(folder);
    expect(others).toEqual([]);
    expect(script).toMatchObject({ name: 'vigilCountVisit', numberOfKeys: 2 });
    const redis = defineScripts<CountCommands>(ctx.redis, folder);
    const counter = `${ctx.prefix}:visits`;
    const latest = `${ctx.prefix}:latest`;
    expect(await redis.vigilCountVisit(counter, latest, 'home')).toBe(1);
    expect(await redis.vigilCountVisit(counter, latest, 'home')).toBe(2);
    expect(await ctx.redis.hget(latest, 'home')).toBe('2');
  });

  it('may be defined twice on one connection, as every store of a role does', async () => {
    const folder = await luaFolder({ 'count-visit.lua': COUNT, 'includes/remember.lua': REMEMBER });
    defineScripts<CountCommands>(ctx.redis, folder);
    const redis = defineScripts<CountCommands>(ctx.redis, folder);
    expect(await redis.vigilCountVisit(`${ctx.prefix}:visits`, `${ctx.prefix}:latest`, 'home')).toBe(1);
  });

  it('may take any number of keys when the header’s last KEYS line repeats, the caller giving the count first', async () => {
    const folder = await luaFolder({
      'touch-all.lua': `--[[
  Bumps a counter in each of any number of hashes.

  Input:
    KEYS[1] a counter of calls
    KEYS[2…] each hash to bump, in turn

    ARGV[1] field to bump
    ARGV[2…] by how much, one per hash

  Output:
    The calls so far.
]]
local field = ARGV[1]
for i = 2, #KEYS do redis.call('HINCRBY', KEYS[i], field, ARGV[i]) end
return redis.call('INCR', KEYS[1])
`,
    });
    const [script] = loadScripts(folder);
    expect(script).toMatchObject({ name: 'vigilTouchAll', numberOfKeys: 2, repeatingKeys: true });
    const redis = defineScripts<{
      vigilTouchAll(count: number, ...keysThenArgs: (string | number)[]): Promise<number>;
    }>(ctx.redis, folder);
    const key = (name: string) => `${ctx.prefix}:${name}`;
    expect(await redis.vigilTouchAll(3, key('calls'), key('a'), key('b'), 'hits', 2, 5)).toBe(1);
    expect(await redis.vigilTouchAll(2, key('calls'), key('b'), 'hits', 1)).toBe(2);
    expect(await ctx.redis.hget(key('a'), 'hits')).toBe('2');
    expect(await ctx.redis.hget(key('b'), 'hits')).toBe('6');
    const literal = await luaFolder({
      'touch-all.lua': `--[[
  Reads one key, though its header says it takes any number.

  Input:
    KEYS[1…] the keys

  Output:
    The first.
]]
return redis.call('GET', KEYS[1])
`,
    });
    expect(() => loadScripts(literal)).toThrow(
      /touch-all\.lua: its header lists KEYS\[1…\] but the script never indexes KEYS with a variable/,
    );
  });

  it('refuses another script under a name the connection already has', async () => {
    const first = await luaFolder({ 'count-visit.lua': COUNT, 'includes/remember.lua': REMEMBER });
    const second = await luaFolder({
      'count-visit.lua': COUNT.replace("'INCR'", "'DECR'"),
      'includes/remember.lua': REMEMBER,
    });
    defineScripts(ctx.redis, first);
    expect(() => defineScripts(ctx.redis, second)).toThrow(/count-visit\.lua: vigilCountVisit is already defined/);
  });

  it('refuses a script that uses a key its header does not list, naming the file', async () => {
    const folder = await luaFolder({
      'count-visit.lua': COUNT.replace('local latestKey = KEYS[2]', 'local latestKey = KEYS[2] .. KEYS[3]'),
      'includes/remember.lua': REMEMBER,
    });
    expect(() => loadScripts(folder)).toThrow(/count-visit\.lua: uses KEYS\[3\] but its header lists 2 KEYS/);
  });

  it('refuses a header that lists a key or an argument the script never uses', async () => {
    const unusedKey = await luaFolder({
      'count-visit.lua': COUNT.replace('    ARGV[1]', '    KEYS[3] a key too many\n\n    ARGV[1]'),
      'includes/remember.lua': REMEMBER,
    });
    expect(() => loadScripts(unusedKey)).toThrow(/count-visit\.lua: its header lists KEYS\[3\] but the script never/);
    const unusedArg = await luaFolder({
      'count-visit.lua': COUNT.replace('    ARGV[1] field of the hash', '    ARGV[1] field\n    ARGV[2] spare'),
      'includes/remember.lua': REMEMBER,
    });
    expect(() => loadScripts(unusedArg)).toThrow(/its header lists ARGV\[2\] but the script never uses it/);
  });

  it('refuses a file without a well-formed header', async () => {
    const cases: [string, RegExp][] = [
      ['return 1\n', /expected the file to open with a `--\[\[ … \]\]` header/],
      [COUNT.replace('  Output:\n', ''), /expected `Input:` and then `Output:`/],
      [COUNT.replace('  Counts a visit.\n', ''), /expected its header to say what it does/],
      [COUNT.replace('KEYS[2] hash', 'KEYS[3] hash'), /expected KEYS\[2\] next in its header, got KEYS\[3\]/],
    ];
    for (const [text, problem] of cases) {
      const folder = await luaFolder({ 'count-visit.lua': text, 'includes/remember.lua': REMEMBER });
      expect(() => loadScripts(folder)).toThrow(problem);
    }
  });

  it('refuses an include that is missing or reads KEYS itself', async () => {
    const missing = await luaFolder({ 'count-visit.lua': COUNT });
    expect(() => loadScripts(missing)).toThrow(/count-visit\.lua: includes "includes\/remember", but there is no/);
    const reading = await luaFolder({
      'count-visit.lua': COUNT,
      'includes/remember.lua': REMEMBER.replace('HSET', "HSET', KEYS[2], '"),
    });
    expect(() => loadScripts(reading)).toThrow(/its include "includes\/remember" reads KEYS or ARGV/);
  });
});
