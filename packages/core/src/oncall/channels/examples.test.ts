import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/config.js';
import { CHANNEL_KINDS, type ChannelKind, CONTACT_KINDS, channelKinds, contactName } from './registry.js';

const README = readFileSync(new URL('../../../../../README.md', import.meta.url), 'utf8');

/** What the examples' `${VAR}` placeholders stand for when the test loads them: values each schema accepts. */
const ENV: Record<string, string> = {
  SLACK_WEBHOOK: 'https://hooks.slack.com/services/T0/B0/x',
  SLACK_BOT_TOKEN: 'xoxb-1234-5678-abcdefgh',
  SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5',
  PD_ROUTING_KEY: 'R0UT1NGKEY0123456789',
  PD_WEBHOOK_SECRET: 'pd-webhook-secret-0123456789',
  TWILIO_SID: `AC${'0123456789abcdef'.repeat(2)}`,
  TWILIO_TOKEN: 'auth-token-0123456789',
  TG_BOT_TOKEN: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
  TG_WEBHOOK_SECRET: 'tg-webhook-secret-0123',
  TEAMS_WORKFLOW_URL: 'https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke',
  DISCORD_WEBHOOK: 'https://discord.com/api/webhooks/1/tok',
  MATTERMOST_HOOK: 'https://chat.example.com/hooks/xyz',
  ROCKETCHAT_HOOK: 'https://rocket.example.com/hooks/abc/xyz',
  NTFY_TOKEN: 'tk_0123456789abcdef',
  PUSHOVER_APP_TOKEN: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi',
  PUSHOVER_GROUP_KEY: 'gznej3rKEVAvPUxu9vvNnqpmZpokzF',
  ANA_PUSHOVER_KEY: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
  OPSGENIE_API_KEY: 'eb243592-faa2-4ba2-a551-1afdf565c889',
  OPSGENIE_HOOK_SECRET: 'og-webhook-secret-0123456789',
};

/** An example as it would sit in a vigil.yaml that declares nothing else. */
function load(kind: ChannelKind) {
  return parseConfig(`vantages: [eu-west]\n${channelKinds[kind].example}`, { env: ENV, source: `${kind} example` });
}

describe('channel kind examples', () => {
  it.each(CHANNEL_KINDS)('the %s example loads with the real config parser and declares that kind', (kind) => {
    const config = load(kind);
    expect(config.channels.length).toBeGreaterThan(0);
    for (const channel of config.channels) expect(channel).toHaveProperty(kind);
  });

  it.each(CONTACT_KINDS)("the %s example shows a person's contact", (kind) => {
    const name = contactName(kind);
    expect(load(kind).people.some((person) => name in person)).toBe(true);
  });

  it.each(CHANNEL_KINDS)('README.md shows the %s example verbatim, in its own subsection', (kind) => {
    const section = README.split(/^### /m).find((part) => part.startsWith(`\`${kind}\``));
    expect(section, `README.md has no "### \`${kind}\`" subsection`).toBeDefined();
    expect(section).toContain(`\`\`\`yaml\n${channelKinds[kind].example}\`\`\``);
  });
});
