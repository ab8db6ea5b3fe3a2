import type { SubscriberStore } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_CONFIG, testWebApp } from '../testing.js';

type TestApp = Awaited<ReturnType<typeof testWebApp>>;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const ADDRESS = 'Ana.Subscriber@Example.com';

describe('status page subscriptions', () => {
  let web: TestApp;
  let store: SubscriberStore;
  beforeEach(async () => {
    web = await testWebApp();
    store = web.ctx.subscribers;
  });
  afterEach(() => web.cleanup());

  function signUp(body: string, remoteAddress = '192.0.2.1') {
    return web.app.inject({ method: 'POST', url: '/subscribe', headers: FORM, payload: body, remoteAddress });
  }

  /** The id the web role queued a confirmation mail for, as the notifier reads it. */
  async function queued(): Promise<{ id: string; url: string }[]> {
    const entries = await web.ctx.redis.xrange(web.ctx.keys.subscriberMail, '-', '+');
    return entries.map(([, fields]) => ({ id: fields[3] ?? '', url: fields[5] ?? '' }));
  }

  it('answers "check your inbox" without the address, the same for a known address', async () => {
    const first = await signUp(`email=${encodeURIComponent(ADDRESS)}&components=api`);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Check your inbox');
    expect(first.body.toLowerCase()).not.toContain('ana.subscriber');
    expect(first.body).toMatch(/<html lang="en">[\s\S]*<main>[\s\S]*<h1>/);
    const again = await signUp(`email=${encodeURIComponent(ADDRESS)}&components=api`);
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);

    const mails = await queued();
    expect(mails).toHaveLength(2);
    expect(mails[0]?.id).toBe(mails[1]?.id);
    expect(mails[0]?.url).toBe('http://localhost:80');
  });

  it('never mails a link to wherever a Host header says: no configured URL and a foreign host is refused', async () => {
    const forged = await web.app.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { ...FORM, host: 'status.evil.example' },
      payload: `email=${encodeURIComponent(ADDRESS)}`,
    });
    expect(forged.statusCode).toBe(503);
    expect(await queued()).toEqual([]);

    const configured = await testWebApp({
      ...TEST_CONFIG,
      statusPage: { ...(TEST_CONFIG as { statusPage?: object }).statusPage, url: 'https://status.example.com/' },
    });
    try {
      const answer = await configured.app.inject({
        method: 'POST',
        url: '/subscribe',
        headers: { ...FORM, host: 'status.evil.example' },
        payload: `email=${encodeURIComponent(ADDRESS)}`,
      });
      expect(answer.statusCode).toBe(200);
      const [entry] = await configured.ctx.redis.xrange(configured.ctx.keys.subscriberMail, '-', '+');
      expect(entry?.[1][5]).toBe('https://status.example.com');
    } finally {
      await configured.cleanup();
    }
  });

  it('confirms by the link, once, naming the components', async () => {
    await signUp(`email=${encodeURIComponent(ADDRESS)}&components=api&components=lb`);
    const [mail] = await queued();
    const pending = await store.issueConfirmation(mail?.id ?? '');
    expect(await store.subscribersFor(['api'])).toEqual([]);

    const confirmed = await web.app.inject({ method: 'GET', url: `/subscribe/confirm/${pending?.token}` });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('Public API, Load balancers');
    expect(await store.subscribersFor(['api'])).toEqual([{ id: mail?.id, email: 'Ana.Subscriber@example.com' }]);

    const reused = await web.app.inject({ method: 'GET', url: `/subscribe/confirm/${pending?.token}` });
    expect(reused.statusCode).toBe(410);
  });

  it('a HEAD request on the confirmation link (a mail scanner) confirms nothing', async () => {
    await signUp(`email=${encodeURIComponent(ADDRESS)}&components=api`);
    const [mail] = await queued();
    const pending = await store.issueConfirmation(mail?.id ?? '');
    const head = await web.app.inject({ method: 'HEAD', url: `/subscribe/confirm/${pending?.token}` });
    expect(head.statusCode).toBe(405);
    expect(await store.subscribersFor(['api'])).toEqual([]);
    const confirmed = await web.app.inject({ method: 'GET', url: `/subscribe/confirm/${pending?.token}` });
    expect(confirmed.statusCode).toBe(200);
  });

  it('accepts JSON, and without components subscribes to everything', async () => {
    const response = await web.app.inject({ method: 'POST', url: '/subscribe', payload: { email: 'bo@example.com' } });
    expect(response.statusCode).toBe(200);
    const [mail] = await queued();
    const pending = await store.issueConfirmation(mail?.id ?? '');
    expect(pending?.components).toEqual([]);
    const confirmed = await web.app.inject({ method: 'GET', url: `/subscribe/confirm/${pending?.token}` });
    expect(confirmed.body).toContain('every component');
  });

  it('refuses a bad address or an unknown component, naming the field and echoing nothing', async () => {
    const bad = await signUp('email=not-an-address%3Cscript%3E');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('email:');
    expect(bad.body).not.toContain('not-an-address');
    const unknown = await signUp(`email=${encodeURIComponent(ADDRESS)}&components=nope`);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('components:');
    expect(unknown.body).not.toContain('nope');
    expect(await queued()).toEqual([]);
  });

  it('limits sign-ups per client and per address each hour', async () => {
    for (let i = 0; i < 5; i++) expect((await signUp(`email=u${i}%40example.com`)).statusCode).toBe(200);
    const limited = await signUp('email=u9%40example.com');
    expect(limited.statusCode).toBe(429);
    expect((await signUp('email=u9%40example.com', '192.0.2.2')).statusCode).toBe(200);

    for (let i = 3; i < 8; i++) await signUp(`email=${encodeURIComponent(ADDRESS)}`, `198.51.100.${i}`);
    expect((await signUp(`email=${encodeURIComponent(ADDRESS)}`, '198.51.100.99')).statusCode).toBe(429);
    web.clock.advance(3_600_000);
    expect((await signUp(`email=${encodeURIComponent(ADDRESS)}`)).statusCode).toBe(200);
  });

  it('unsubscribes after a button, or at once by an RFC 8058 one-click POST', async () => {
    await signUp(`email=${encodeURIComponent(ADDRESS)}`);
    const [mail] = await queued();
    const pending = await store.issueConfirmation(mail?.id ?? '');
    await store.confirm(pending?.token ?? '', web.clock.now());
    const token = store.unsubscribeToken(mail?.id ?? '');

    const form = await web.app.inject({ method: 'GET', url: `/unsubscribe/${token}` });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`<form method="post" action="/unsubscribe/${token}">`);
    expect(await store.subscribersFor([])).toHaveLength(1);

    const oneClick = await web.app.inject({
      method: 'POST',
      url: `/unsubscribe/${token}`,
      headers: FORM,
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(200);
    expect(oneClick.body).toContain('unsubscribed</h1>');
    expect(await store.subscribersFor([])).toEqual([]);

    const multipart = await web.app.inject({
      method: 'POST',
      url: `/unsubscribe/${token}`,
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n',
    });
    expect(multipart.statusCode).toBe(200);
    const forged = await web.app.inject({ method: 'POST', url: `/unsubscribe/${mail?.id}.forged` });
    expect(forged.statusCode).toBe(404);
  });

  it('answers 404 everywhere when subscriptions are off', async () => {
    const off = await testWebApp({ ...TEST_CONFIG, statusPage: { subscribers: { enabled: false } } });
    try {
      const urls = ['/subscribe', '/unsubscribe/x.y'];
      for (const url of urls) expect((await off.app.inject({ method: 'POST', url })).statusCode).toBe(404);
      expect((await off.app.inject({ method: 'GET', url: '/subscribe/confirm/x' })).statusCode).toBe(404);
    } finally {
      await off.cleanup();
    }
  });
});
