import { execFile } from 'node:child_process';
import { get, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { Gauge, type Metric } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../testing/index.js';
import { createLogger } from '../logger.js';
import { processMetrics, RoleServer } from './role-server.js';

const NAME = 'vigil_test_streamed_series';
const FAILING = 'vigil_test_failing';
const PIECE = 32 * 1024;

/** A streamed family of `pieces` pieces (~32 KB each, made as they are read) on the process registry. */
function streamedFamily(pieces: number) {
  const family = {
    name: NAME,
    help: 'Series written in pieces.',
    type: 'gauge',
    aggregator: 'sum',
    pulled: 0,
    series: 0,
    finished: false,
    started: false,
    get: async () => ({ name: NAME, help: family.help, type: 'gauge', values: [], aggregator: 'sum' }),
    reset() {},
    *expositionPieces(): Generator<string> {
      family.started = true;
      try {
        yield `# HELP ${NAME} ${family.help}\n# TYPE ${NAME} gauge`;
        for (let p = 0; p < pieces; p++) {
          family.pulled++;
          let piece = '';
          for (let s = 0; piece.length < PIECE; s++, family.series++)
            piece += `\n${NAME}{check="c${p}-${s}",vantage="v"} ${s / 8}`;
          yield piece;
        }
      } finally {
        family.finished = true;
      }
    },
  };
  processMetrics().registerMetric(family as unknown as Metric);
  return family;
}

const servers: RoleServer[] = [];
afterEach(async () => {
  processMetrics().removeSingleMetric(NAME);
  processMetrics().removeSingleMetric(FAILING);
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(): Promise<string> {
  const server = new RoleServer({
    port: 0,
    redis: { ping: async () => 'PONG' },
    log: createLogger({ level: 'silent' }),
  });
  servers.push(server);
  return `${await server.listen()}/metrics`;
}

interface Scraped {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function scrape(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Scraped> {
  return new Promise((resolve, reject) => {
    get(url, { headers, method }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** The lines of the test family: the rest (process CPU, memory) changes from one scrape to the next. */
function familyLines(text: string): string[] {
  return text.split('\n').filter((line) => line.includes(NAME));
}

async function promtoolCheck(text: string): Promise<void> {
  const child = promisify(execFile)('promtool', ['check', 'metrics'], { maxBuffer: 64 * 1024 * 1024 });
  child.child.stdin?.end(text);
  await child;
}

describe('a scrape of a large family', () => {
  it('streams text promtool accepts, the same to scrapes at once, plain to a scraper accepting gzip', async () => {
    const family = streamedFamily(150);
    const url = await serve();
    const [plain, again, zipped] = await Promise.all([
      scrape(url),
      scrape(url),
      scrape(url, { 'accept-encoding': 'gzip, deflate' }),
    ]);
    const text = plain.body.toString();
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe(processMetrics().contentType);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['transfer-encoding']).toBe('chunked');
    expect(text.length).toBeGreaterThan(150 * PIECE);
    expect(text).toMatch(/^# HELP /);
    expect(text).toMatch(/[^\n]\n$/);
    expect(text).toMatch(/^# HELP process_cpu_user_seconds_total /);
    expect(text).toContain(`\n\n# HELP ${NAME} `);
    // Three scrapes at once pulled the family's pieces three times; each got all of them.
    expect(family.pulled).toBe(3 * 150);
    expect(familyLines(text)).toHaveLength(2 + family.series / 3);
    expect(familyLines(again.body.toString())).toEqual(familyLines(text));
    // gzip cost both sides more CPU than sending the text plain (bench/scrape.ts).
    expect(zipped.headers['content-encoding']).toBeUndefined();
    expect(familyLines(zipped.body.toString())).toEqual(familyLines(text));
    await promtoolCheck(text);
  });

  it('writes no faster than the scraper reads, and stops when it leaves mid-answer', async () => {
    // A scraper that sends its request and reads nothing: the server may write what the sockets'
    // buffers take (a few MB), then must wait. All pieces are 320 MB.
    {
      const family = streamedFamily(10_000);
      const url = new URL(await serve());
      const scraper = connect(Number(url.port), url.hostname);
      scraper.pause();
      scraper.write(`GET /metrics HTTP/1.1\r\nhost: ${url.host}\r\naccept-encoding: gzip\r\n\r\n`);
      let seen = -1;
      await eventually(
        async () => {
          const before = family.pulled;
          await new Promise((resolve) => setTimeout(resolve, 300));
          seen = family.pulled;
          return seen === before && seen > 0;
        },
        10_000,
        'the writing held back',
      );
      expect(seen).toBeLessThan(500);
      scraper.destroy();
      await eventually(() => family.finished, 5_000, 'the family’s pieces closed');
      expect(family.pulled).toBe(seen);
      processMetrics().removeSingleMetric(NAME);
      // The server carries on.
      expect((await scrape(url.href)).status).toBe(200);
    }
  });

  it('answers 500, and streams nothing, when a family of prom-client fails to collect', async () => {
    const family = streamedFamily(10);
    new Gauge({
      name: FAILING,
      help: 'Fails.',
      registers: [processMetrics()],
      collect() {
        throw new Error('redis went away');
      },
    });
    const failed = await scrape(await serve());
    expect(failed.status).toBe(500);
    expect(failed.body.toString()).toBe('metrics collection failed\n');
    expect(family.started).toBe(false);
  });

  it('formats nothing for HEAD', async () => {
    const family = streamedFamily(10);
    const head = await scrape(await serve(), {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(family.started).toBe(false);
  });
});
