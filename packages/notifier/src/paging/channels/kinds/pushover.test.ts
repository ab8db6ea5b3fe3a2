import { verifyPushoverCallback } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerClassCases, recordingContext } from '../answer-classes.js';
import { LINKS, largeIncident, pageSequence, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createPushoverChannel, PUSHOVER_CALLBACK_PATH, PUSHOVER_LIMITS, pushoverContact } from './pushover.js';

const TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const OK = '{"status":1,"request":"647d2300-702c-4b38-8b2f-d56326ae460b","receipt":"rLqVuqTRh62UzxtmqiaLzQmVcPgiCy"}';

describe('pushover channel', () => {
  let sink: HttpSink;
  const logged: string[] = [];
  const ctx = recordingContext(logged);
  const target = () => ({ token: TOKEN, user: USER, retry: 30, expire: 10_800, apiBase: sink.url });
  const send = (page = samplePage(), timeoutMs?: number) =>
    createPushoverChannel(ctx, { timeoutMs }).send(page, target());
  const form = (index = -1) => Object.fromEntries(new URLSearchParams(sink.requests.at(index)?.body ?? ''));

  beforeEach(async () => {
    sink = await startHttpSink();
    sink.respond = () => ({ status: 200, body: OK, headers: { 'content-type': 'application/json' } });
    logged.length = 0;
  });
  afterEach(() => sink.close());

  it('POSTs an emergency message to /1/messages.json: retry, expire, a tag and a signed callback', async () => {
    await send();
    const request = sink.requests[0];
    expect(sink.requests).toHaveLength(1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/1/messages.json');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const { callback, ...fields } = form();
    expect(fields).toEqual({
      token: TOKEN,
      user: USER,
      title: '[DOWN] Public API: 2 of 3 checks down — connect_refused',
      message: expect.stringContaining('• API health: down since 2026-11-20T12:00:00Z (12m ago)'),
      timestamp: String(Math.floor(samplePage().at / 1000)),
      url: LINKS.incident,
      url_title: 'Incident in Vigil',
      priority: '2',
      retry: '30',
      expire: '10800',
      tags: 'vigil-inc-1-1',
    });
    const url = new URL(callback ?? '');
    expect(`${url.origin}${url.pathname}`).toBe(`https://vigil.example.com${PUSHOVER_CALLBACK_PATH}`);
    const ref = { incidentId: 'inc-1', episode: 1, by: 'Ana' };
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ incident: 'inc-1', episode: '1', by: 'Ana' });
    expect(verifyPushoverCallback(ctx.secret, ref, url.searchParams.get('sig') ?? '')).toBe(true);
    expect(verifyPushoverCallback(ctx.secret, { ...ref, by: 'Mallory' }, url.searchParams.get('sig') ?? '')).toBe(
      false,
    );
    expect(logged.join('')).not.toContain(TOKEN);
    expect(logged.join('')).not.toContain(USER);
  });

  it('on acknowledge and resolve, cancels the re-alerts by tag, then says so at priority -1 and 0', async () => {
    const pages = pageSequence();
    await send(pages.acknowledge);
    await send(pages.resolve);
    expect(sink.requests.map((request) => request.url)).toEqual([
      '/1/receipts/cancel_by_tag/vigil-inc-1-1.json',
      '/1/messages.json',
      '/1/receipts/cancel_by_tag/vigil-inc-1-1.json',
      '/1/messages.json',
    ]);
    expect(form(0)).toEqual({ token: TOKEN });
    expect(form(1)).toMatchObject({ priority: '-1', title: expect.stringMatching(/^\[ACK\]/) });
    expect(form(3)).toMatchObject({ priority: '0', title: expect.stringMatching(/^\[RESOLVED\]/) });
    expect(form(3).message).toContain('Downtime: at least 2h50 and at most 4h04');
    for (const index of [1, 3]) {
      expect(form(index).callback).toBeUndefined();
      expect(form(index).retry).toBeUndefined();
    }
  });

  it('keeps the title, message and URL within Pushover’s limits', async () => {
    const long = 'w'.repeat(5_000);
    await send(samplePage({ incident: { ...largeIncident(300), title: long }, componentName: long }));
    const fields = form();
    expect(fields.title?.length).toBeLessThanOrEqual(PUSHOVER_LIMITS.title);
    expect(fields.message?.length).toBeLessThanOrEqual(PUSHOVER_LIMITS.message);
    expect(fields.callback?.length).toBeLessThanOrEqual(PUSHOVER_LIMITS.url);
  });

  it("reads a person's user key and the application token", () => {
    expect(pushoverContact({ id: 'ana', name: 'Ana', pushover: { token: TOKEN, user: USER } })).toEqual({
      token: TOKEN,
      user: USER,
      retry: 60,
      expire: 3_600,
      apiBase: 'https://api.pushover.net',
    });
    expect(pushoverContact({ id: 'bo', name: 'Bo', email: 'bo@example.com' })).toBeUndefined();
  });

  for (const { name, run } of answerClassCases({
    sink: () => sink,
    send: (timeoutMs) => send(samplePage(), timeoutMs),
    channel: 'pushover',
    ok: { status: 200, body: OK },
    limited: { headers: { 'retry-after': '7' }, body: '{"status":0,"errors":["application over monthly limit"]}' },
    refused: { status: 400, body: '{"user":"invalid","errors":["user identifier is invalid"],"status":0}' },
  }))
    it(name, run);
});
