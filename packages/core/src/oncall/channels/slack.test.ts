import { describe, expect, it } from 'vitest';
import { channelSchema, channelTarget } from '../channel.js';
import { personSchema } from '../person.js';

const APP = {
  botToken: 'xoxb-1234567890-abcdefghij',
  channelId: 'C0123ABCD',
  signingSecret: 'signing-secret-0123456789',
};

describe('slack channel, app form', () => {
  it("reads the app form with Slack's Web API as the default base", () => {
    const channel = channelSchema.parse({ id: 'slack-ops', slack: APP });
    expect(channelTarget(channel)).toEqual({ kind: 'slack', ...APP, apiBase: 'https://slack.com/api' });
  });

  it('still reads the incoming-webhook form', () => {
    const channel = channelSchema.parse({
      id: 'hook',
      slack: { webhookUrl: 'https://hooks.slack.com/services/T/B/x' },
    });
    expect(channelTarget(channel)).toEqual({ kind: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/x' });
  });

  it.each([
    [{ ...APP, botToken: 'xoxp-user-token' }, 'slack.botToken'],
    [{ ...APP, channelId: '#ops' }, 'slack.channelId'],
    [{ ...APP, signingSecret: 'short' }, 'slack.signingSecret'],
  ])('refuses a bad app form naming the field', (slack, path) => {
    const result = channelSchema.safeParse({ id: 'slack-ops', slack });
    const paths = JSON.stringify(result.error?.issues);
    expect(result.success).toBe(false);
    expect(paths).toContain(path.split('.')[1]);
  });

  it('refuses a mix of both forms', () => {
    const result = channelSchema.safeParse({
      id: 'slack-ops',
      slack: { ...APP, webhookUrl: 'https://hooks.slack.com/services/T/B/x' },
    });
    expect(result.success).toBe(false);
  });

  it('maps a person to their Slack user id, which is no way to page them', () => {
    const person = personSchema.parse({
      id: 'ana',
      name: 'Ana',
      email: 'ana@example.com',
      slack: { userId: 'U0ANA1' },
    });
    expect(person.slack).toEqual({ userId: 'U0ANA1' });
    expect(personSchema.safeParse({ id: 'ana', name: 'Ana', slack: { userId: 'U0ANA1' } }).success).toBe(false);
    expect(
      personSchema.safeParse({ id: 'ana', name: 'Ana', email: 'a@example.com', slack: { userId: 'ana' } }).success,
    ).toBe(false);
  });
});
