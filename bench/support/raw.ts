/**
 * The baselines a probe is compared with: the least work that still opens a fresh connection.
 * HTTP: a new undici `Client` per request, destroyed once the body is read (as a probe does).
 * TCP: `net.connect`, then destroy on connect.
 */
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
