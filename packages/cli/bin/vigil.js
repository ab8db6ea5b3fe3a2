#!/usr/bin/env node
// @ts-check
// Runs the compiled CLI (dist/, written by `pnpm build`) with plain Node: no TypeScript at run time.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('vigil: the CLI is not compiled (no packages/cli/dist/main.js); run `pnpm build` first\n');
  process.exit(2);
}
await import(main.href);
