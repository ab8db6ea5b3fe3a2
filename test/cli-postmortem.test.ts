import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncidentStore } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVigil, startTestApi, type TestApi } from './support/vigil-process.js';

/** The admin token's identity, as the API records it. */
const IDENTITY = 'ops (ops-admin)';

describe('vigil incidents postmortem', { timeout: 60_000 }, () => {
  let api: TestApi;
  let env: Record<string, string>;
  let incidents: IncidentStore;
  let dir: string;

  beforeAll(async () => {
    api = await startTestApi();
    env = api.env(await api.token({ owner: 'ops', scope: 'admin' }));
    incidents = api.ctx.incidents;
    dir = await mkdtemp(join(tmpdir(), 'vigil-postmortem-'));
  });
  afterAll(async () => {
    await api.close();
  });

  async function open(group: string): Promise<string> {
    const at = Date.now() - 60_000;
    const { id } = await incidents.openOrJoin(
      {
        group,
        title: 'Public API: outage',
        impact: 'major',
        severity: 'major',
        startedAt: at,
        openedMessage: 'Down.',
        joinedMessage: '',
      },
      at,
      600_000,
    );
    return id;
  }

  it('publishes a postmortem from a Markdown file, then withdraws it', async () => {
    const id = await open('component:api');
    await incidents.resolve(id, 'ana', Date.now());
    const file = join(dir, 'postmortem.md');
    await writeFile(file, '# What happened\n\nA bad deploy; rolled back.\n');

    const published = await runVigil(['incidents', 'postmortem', id, '-f', file], { env });
    expect(published.code, published.output).toBe(0);
    expect(published.output.trim()).toBe(
      `Postmortem of incident ${id} published from ${file}. Recorded as ${IDENTITY}.`,
    );
    expect(await incidents.getPostmortem(id)).toMatchObject({
      markdown: '# What happened\n\nA bad deploy; rolled back.\n',
      by: IDENTITY,
    });

    const withdrawn = await runVigil(['incidents', 'postmortem', id, '--delete'], { env });
    expect(withdrawn.code, withdrawn.output).toBe(0);
    expect(withdrawn.output.trim()).toBe(`Postmortem of incident ${id} withdrawn.`);
    expect(await incidents.getPostmortem(id)).toBeUndefined();
    const again = await runVigil(['incidents', 'postmortem', id, '--delete'], { env });
    expect(again.code).toBe(5);
    expect(again.output.trim()).toBe(`vigil: incident ${id} has no postmortem`);
  });

  it('refuses an open incident, a missing file and a missing flag with one line and exit 2', async () => {
    const id = await open('component:lb');
    const file = join(dir, 'early.md');
    await writeFile(file, 'Too early.');
    const early = await runVigil(['incidents', 'postmortem', id, '-f', file], { env });
    expect(early.code).toBe(2);
    expect(early.output.trim()).toBe(
      `vigil: incident ${id} is investigating; a postmortem attaches to a resolved incident`,
    );

    const missing = await runVigil(['incidents', 'postmortem', id, '-f', join(dir, 'nope.md')], { env });
    expect(missing.code).toBe(2);
    expect(missing.output.trim()).toBe(`vigil: -f: cannot read ${join(dir, 'nope.md')}: no such file`);

    const neither = await runVigil(['incidents', 'postmortem', id], { env });
    expect(neither.code).toBe(2);
    expect(neither.output.trim()).toBe('vigil: expected either -f FILE.md (publish) or --delete (withdraw)');
  });
});
