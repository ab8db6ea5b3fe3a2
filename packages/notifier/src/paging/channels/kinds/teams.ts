import type { Channel, ChannelContext, ChannelModule, Page } from '../channel.js';
import { chatFacts, chatLinks, chatMembers, escapeChatMarkdown, listedOmitted } from '../chat-text.js';
import { DEFAULT_TIMEOUT_MS, type HttpChannelOptions, postWebhookMessage } from '../http-delivery.js';
import { oneLine, pageSubject, truncate } from '../page-content.js';

/** Teams refuses a message over 28 KB; Vigil's cards stay far below by capping every free text. */
export const TEAMS_MESSAGE_MAX_BYTES = 28 * 1024;
const TEXT_MAX = 2_000;
const FACT_MAX = 500;

type TextColor = 'Default' | 'Attention' | 'Warning' | 'Good';

/** The Adaptive Card elements Vigil sends (schema 1.4, the newest every Teams client renders). */
export type TeamsElement =
  | { type: 'TextBlock'; text: string; wrap: true; weight?: 'Bolder'; size?: 'Medium'; color?: TextColor }
  | { type: 'FactSet'; facts: { title: string; value: string }[] };

export interface TeamsMessage {
  type: 'message';
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive';
      contentUrl: null;
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
        type: 'AdaptiveCard';
        version: '1.4';
        body: TeamsElement[];
        actions: { type: 'Action.OpenUrl'; title: string; url: string }[];
        msteams: { width: 'Full' };
      };
    },
  ];
}

const COLORS: Record<Page['action'], TextColor> = { trigger: 'Attention', acknowledge: 'Warning', resolve: 'Good' };

/** The workflow message for a page: an Adaptive Card with the summary, facts, checks and link buttons. */
export function teamsMessage(page: Page): TeamsMessage {
  const body: TeamsElement[] = [
    text(escapeChatMarkdown(pageSubject(page)), { weight: 'Bolder', size: 'Medium', color: COLORS[page.action] }),
    text(escapeChatMarkdown(oneLine(page.incident.title))),
    {
      type: 'FactSet',
      facts: chatFacts(page).map(([title, value]) => ({ title, value: truncate(escapeChatMarkdown(value), FACT_MAX) })),
    },
  ];
  const members = chatMembers(page).map(
    ({ name, details }) => `- **${escapeChatMarkdown(name)}**: ${escapeChatMarkdown(details)}`,
  );
  const omitted = listedOmitted(page);
  if (omitted > 0) members.push(`- _and ${omitted} more_`);
  if (members.length > 0) body.push(text(truncate(members.join('\n'), TEXT_MAX)));
  const actions = chatLinks(page).map(({ label, url }) => ({ type: 'Action.OpenUrl' as const, title: label, url }));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          actions,
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

/** Posts to a Teams workflow webhook, which answers 202 once it has the message. */
export function createTeamsChannel(ctx: ChannelContext, options: HttpChannelOptions = {}): Channel<'teams'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    kind: 'teams',
    async send(page, target) {
      const message = teamsMessage(page);
      await postWebhookMessage(ctx, { channel: 'teams', page, url: target.webhookUrl, message, timeoutMs });
    },
  };
}

function text(value: string, style: Partial<Extract<TeamsElement, { type: 'TextBlock' }>> = {}): TeamsElement {
  return { type: 'TextBlock', text: truncate(value, TEXT_MAX), wrap: true, ...style };
}

/** Teams: 408, 429 and 5xx retry; other 4xx (a deleted workflow, a refused card) and redirects are permanent. */
export const teamsChannel = { kind: 'teams', create: createTeamsChannel } satisfies ChannelModule<'teams'>;
