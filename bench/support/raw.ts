/**
 * The baselines a probe is compared with: the least work that still opens a fresh connection.
 * HTTP: a new undici `Client` per request, destroyed once the body is read (as a probe does).
 * TCP: `net.connect`, then destroy on connect.
 * DNS: a new `node:dns` `Resolver` (c-ares) per question, its one server the target, cancelled after.
 * ICMP: fping with the arguments the ICMP probe gives it for one request within a 5 s deadline: one
 * process for the requests of an event-loop turn (as the prober batches them), or one per request.
 */
import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { Client } from 'undici';
import { type Attempt, errorCode } from './pool.js';

const TIMEOUT_MS = 5_000;

export async function rawHttp(origin: string, path: string): Promise<Attempt> {
  const client = new Client(origin, {
    pipelining: 1,
    connectTimeout: TIMEOUT_MS,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  try {
    const { statusCode, body } = await client.request({
      path,
      method: 'GET',
      headers: { 'user-agent': 'vigil-bench' },
    });
    await body.dump();
    return statusCode === 200 ? true : `HTTP_${statusCode}`;
  } catch (err) {
    return errorCode(err);
  } finally {
    void client.destroy();
  }
}

export function rawTcp(port: number): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(TIMEOUT_MS, () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (err) => {
      socket.destroy();
      resolve(errorCode(err));
    });
  });
}

export async function rawDns(port: number, name: string): Promise<Attempt> {
  const resolver = new Resolver({ timeout: TIMEOUT_MS, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    const addresses = await resolver.resolve4(name);
    return addresses.length > 0 ? true : 'NODATA';
  } catch (err) {
    return errorCode(err);
  } finally {
    resolver.cancel();
  }
}

export function rawFping(address: string): Promise<Attempt> {
  return new Promise((resolve) => {
    const child = spawn('fping', ['-q', '-c1', '-p1000', '-t4500', address], { stdio: 'ignore' });
    child.once('error', (err) => resolve(errorCode(err)));
    child.once('close', (code) => resolve(code === 0 ? true : `FPING_EXIT_${code}`));
  });
}

/** Requests of the current turn, pinged together: each address is told its own summary line. */
type Turn = { address: string; done: (attempt: Attempt) => void }[];
let turn: Turn | undefined;

export function rawFpingBatched(address: string): Promise<Attempt> {
  return new Promise((done) => {
    if (!turn) {
      const batch: Turn = [];
      turn = batch;
      setImmediate(() => {
        turn = undefined;
        const hosts = [...new Set(batch.map((entry) => entry.address))];
        const child = spawn('fping', ['-q', '-i1', '-c1', '-p1000', '-t4500', ...hosts], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
        });
        child.once('error', (err) => {
          for (const entry of batch) entry.done(errorCode(err));
        });
        child.once('close', () => {
          for (const entry of batch) {
            const line = stderr.split('\n').find((text) => text.startsWith(`${entry.address} `));
            entry.done(line?.includes('= 1/1/0%') ? true : 'FPING_NO_REPLY');
          }
        });
      });
    }
    turn.push({ address, done });
  });
}
