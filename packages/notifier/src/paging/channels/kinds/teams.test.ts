import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerClassCases, expectNoForgery, HOSTILE, recordingContext } from '../answer-classes.js';
import { LINKS, largeIncident, pageSequence, sampleIncident, sampleMember, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createTeamsChannel, TEAMS_MESSAGE_MAX_BYTES } from './teams.js';

const PATH = '/workflows/0a1b/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s3cr3tSIG';

/**
 * The documented workflow body (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook)
 * with the Adaptive Card 1.4 elements Vigil uses.
 */
const textBlock = z.strictObject({
  type: z.literal('TextBlock'),
  text: z.string().min(1),
  wrap: z.literal(true),
  weight: z.enum(['Default', 'Lighter', 'Bolder']).optional(),
  size: z.enum(['Default', 'Small', 'Medium', 'Large', 'ExtraLarge']).optional(),
  color: z.enum(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']).optional(),
});
const factSet = z.strictObject({
  type: z.literal('FactSet'),
  facts: z.array(z.strictObject({ title: z.string().min(1), value: z.string().min(1) })).min(1),
});
const teamsBody = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal('application/vnd.microsoft.card.adaptive'),
        contentUrl: z.null(),
        content: z.strictObject({
          $schema: z.literal('http://adaptivecards.io/schemas/adaptive-card.json'),
          type: z.literal('AdaptiveCard'),
          version: z.literal('1.4'),
          body: z.array(z.union([textBlock, factSet])).min(1),
          actions: z.array(
            z.strictObject({ type: z.literal('Action.OpenUrl'), title: z.string().min(1), url: z.url() }),
          ),
          msteams: z.strictObject({ width: z.literal('Full') }).optional(),
        }),
      }),
    )
    .length(1),
});

describe('teams channel', () => {
  let sink: HttpSink;
  const logged: string[] = [];
  const ctx = recordingContext(logged);
  const send = (page = samplePage(), timeoutMs?: number) =>
    createTeamsChannel(ctx, { timeoutMs }).send(page, { webhookUrl: `${sink.url}${PATH}` });
  const card = () => {
    const [attachment] = teamsBody.parse(JSON.parse(sink.requests.at(-1)?.body ?? '')).attachments;
    if (!attachment) throw new Error('no attachment');
    return attachment.content;
  };
  const texts = () =>
    card().body.flatMap((element) =>
      element.type === 'TextBlock' ? [element.text] : element.facts.flatMap((fact) => [fact.title, fact.value]),
    );

  beforeEach(async () => {
    sink = await startHttpSink();
    sink.respond = () => ({ status: 202 });
    logged.length = 0;
  });
  afterEach(() => sink.close());

  it('POSTs the documented message with an Adaptive Card and Acknowledge, Incident and Status page buttons', async () => {
    await send();
    const request = sink.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(PATH);
    expect(request?.headers['content-type']).toBe('application/json');
    const content = card();
    expect(content.body[0]).toEqual({
      type: 'TextBlock',
      text: '\\[DOWN\\] Public API: 2 of 3 checks down — connect\\_refused',
      wrap: true,
      weight: 'Bolder',
      size: 'Medium',
      color: 'Attention',
    });
    expect(content.body[2]).toMatchObject({
      type: 'FactSet',
      facts: expect.arrayContaining([
        { title: 'Component', value: 'Public API' },
        { title: 'Vantages failing', value: 'eu-west, us-east (2 of 3)' },
      ]),
    });
    expect(content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Acknowledge', url: LINKS.ack },
      { type: 'Action.OpenUrl', title: 'Incident', url: LINKS.incident },
      { type: 'Action.OpenUrl', title: 'Status page', url: LINKS.statusPage },
    ]);
    expect(texts().join('\n')).toContain('- **API health**: down since');
    expect(logged.join('')).toContain('"channel":"teams"');
    expect(logged.join('')).not.toContain('s3cr3tSIG');
  });

  it('colours and fills the card by action: acknowledged by, then the downtime and no Acknowledge button', async () => {
    const pages = pageSequence();
    await send(pages.acknowledge);
    expect(card().body[0]).toMatchObject({ color: 'Warning' });
    expect(texts()).toContain('Acknowledged by');
    await send(pages.resolve);
    expect(card().body[0]).toMatchObject({ color: 'Good' });
    expect(texts()).toContain('at least 2h50 and at most 4h04');
    expect(card().actions.map((action) => action.title)).toEqual(['Incident', 'Status page']);
  });

  it('escapes markdown in tenant text, so no link is forged and no mention is written', async () => {
    const incident = sampleIncident({
      title: HOSTILE.title,
      members: [sampleMember({ name: HOSTILE.member, message: HOSTILE.message }), sampleMember()],
    });
    await send(samplePage({ incident, componentName: HOSTILE.component }));
    const all = texts().join('\n');
    expectNoForgery(all);
    expect(all).toContain('\\[Acknowledge\\](https://evil.example/ack)');
    expect(card().actions.every((action) => !action.url.includes('evil'))).toBe(true);
  });

  it('stays within Teams’ 28 KB for an incident of 500 checks and 5,000-character names', async () => {
    const long = 'x'.repeat(5_000);
    await send(samplePage({ incident: largeIncident(500), componentName: long }));
    expect(Buffer.byteLength(sink.requests[0]?.body ?? '')).toBeLessThan(TEAMS_MESSAGE_MAX_BYTES);
    expect(texts().join('\n')).toContain('_and 490 more_');
  });

  for (const { name, run } of answerClassCases({
    sink: () => sink,
    send: (timeoutMs) => send(samplePage(), timeoutMs),
    channel: 'teams',
    ok: { status: 202 },
    limited: { headers: { 'retry-after': '7' }, body: '{"error":{"code":"TooManyRequests"}}' },
    refused: { status: 404, body: '{"error":{"code":"WorkflowNotFound"}}' },
  }))
    it(name, run);
});
