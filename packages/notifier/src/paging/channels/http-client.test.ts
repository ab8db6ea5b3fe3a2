import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentDeliveryError, RetryLaterError } from './channel.js';
import { ChannelHttp } from './http-client.js';
import { postJson } from './http-delivery.js';
import { type HttpSink, startHttpSink } from './test-servers.js';

const PATH = '/hooks/s3cr3t-path';

/** What postJson rejects with, or undefined when it delivered. */
function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('postJson over undici, against a loopback receiver', () => {
  let sink: HttpSink;
  const http = new ChannelHttp();
  const post = (timeoutMs = 2_000, explainWithToken = false) =>
    postJson({ channel: 'webhook', url: `${sink.url}${PATH}`, body: '{"a":1}', timeoutMs, explainWithToken, http });

  beforeEach(async () => {
    sink = await startHttpSink();
  });
  afterEach(() => sink.close());
  afterAll(() => http.close());

  it('returns the status of a 2xx, and sends the JSON body with its content type and user agent', async () => {
    sink.respond = () => ({ status: 202 });
    expect(await post()).toBe(202);
    expect(sink.requests).toMatchObject([
      {
        method: 'POST',
        url: PATH,
        body: '{"a":1}',
        headers: { 'content-type': 'application/json', 'user-agent': 'vigil' },
      },
    ]);
  });

  it('follows no redirect: a 3xx is permanent, and the Location is never asked', async () => {
    sink.respond = (request) =>
      request.url === PATH ? { status: 302, headers: { location: `${sink.url}/elsewhere` } } : { status: 200 };
    const error = await failure(post());
    expect(error).toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(
      `PermanentDeliveryError: webhook delivery to ${sink.url} failed: HTTP 302 (redirects are not followed)`,
    );
    expect(sink.requests.map((request) => request.url)).toEqual([PATH]);
  });

  it("quotes a receiver's one-word answer, never a long one, and reads no more than a token of it", async () => {
    sink.respond = () => ({ status: 400, body: 'invalid_payload' });
    expect(String(await failure(post(2_000, true)))).toBe(
      `PermanentDeliveryError: webhook delivery to ${sink.url} failed: HTTP 400 invalid_payload`,
    );
    sink.respond = () => ({ status: 400, body: 'x'.repeat(4 * 1024 * 1024) });
    expect(String(await failure(post(2_000, true)))).toBe(
      `PermanentDeliveryError: webhook delivery to ${sink.url} failed: HTTP 400`,
    );
  });

  it("honours a 429's Retry-After header, else its JSON body's retry_after", async () => {
    sink.respond = () => ({ status: 429, headers: { 'retry-after': '7' } });
    const byHeader = await failure(post());
    expect(byHeader).toBeInstanceOf(RetryLaterError);
    expect((byHeader as RetryLaterError).retryAfterMs).toBe(7_000);
    sink.respond = () => ({ status: 429, body: '{"parameters":{"retry_after":3}}' });
    expect(((await failure(post())) as RetryLaterError).retryAfterMs).toBe(3_000);
  });

  it('names a refused connection by its code and the origin only', async () => {
    const url = sink.url;
    await sink.close();
    const error = await failure(post());
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(String(error)).toBe(`Error: webhook delivery to ${url} failed: network error (ECONNREFUSED)`);
  });

  it('gives up on a hung receiver after the timeout, before headers', async () => {
    sink.respond = () => 'hang';
    expect(String(await failure(post(200)))).toBe(
      `Error: webhook delivery to ${sink.url} failed: no response within 200ms`,
    );
  });
});

describe('postJson when the body hangs after the headers', () => {
  let server: Server;
  let url = '';

  beforeEach(async () => {
    server = createServer((req, res) => {
      req.resume();
      // A 429 is read for retry_after: headers, a first chunk, then nothing.
      req.on('end', () => res.writeHead(429, { 'content-type': 'application/json' }).write('{"retry_'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('stops reading at the timeout and keeps the page retryable', async () => {
    const error = await failure(postJson({ channel: 'discord', url: `${url}/x`, body: '{}', timeoutMs: 200 }));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentDeliveryError);
    expect(error).not.toBeInstanceOf(RetryLaterError);
    expect(String(error)).toBe(`Error: discord delivery to ${url} failed: HTTP 429`);
  });
});

describe('ChannelHttp', () => {
  it('keeps connections open for the next pages to the same origin', async () => {
    let connections = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    });
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const http = new ChannelHttp();
    for (let i = 0; i < 5; i++) await postJson({ channel: 'webhook', url, body: '{}', timeoutMs: 2_000, http });
    await http.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    // A delivered page's answer is dropped without waiting, so the next page may find its connection
    // still busy and open a second; never one a page.
    expect(connections).toBeLessThan(5);
  });

  it('closes more than once, used or not', async () => {
    const unused = new ChannelHttp();
    await unused.close();
    await unused.close();
    const sink = await startHttpSink();
    const used = new ChannelHttp();
    await postJson({ channel: 'webhook', url: sink.url, body: '{}', timeoutMs: 2_000, http: used });
    await Promise.all([used.close(), used.close()]);
    await sink.close();
  });
});
