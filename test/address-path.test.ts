import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { parseConfig, readAddressReport } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { verifyWebhook, type WebhookPayload } from '@vigil/notifier';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

const SECRET = 'test-secret-0123456789';
const VANTAGES = ['alpha', 'beta', 'gamma'];
/** The second address of the name, on the same port as the first: Linux answers all of 127/8 on loopback. */
const SECOND = '127.0.0.2';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback webhook receiver, as an operator's DNS automation would run one. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/dns-hook`, received, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Serves `ok` on 127.0.0.2 at `port`, as the name's second address. */
async function startSecond(port: number): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => server.listen(port, SECOND, resolve));
  return server;
}

/** The signed address events the receiver got, each verified with the secret as a receiver must. */
function addressEvents(received: readonly Received[]) {
  return received.flatMap((request) => {
    const verdict = verifyWebhook({
      secret: SECRET,
      body: request.body,
      timestampHeader: String(request.headers['x-vigil-timestamp']),
      signatureHeader: String(request.headers['x-vigil-signature']),
      now: Date.now(),
    });
    expect(verdict).toEqual({ ok: true });
    return (JSON.parse(request.body) as WebhookPayload).addressEvents ?? [];
  });
}

describe('per-address verdicts end to end: two loopback addresses behind one name', () => {
  let fleet: Fleet;
  let first: HttpTarget;
  let second: Server | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeEach(async () => {
    fleet = await startFleet(VANTAGES);
    first = await startHttpTarget();
    second = await startSecond(first.port);
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await fleet.close();
    await first.close();
    if (second) await closeServer(second);
    await receiver.close();
  });

  it('one address killed goes down while the check stays degraded; alertOn: address pages a signed "address down", then "address back"', async () => {
    const config = parseConfig(`
vantages: [${VANTAGES.join(', ')}]
checks:
  - id: app
    name: App
    interval: 1s
    timeout: 800ms
    alertOn: address
    http: { url: "http://app.multi.test:${first.port}/health", allAddresses: true }
channels:
  - { id: dns-hook, webhook: { url: "${receiver.url}" } }
escalations:
  - { id: default, levels: [{ notify: [channel:dns-hook], after: 0s }] }
notifier:
  groupingWindow: 1s
  roundGrace: 1s
  delivery: { attempts: 20, backoff: 500ms }
`);
    const [check] = config.checks;
    if (!check) throw new Error('no check');
    await fleet.registry.put(check);
    await fleet.notifier(config, { secret: SECRET });
    const resolve = async (host: string) => (host === 'app.multi.test' ? ['127.0.0.1', SECOND] : []);
    for (const vantage of VANTAGES) await fleet.prober(vantage, { resolve });
    await fleet.scheduler();
    const report = () => readAddressReport(fleet, 'app');
    await eventually(
      async () => (await report()).addresses.filter((a) => a.state === 'up').length === 2 || undefined,
      15_000,
      'both addresses up',
    );

    if (second) await closeServer(second);
    second = undefined;
    const down = await eventually(
      async () => (await report()).addresses.find((a) => a.address === SECOND && a.state === 'down'),
      15_000,
      'the killed address down',
    );
    expect(down.failing.length).toBeGreaterThanOrEqual(2);
    expect(down.error).toBe('connect_refused');
    expect((await report()).addresses.find((a) => a.address === '127.0.0.1')?.state).toBe('up');
    // The name still answers on its other address: degraded, never down.
    await fleet.stateBecomes('app', 'degraded', 10_000);
    expect(await fleet.redis.hget(fleet.keys.checkState('app'), 'failStreak')).toBe('0');

    const [opened] = await eventually(
      async () => {
        const open = await fleet.incidents.listOpen();
        return open.length > 0 ? open : undefined;
      },
      10_000,
      'an incident',
    );
    expect(opened?.title).toBe(`App: address ${SECOND} down`);
    const [downEvent] = await eventually(
      async () => {
        const events = addressEvents(receiver.received).filter((e) => e.type === 'address down');
        return events.length > 0 ? events : undefined;
      },
      15_000,
      'a signed "address down"',
    );
    expect(downEvent).toMatchObject({
      type: 'address down',
      checkId: 'app',
      address: SECOND,
      error: 'connect_refused',
    });
    expect(downEvent?.vantagesFailing.length).toBeGreaterThanOrEqual(2);

    second = await startSecond(first.port);
    const resolved = await eventually(
      async () => {
        const now = await fleet.incidents.get(opened?.id ?? '');
        return now?.status === 'resolved' ? now : undefined;
      },
      15_000,
      'the incident resolved',
    );
    expect(resolved.updates.at(-1)?.message).toMatch(`Resolved: ${SECOND} is back`);
    const backEvent = await eventually(
      async () => addressEvents(receiver.received).find((e) => e.type === 'address back'),
      15_000,
      'a signed "address back"',
    );
    expect(backEvent).toMatchObject({ checkId: 'app', address: SECOND });
    const { events } = await report();
    expect(events.slice(0, 2).map((e) => [e.address, e.kind])).toEqual([
      [SECOND, 'back'],
      [SECOND, 'down'],
    ]);
  }, 60_000);
});
