import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANNEL_KINDS, createLogger } from '@vigil/core';
import { T0 } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelContext } from './channel.js';
import { samplePage } from './page-fixtures.js';
import { closeChannels, contactTarget, createChannels, sendPage } from './registry.js';
import { type SmtpSink, startSmtpSink } from './test-servers.js';

describe('createChannels', () => {
  let dir: string;
  let ctx: ChannelContext;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-registry-'));
    ctx = {
      log: createLogger({ level: 'silent' }),
      clock: { now: () => T0 },
      secret: 'secret',
      outboxDir: dir,
      from: 'Vigil <pages@example.com>',
    };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('wires a channel of every kind under its own name', () => {
    const registry = createChannels(ctx);
    for (const kind of CHANNEL_KINDS) expect(registry[kind].kind).toBe(kind);
  });

  it('sends email to the outbox without SMTP settings', async () => {
    const registry = createChannels(ctx);
    await registry.email.send(samplePage(), { to: ['ana@example.com'] });
    expect(await readdir(dir)).toHaveLength(1);
    await closeChannels(registry);
  });

  it("sends a page through the channel of its target's kind", async () => {
    const registry = createChannels(ctx);
    await sendPage(registry, samplePage(), { kind: 'email', to: ['ana@example.com'] });
    expect(await readdir(dir)).toHaveLength(1);
    await closeChannels(registry);
  });

  it("reads a person's contact of each kind they have, none of a kind they lack", () => {
    const ana = { id: 'ana', name: 'Ana', email: 'ana@example.com' };
    expect(contactTarget(ana, 'email')).toEqual({ kind: 'email', to: ['ana@example.com'] });
    expect(contactTarget(ana, 'webhook')).toBeUndefined();
    const bo = { id: 'bo', name: 'Bo', webhook: 'https://hooks.example.com/bo' };
    expect(contactTarget(bo, 'webhook')).toEqual({ kind: 'webhook', url: 'https://hooks.example.com/bo' });
  });

  it('closes more than once, after sending over SMTP', async () => {
    const sink: SmtpSink = await startSmtpSink();
    try {
      const registry = createChannels({ ...ctx, smtpUrl: `smtp://127.0.0.1:${sink.port}` });
      await registry.email.send(samplePage(), { to: ['ana@example.com'] });
      await closeChannels(registry);
      await closeChannels(registry);
      expect(sink.messages).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });
});
