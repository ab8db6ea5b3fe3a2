import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { answerClassCases, expectNoForgery, HOSTILE, recordingContext } from '../answer-classes.js';
import { LINKS, largeIncident, pageSequence, sampleIncident, sampleMember, samplePage } from '../page-fixtures.js';
import { type HttpSink, startHttpSink } from '../test-servers.js';
import { createDiscordChannel, DISCORD_COLORS, DISCORD_LIMITS } from './discord.js';

const PATH = '/api/webhooks/1234567890/s3cr3tT0KEN';

/** Execute Webhook as documented (https://discord.com/developers/docs/resources/webhook#execute-webhook), with its limits. */
const embedSchema = z.strictObject({
  title: z.string().min(1).max(DISCORD_LIMITS.title),
  description: z.string().min(1).max(DISCORD_LIMITS.description),
  url: z.url().optional(),
  color: z.int().min(0).max(0xffffff),
  fields: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(DISCORD_LIMITS.fieldName),
        value: z.string().min(1).max(DISCORD_LIMITS.fieldValue),
        inline: z.boolean(),
      }),
    )
    .max(DISCORD_LIMITS.fields),
  timestamp: z.iso.datetime(),
  footer: z.strictObject({ text: z.string().max(DISCORD_LIMITS.footer) }),
});
const discordBody = z.strictObject({
  username: z.string().min(1).max(80),
  content: z.string().max(DISCORD_LIMITS.content),
  embeds: z.array(embedSchema).min(1).max(10),
  allowed_mentions: z.strictObject({ parse: z.array(z.enum(['roles', 'users', 'everyone'])) }),
});
type DiscordBody = z.output<typeof discordBody>;

/** Discord counts every title, description, field and footer of a message against 6,000. */
function embedChars(body: DiscordBody): number {
  return body.embeds
    .flatMap((embed) => [
      embed.title,
      embed.description,
      embed.footer.text,
      ...embed.fields.flatMap((f) => [f.name, f.value]),
    ])
    .join('').length;
}

describe('discord channel', () => {
  let sink: HttpSink;
  const logged: string[] = [];
  const ctx = recordingContext(logged);
  const send = (page = samplePage(), timeoutMs?: number) =>
    createDiscordChannel(ctx, { timeoutMs }).send(page, { webhookUrl: `${sink.url}${PATH}` });
  const body = () => discordBody.parse(JSON.parse(sink.requests.at(-1)?.body ?? ''));
  const embed = () => body().embeds[0] as z.output<typeof embedSchema>;

  beforeEach(async () => {
    sink = await startHttpSink();
    sink.respond = () => ({ status: 204 });
    logged.length = 0;
  });
  afterEach(() => sink.close());

  it('POSTs the documented body: the summary as content, one embed, and no mention allowed', async () => {
    await send();
    const request = sink.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(PATH);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(body().allowed_mentions).toEqual({ parse: [] });
    expect(body().content).toBe('\\[DOWN\\] Public API: 2 of 3 checks down — connect\\_refused');
    expect(embed()).toMatchObject({ title: 'Public API is down', url: LINKS.incident, color: DISCORD_COLORS.down });
    expect(embed().fields).toContainEqual({ name: 'Component', value: 'Public API', inline: true });
    expect(embed().description).toContain(
      `[Acknowledge](${LINKS.ack}) · [Incident](${LINKS.incident}) · [Status page](${LINKS.statusPage})`,
    );
    expect(embed().description).toContain('• **API health**: down since');
    expect(logged.join('')).toContain('"origin":"http://127.0.0.1');
    expect(logged.join('')).not.toContain('s3cr3tT0KEN');
  });

  it('colours the embed by action: amber acknowledged, green resolved, orange for a degradation', async () => {
    const pages = pageSequence();
    await send(pages.acknowledge);
    expect(embed().color).toBe(DISCORD_COLORS.acknowledge);
    await send(pages.resolve);
    expect(embed().color).toBe(DISCORD_COLORS.resolve);
    expect(embed().fields).toContainEqual({
      name: 'Downtime',
      value: 'at least 2h50 and at most 4h04',
      inline: true,
    });
    await send(samplePage({ incident: sampleIncident({ impact: 'minor' }) }));
    expect(embed().color).toBe(DISCORD_COLORS.degraded);
  });

  it('escapes markdown and mentions in tenant text', async () => {
    const incident = sampleIncident({
      title: HOSTILE.title,
      members: [sampleMember({ name: HOSTILE.member, message: HOSTILE.message }), sampleMember()],
    });
    await send(samplePage({ incident, componentName: HOSTILE.component }));
    const ours = /\[(Acknowledge|Incident|Status page)\]\(https:\/\/(vigil|status)\.example\.com[^)\s]*\)/g;
    const texts = [body().content, embed().description.replace(ours, ''), ...embed().fields.map((f) => f.value)];
    expectNoForgery(texts.join('\n'));
  });

  it('stays within the embed limits for 500 checks and 5,000-character names', async () => {
    const long = 'y'.repeat(5_000);
    const incident = { ...largeIncident(500), title: long, acknowledgedBy: long };
    await send(samplePage({ incident, componentName: long }));
    expect(embedChars(body())).toBeLessThanOrEqual(DISCORD_LIMITS.total);
  });

  for (const { name, run } of answerClassCases({
    sink: () => sink,
    send: (timeoutMs) => send(samplePage(), timeoutMs),
    channel: 'discord',
    ok: { status: 204 },
    // Discord's rate limit answer: the wait in the body, in seconds (its Retry-After header may be absent behind a proxy).
    limited: {
      headers: { 'content-type': 'application/json' },
      body: '{"message":"You are being rate limited.","retry_after":7,"global":false}',
    },
    refused: { status: 404, body: '{"message":"Unknown Webhook","code":10015}' },
  }))
    it(name, run);
});
