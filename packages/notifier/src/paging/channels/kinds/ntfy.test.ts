import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerClassCases, recordingContext } from '../answer-classes.js';
import { LINKS, largeIncident, pageSequence, sampleIncident, sampleMember, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createNtfyChannel, NTFY_MESSAGE_MAX_BYTES, ntfyContact } from './ntfy.js';

const TOKEN = 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2';

/** Decodes an RFC 2047 encoded word the way ntfy does, or returns the value as it is. */
function decodeHeader(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const word = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(value);
  return word?.[1] ? Buffer.from(word[1], 'base64').toString('utf8') : value;
}

describe('ntfy channel', () => {
  let sink: HttpSink;
  const logged: string[] = [];
  const ctx = recordingContext(logged);
  /** A self-hosted server under a path prefix, with an access token. */
  const target = () => ({ server: `${sink.url}/ntfy`, topic: 'ops-pages', token: TOKEN });
  const send = (page = samplePage(), timeoutMs?: number) => createNtfyChannel(ctx, { timeoutMs }).send(page, target());
  const last = () => sink.requests.at(-1);

  beforeEach(async () => {
    sink = await startHttpSink();
    sink.respond = () => ({ status: 200, body: '{"id":"sPs71M8A2T","event":"message","topic":"ops-pages"}' });
    logged.length = 0;
  });
  afterEach(() => sink.close());

  it('POSTs the message to server/topic with the documented headers', async () => {
    await send();
    const request = last();
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/ntfy/ops-pages');
    expect(request?.headers).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      priority: '5',
      tags: 'rotating_light,critical',
      click: LINKS.incident,
      actions: `view, Acknowledge, ${LINKS.ack}, clear=true; view, Incident, ${LINKS.incident}`,
      authorization: `Bearer ${TOKEN}`,
    });
    expect(decodeHeader(request?.headers.title)).toBe('[DOWN] Public API: 2 of 3 checks down — connect_refused');
    expect(request?.body.split('\n')[0]).toBe('Public API is down');
    expect(request?.body).toContain('• API health: down since 2026-11-20T12:00:00Z (12m ago)');
    expect(request?.headers.markdown).toBeUndefined();
    expect(logged.join('')).toContain('"channel":"ntfy"');
    expect(logged.join('')).not.toContain(TOKEN);
  });

  it.each([
    ['critical', '5'],
    ['major', '4'],
    ['minor', '3'],
    ['info', '2'],
  ] as const)('sends a %s trigger at priority %s', async (severity, priority) => {
    await send(samplePage({ incident: sampleIncident({ severity }) }));
    expect(last()?.headers.priority).toBe(priority);
  });

  it('sends an acknowledgement at low priority and a resolve at default, without the Acknowledge button', async () => {
    const pages = pageSequence();
    await send(pages.acknowledge);
    expect(last()?.headers).toMatchObject({ priority: '2', tags: 'eyes,acknowledged' });
    await send(pages.resolve);
    expect(last()?.headers).toMatchObject({ priority: '3', tags: 'white_check_mark,resolved' });
    expect(last()?.headers.actions).toBe(`view, Incident, ${LINKS.incident}`);
    expect(last()?.body).toContain('Downtime: at least 2h50 and at most 4h04');
  });

  it('keeps tenant text out of the headers it could split: one line, encoded, tags and actions Vigil’s own', async () => {
    const hostile = 'evil\r\nPriority: 1\r\nActions: view, Pwn, https://evil.example';
    const incident = sampleIncident({ members: [sampleMember({ name: hostile })] });
    await send(samplePage({ incident, componentName: hostile }));
    const headers = last()?.headers ?? {};
    expect(headers.priority).toBe('5');
    expect(headers.actions).not.toContain('evil');
    expect(decodeHeader(headers.title)).not.toMatch(/[\r\n]/);
  });

  it('keeps the message within 4,096 bytes, so ntfy does not turn it into an attachment', async () => {
    await send(samplePage({ incident: largeIncident(500), componentName: 'é'.repeat(5_000) }));
    expect(Buffer.byteLength(last()?.body ?? '')).toBeLessThanOrEqual(NTFY_MESSAGE_MAX_BYTES);
  });

  it('sends no Authorization header to a public topic', async () => {
    await createNtfyChannel(ctx).send(samplePage(), { server: sink.url, topic: 'public-topic' });
    expect(last()?.url).toBe('/public-topic');
    expect(last()?.headers.authorization).toBeUndefined();
  });

  it("reads a person's topic on ntfy.sh or a topic URL on their own server", () => {
    expect(ntfyContact({ id: 'ana', name: 'Ana', ntfy: 'ana-pages' })).toEqual({
      server: 'https://ntfy.sh',
      topic: 'ana-pages',
    });
    expect(ntfyContact({ id: 'bo', name: 'Bo', ntfy: 'https://push.example.com/ntfy/bo/' })).toEqual({
      server: 'https://push.example.com/ntfy',
      topic: 'bo',
    });
    expect(ntfyContact({ id: 'cy', name: 'Cy', email: 'cy@example.com' })).toBeUndefined();
  });

  for (const { name, run } of answerClassCases({
    sink: () => sink,
    send: (timeoutMs) => send(samplePage(), timeoutMs),
    channel: 'ntfy',
    ok: { status: 200, body: '{"id":"sPs71M8A2T","event":"message"}' },
    limited: {
      headers: { 'retry-after': '7', 'content-type': 'application/json' },
      body: '{"code":42901,"http":429,"error":"limit reached: too many requests"}',
    },
    refused: { status: 403, body: '{"code":40301,"http":403,"error":"forbidden"}' },
  }))
    it(name, run);
});
