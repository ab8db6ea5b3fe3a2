import { CHECK_KINDS, checkKinds } from '@vigil/core';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { KIND_FLAGS, registerChecks } from './checks-command.js';

describe('vigil checks add', () => {
  it('has one flag per check kind, its value named as the kind module names it', () => {
    for (const kind of CHECK_KINDS) expect(KIND_FLAGS[kind].value.toUpperCase()).toBe(checkKinds[kind].flag.value);
    const program = new Command('vigil');
    registerChecks(program, async () => {
      throw new Error('not run');
    });
    const add = program.commands.find((c) => c.name() === 'checks')?.commands.find((c) => c.name() === 'add');
    expect(add?.options.map((option) => option.long)).toEqual(expect.arrayContaining(CHECK_KINDS.map((k) => `--${k}`)));
  });
});
