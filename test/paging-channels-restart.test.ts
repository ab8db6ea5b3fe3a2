import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { DELIVERIES_QUEUE, ESCALATIONS_QUEUE, parseConfig } from '@vigil/core';
import { eventually, openRequestFixture, TEST_REDIS_URL } from '@vigil/core/testing';
import { buildApp, createWebContext } from '@vigil/web';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ProviderFakes, type ProviderRequest, startProviderFakes } from './support/chat-fakes.js';
import { type Fleet, startFleet } from './support/fleet.js';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

const SECRET = 'test-secret-0123456789';
const OG_SECRET = 'opsgenie-webhook-secret-0123456789';
const DISCORD = '/discord/api/webhooks/1/t0k';

/** Opsgenie's Alert API as documented (202 and a JSON body) and the next level's webhook, on one loopback server. */
async function startOpsgenie() {
  const received: ProviderRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ at: Date.now(), method: req.method ?? '', url, headers: req.headers, body });
      if (url.startsWith('/og/'))
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"result":"Request will be processed"}');
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    to: (prefix: string) => received.filter((r) => r.url.startsWith(prefix)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
type Opsgenie = Awaited<ReturnType<typeof startOpsgenie>>;

/** Level 0 pages Discord and Opsgenie; level 1, 10 s on, a webhook that must never be called once acked. */
function configYaml(chat: string, og: string): string {
  return `
vantages: [alpha]
components: [{ id: api, name: Public API }]
channels:
  - { id: discord-ops, discord: { webhookUrl: "${chat}${DISCORD}" } }
  - { id: og, opsgenie: { apiKey: genie-key-0123, apiBase: "${og}/og", webhookSecret: ${OG_SECRET} } }
  - { id: next-level, webhook: { url: "${og}/hook/next" } }
escalations:
  - id: default
    levels:
      - { notify: [channel:discord-ops, channel:og], after: 0s }
      - { notify: [channel:next-level], after: 10s }
notifier:
  groupingWindow: 200ms
  delivery: { attempts: 5, backoff: 200ms }
`;
}

/** Pages and escalation steps the notifier's queues have recorded done, and how many workers take deliveries. */
async function notifierProgress(fleet: Fleet) {
  const open = (name: string) => new Queue(name, { connection: fleet.redis, prefix: fleet.keys.prefix });
  const deliveries = open(DELIVERIES_QUEUE);
  const escalations = open(ESCALATIONS_QUEUE);
  try {
    return {
      pagesSent: await deliveries.getCompletedCount(),
      stepsDone: await escalations.getCompletedCount(),
      workers: (await deliveries.getWorkers()).length,
    };
  } finally {
    await Promise.all([deliveries.close(), escalations.close()]);
  }
}

describe('a notifier killed mid-incident, paging chat and Opsgenie', () => {
  let fleet: Fleet;
  let chat: ProviderFakes;
  let og: Opsgenie;
  let app: ReturnType<typeof buildApp> | undefined;
  const notifiers: VigilProcess[] = [];
  beforeEach(async () => {
    fleet = await startFleet(['alpha']);
    chat = await startProviderFakes();
    og = await startOpsgenie();
  });
  afterEach(async () => {
    for (const proc of notifiers.splice(0)) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    await app?.close();
    await fleet.close();
    await chat.close();
    await og.close();
  });

  it('SIGKILL after the first page: the new notifier pages no one twice, an Opsgenie ack stops it, one resolve each', async () => {
    const yaml = configYaml(chat.url, og.base);
    const path = await writeConfig(yaml);
    const env = { REDIS_URL: TEST_REDIS_URL, VIGIL_PREFIX: fleet.prefix, VIGIL_SECRET: SECRET };
    const spawnNotifier = () => {
      const proc = spawnVigil(['notifier', '-c', path], { env });
      notifiers.push(proc);
      return proc;
    };
    const first = spawnNotifier();
    const request = openRequestFixture('api-health', Date.now(), { escalation: 'default', component: 'api' });
    const { id } = await fleet.incidents.openOrJoin(request, Date.now(), 60_000);

    const triggers = () => ({
      discord: chat.to(DISCORD),
      og: og.to('/og/v2/alerts').filter((r) => r.url === '/og/v2/alerts'),
    });
    await eventually(
      async () => (triggers().discord.length > 0 && triggers().og.length > 0 ? true : undefined),
      20_000,
      'the first page at Discord and Opsgenie',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; notifier output: ${first.output()}`);
    });
    // Killed only once both pages and the first step are recorded done: one cut off before is rightly redone.
    await eventually(
      async () => {
        const { pagesSent, stepsDone } = await notifierProgress(fleet);
        return pagesSent >= 2 && stepsDone >= 1 ? true : undefined;
      },
      5_000,
      'both pages and the first escalation step recorded done',
    );
    first.child.kill('SIGKILL');
    await first.exited;

    const second = spawnNotifier();
    await eventually(
      async () => ((await notifierProgress(fleet)).workers > 0 ? true : undefined),
      15_000,
      'the new notifier taking deliveries',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; notifier output: ${second.output()}`);
    });

    // Ana acknowledges in Opsgenie: its webhook integration posts to the web role with the shared secret.
    const alias = JSON.parse(triggers().og[0]?.body ?? '{}').alias as string;
    expect(alias).toBeTruthy();
    app = buildApp(createWebContext(fleet, { config: parseConfig(yaml), secret: SECRET }));
    const answer = await app.inject({
      method: 'POST',
      url: '/integrations/opsgenie/webhook',
      headers: { 'content-type': 'application/json', 'x-vigil-secret': OG_SECRET },
      payload: JSON.stringify({ action: 'Acknowledge', alert: { alias, username: 'Ana' } }),
    });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(await fleet.incidents.get(id)).toMatchObject({ acknowledgedBy: 'Ana via opsgenie' });

    // The new notifier tells both destinations of the acknowledgement.
    const ogAck = `/og/v2/alerts/${alias}/acknowledge?identifierType=alias`;
    await eventually(
      async () => (chat.to(DISCORD).length >= 2 && og.to(ogAck).length >= 1 ? true : undefined),
      15_000,
      'the acknowledgement at Discord and Opsgenie',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; notifier output: ${second.output()}`);
    });

    // A fixed wait is the assertion: unacknowledged, level 1 would have called the webhook 10 s after level 0.
    const level0At = Math.min(...[...triggers().discord, ...triggers().og].map((r) => r.at));
    await setTimeout(Math.max(0, level0At + 12_000 - Date.now()));
    expect(og.to('/hook/')).toEqual([]);

    await fleet.incidents.resolve(id, 'ana', Date.now());
    const ogClose = `/og/v2/alerts/${alias}/close?identifierType=alias`;
    await eventually(
      async () => (chat.to(DISCORD).length >= 3 && og.to(ogClose).length >= 1 ? true : undefined),
      15_000,
      'the resolve at Discord and Opsgenie',
    );
    // Let any duplicate arrive before counting: one trigger, one acknowledgement, one resolve each.
    await setTimeout(1_500);
    expect(triggers().og).toHaveLength(1);
    expect(og.to(ogAck)).toHaveLength(1);
    expect(og.to(ogClose)).toHaveLength(1);
    const discord = chat.to(DISCORD).map((r) => JSON.parse(r.body).embeds[0].color as number);
    expect(discord).toHaveLength(3);
    expect(new Set(discord).size, 'a trigger, an acknowledgement and a resolve, each its own colour').toBe(3);
    expect(og.to('/hook/')).toEqual([]);
  }, 60_000);
});
