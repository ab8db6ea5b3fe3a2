/**
 * Every Lua script of the repository, each `.lua` file of a `lua/` folder in a package's `src/`,
 * opens with a well-formed header that agrees with its body, compiles in Redis, and has a command
 * name of its own.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadScripts } from '@vigil/core';
import { testRedis } from '@vigil/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function luaFiles(): string[] {
  return readdirSync(join(ROOT, 'packages')).flatMap((pkg) =>
    (readdirSync(join(ROOT, 'packages', pkg, 'src'), { recursive: true }) as string[])
      .filter((path) => /(?:^|\/)lua\/[^/]+\.lua$/.test(path))
      .map((path) => relative(ROOT, join(ROOT, 'packages', pkg, 'src', path)))
      .sort(),
  );
}

describe('the Lua scripts of the repository', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  beforeAll(async () => {
    ctx = await testRedis('lua');
  });
  afterAll(() => ctx.cleanup());

  const files = luaFiles();
  const folders = [...new Set(files.map((file) => dirname(file)))];
  const scripts = () => folders.flatMap((folder) => loadScripts(pathToFileURL(join(ROOT, folder, '/'))));

  it('are found where the loader looks', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(files).toContain('packages/core/src/incidents/lua/open-incident.lua');
  });

  it.each(files)('%s has a header of what it does, its KEYS and ARGV, and its output', (file) => {
    const folder = pathToFileURL(join(ROOT, dirname(file), '/'));
    const script = loadScripts(folder).find((each) => relative(ROOT, join(process.cwd(), each.path)) === file);
    expect(script?.lua).toMatch(/^--\[\[\n {2}\S[\s\S]*\n {2}Input:\n[\s\S]*KEYS\[1\] \S[\s\S]*\n {2}Output:\n/);
    expect(script?.numberOfKeys).toBeGreaterThan(0);
  });

  it('compile in Redis', async () => {
    for (const script of scripts()) {
      await expect(ctx.redis.script('LOAD', script.lua), script.path).resolves.toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('each have a command name of their own', () => {
    const names = scripts().map((script) => script.name);
    expect(names).toHaveLength(files.length);
    expect(new Set(names).size).toBe(names.length);
  });
});
