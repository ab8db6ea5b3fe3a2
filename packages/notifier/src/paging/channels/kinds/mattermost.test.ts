import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerClassCases, expectNoForgery, HOSTILE, recordingContext } from '../answer-classes.js';
import { LINKS, largeIncident, pageSequence, sampleIncident, sampleMember, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createMattermostChannel, MATTERMOST_TEXT_MAX, type MattermostFlavour } from './mattermost.js';

const field = z.strictObject({ short: z.boolean(), title: z.string().min(1), value: z.string().min(1) });

/** Mattermost's incoming webhook (https://developers.mattermost.com/integrate/webhooks/incoming/) and message attachments. */
const mattermostBody = z.strictObject({
  text: z.string().min(1),
  username: z.string().optional(),
  attachments: z
    .array(
      z.strictObject({
        fallback: z.string().min(1),
        color: z.string().regex(/^#[0-9A-F]{6}$/i),
        title: z.string().min(1),
        title_link: z.url().optional(),
        text: z.string(),
        fields: z.array(field),
      }),
    )
    .length(1),
});
/** Rocket.Chat's incoming webhook (https://docs.rocket.chat/use-rocket.chat/workspace-administration/integrations): no fallback; `alias` names the sender. */
const rocketChatBody = z.strictObject({
  text: z.string().min(1).max(5_000),
  alias: z.string().optional(),
  attachments: z
    .array(
      z.strictObject({
        color: z.string(),
        title: z.string().min(1),
        title_link: z.url().optional(),
        text: z.string(),
        fields: z.array(field),
      }),
    )
    .length(1),
});

const PATHS: Record<MattermostFlavour, string> = {
  mattermost: '/hooks/xi3yk3b5gtdyjm1u6pa3j7ws4c',
  rocketchat: '/hooks/6Pq3dQtzBFxhZ5vkC/tHQ6mBGS9s3t5HGpGCXBzxoPqu0000',
};

describe.each<MattermostFlavour>(['mattermost', 'rocketchat'])('mattermost channel, %s flavour', (flavour) => {
  let sink: HttpSink;
  const logged: string[] = [];
  const ctx = recordingContext(logged);
  const send = (page = samplePage(), timeoutMs?: number) =>
    createMattermostChannel(ctx, { timeoutMs }).send(page, { webhookUrl: `${sink.url}${PATHS[flavour]}`, flavour });
  const schema = flavour === 'mattermost' ? mattermostBody : rocketChatBody;
  const body = () => schema.parse(JSON.parse(sink.requests.at(-1)?.body ?? ''));
  const attachment = () => body().attachments[0];

  beforeEach(async () => {
    sink = await startHttpSink();
    sink.respond = () => ({ status: 200, body: 'ok' });
    logged.length = 0;
  });
  afterEach(() => sink.close());

  it('POSTs the documented webhook body: the summary as text, one attachment with fields and links', async () => {
    await send();
    const request = sink.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(PATHS[flavour]);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(body().text).toBe('\\[DOWN\\] Public API: 2 of 3 checks down — connect\\_refused');
    expect(attachment()).toMatchObject({ title: 'Public API is down', title_link: LINKS.incident, color: '#E01E5A' });
    expect(attachment()?.fields).toContainEqual({ short: true, title: 'Component', value: 'Public API' });
    expect(attachment()?.text).toContain(
      `[Acknowledge](${LINKS.ack}) · [Incident](${LINKS.incident}) · [Status page](${LINKS.statusPage})`,
    );
    expect(logged.join('')).toContain(`"channel":"${flavour}"`);
    expect(logged.join('')).not.toContain(PATHS[flavour]);
  });

  it('says who acknowledged, then the downtime on resolve', async () => {
    const pages = pageSequence();
    await send(pages.acknowledge);
    expect(attachment()?.fields).toContainEqual({ short: true, title: 'Acknowledged by', value: 'Ana' });
    await send(pages.resolve);
    expect(attachment()?.color).toBe('#2EB67D');
    expect(attachment()?.text).not.toContain('Acknowledge]');
  });

  it('escapes @channel, @all, @here and markdown links in tenant text', async () => {
    const incident = sampleIncident({
      title: HOSTILE.title,
      members: [sampleMember({ name: HOSTILE.member, message: HOSTILE.message }), sampleMember()],
    });
    await send(samplePage({ incident, componentName: HOSTILE.component }));
    const ours = /\[(Acknowledge|Incident|Status page)\]\(https:\/\/(vigil|status)\.example\.com[^)\s]*\)/g;
    const a = attachment();
    const texts = [
      body().text,
      a?.title ?? '',
      a?.text.replace(ours, '') ?? '',
      ...(a?.fields ?? []).map((f) => f.value),
    ];
    expectNoForgery(texts.join('\n'));
  });

  it('keeps the attachment text within the flavour’s message limit', async () => {
    await send(samplePage({ incident: largeIncident(500), componentName: 'z'.repeat(10_000) }));
    expect(attachment()?.text.length).toBeLessThanOrEqual(MATTERMOST_TEXT_MAX[flavour]);
    expect(body().text.length).toBeLessThanOrEqual(1_000);
  });

  for (const { name, run } of answerClassCases({
    sink: () => sink,
    send: (timeoutMs) => send(samplePage(), timeoutMs),
    channel: flavour,
    ok: { status: 200, body: 'ok' },
    limited: { headers: { 'retry-after': '7' }, body: 'rate limited' },
    refused: { status: 400, body: 'Unable to parse incoming data' },
  }))
    it(name, run);
});
