import { describe, expect, it } from 'vitest';
import { parseConfig, validateConfig } from '../../config/config.js';
import { isVigilError, type VigilError } from '../../errors/errors.js';
import { channelSchema, channelTarget } from '../channel.js';
import { personSchema } from '../person.js';
import {
  CHANNEL_KINDS,
  type ChannelKind,
  type ChannelTarget,
  CONTACT_KINDS,
  channelKinds,
  contactKindOf,
} from './registry.js';

const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

const PUSHOVER_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
const PUSHOVER_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';

/** One channel of each kind as written in vigil.yaml, and the target its pages go to. */
const SAMPLES: Record<ChannelKind, { input: Record<string, unknown>; target: ChannelTarget }> = {
  email: {
    input: { email: { to: ['ops@example.com'] } },
    target: { kind: 'email', to: ['ops@example.com'] },
  },
  webhook: {
    input: { webhook: { url: 'https://hooks.example.com/vigil' } },
    target: { kind: 'webhook', url: 'https://hooks.example.com/vigil' },
  },
  slack: {
    input: { slack: { webhookUrl: 'https://hooks.slack.com/services/T0/B0/x' } },
    target: { kind: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/x' },
  },
  pagerduty: {
    input: { pagerduty: { routingKey: 'R0UT1NG' } },
    target: { kind: 'pagerduty', routingKey: 'R0UT1NG', url: 'https://events.pagerduty.com/v2/enqueue' },
  },
  twilio: {
    input: {
      twilio: { accountSid: SID, authToken: 'auth-token-0123456789', from: '+14155550100', to: ['+33612345678'] },
    },
    target: {
      kind: 'twilio',
      accountSid: SID,
      authToken: 'auth-token-0123456789',
      from: '+14155550100',
      to: ['+33612345678'],
      mode: 'sms',
      apiBase: 'https://api.twilio.com',
    },
  },
  telegram: {
    input: { telegram: { botToken: BOT_TOKEN, chatId: -1001234567890 } },
    target: { kind: 'telegram', botToken: BOT_TOKEN, chatId: '-1001234567890', apiBase: 'https://api.telegram.org' },
  },
  teams: {
    input: {
      teams: { webhookUrl: 'https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke' },
    },
    target: {
      kind: 'teams',
      webhookUrl: 'https://prod.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke',
    },
  },
  discord: {
    input: { discord: { webhookUrl: 'https://discord.com/api/webhooks/1/tok' } },
    target: { kind: 'discord', webhookUrl: 'https://discord.com/api/webhooks/1/tok' },
  },
  mattermost: {
    input: { mattermost: { webhookUrl: 'https://chat.example.com/hooks/xyz' } },
    target: { kind: 'mattermost', webhookUrl: 'https://chat.example.com/hooks/xyz', flavour: 'mattermost' },
  },
  ntfy: {
    input: { ntfy: { topic: 'ops-pages' } },
    target: { kind: 'ntfy', server: 'https://ntfy.sh', topic: 'ops-pages' },
  },
  pushover: {
    input: { pushover: { token: PUSHOVER_TOKEN, user: PUSHOVER_USER } },
    target: {
      kind: 'pushover',
      token: PUSHOVER_TOKEN,
      user: PUSHOVER_USER,
      retry: 60,
      expire: 3600,
      apiBase: 'https://api.pushover.net',
    },
  },
  opsgenie: {
    input: { opsgenie: { apiKey: 'eb243592-faa2-4ba2-a551q-1afdf565c889' } },
    target: { kind: 'opsgenie', apiKey: 'eb243592-faa2-4ba2-a551q-1afdf565c889', apiBase: 'https://api.opsgenie.com' },
  },
};

describe('channel kinds', () => {
  it('has a module with a summary for every kind', () => {
    for (const kind of CHANNEL_KINDS) expect(channelKinds[kind].summary.length).toBeGreaterThan(10);
  });

  it.each(CHANNEL_KINDS)('reads a %s channel and pages its target, defaults applied', (kind) => {
    const sample = SAMPLES[kind];
    const channel = channelSchema.parse({ id: `ops-${kind}`, ...sample.input });
    expect(channelTarget(channel)).toEqual(sample.target);
  });

  it.each(CHANNEL_KINDS)("refuses a %s channel's settings with a field of another kind", (kind) => {
    const result = channelSchema.safeParse({ id: 'ops', ...SAMPLES[kind].input, extra: {} });
    expect(result.success).toBe(false);
  });

  it('refuses a channel of two kinds or none, naming the kinds', () => {
    for (const input of [{ ...SAMPLES.email.input, ...SAMPLES.slack.input }, {}]) {
      const result = channelSchema.safeParse({ id: 'ops', ...input });
      expect(result.error?.issues[0]?.message).toBe(`expected exactly one of ${CHANNEL_KINDS.join(', ')}`);
    }
  });

  it('pages people by the kinds whose module writes a contact, email first', () => {
    expect(CONTACT_KINDS).toEqual(['email', 'webhook', 'twilio', 'telegram', 'ntfy', 'pushover']);
    const person = personSchema.parse({ id: 'ana', name: 'Ana', webhook: 'https://hooks.example.com/ana' });
    expect(person).toEqual({ id: 'ana', name: 'Ana', webhook: 'https://hooks.example.com/ana' });
    const bad = personSchema.safeParse({ id: 'bo', name: 'Bo', contact: ['slack'] });
    expect(bad.error?.issues.map((issue) => issue.path.join('.'))).toContain('contact.0');
    const none = personSchema.safeParse({ id: 'cy', name: 'Cy' });
    expect(none.error?.issues[0]?.message).toBe(
      'expected at least one of email or webhook or phone or telegram or ntfy or pushover',
    );
  });

  it("reads a person's phone (E.164) and telegram chat, and contact lists that name them", () => {
    const person = personSchema.parse({
      id: 'ana',
      name: 'Ana',
      phone: '+33612345678',
      telegram: 42,
      email: 'ana@example.com',
      contact: ['phone', 'telegram', 'email'],
    });
    expect(person).toMatchObject({ phone: '+33612345678', telegram: '42', contact: ['phone', 'telegram', 'email'] });
    expect(contactKindOf('phone')).toBe('twilio');
    const bad = personSchema.safeParse({ id: 'bo', name: 'Bo', phone: '06 12 34 56 78' });
    expect(bad.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['phone', 'expected a phone number in E.164 form, like +14155550100'],
    ]);
    const kind = personSchema.safeParse({ id: 'cy', name: 'Cy', phone: '+14155550100', contact: ['twilio'] });
    expect(kind.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['contact.0']);
  });

  it('refuses a twilio channel with a bad account, number or mode, naming the field', () => {
    const result = channelSchema.safeParse({
      id: 'phones',
      twilio: { accountSid: 'nope', authToken: 'auth-token-0123456789', from: '555', mode: 'fax' },
    });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'twilio.accountSid',
      'twilio.from',
      'twilio.mode',
    ]);
  });

  it("refuses a person's phone or telegram contact without a channel of the kind to page it through", () => {
    let thrown: unknown;
    try {
      validateConfig({
        vantages: ['alpha'],
        people: [{ id: 'ana', name: 'Ana', phone: '+33612345678', telegram: 42 }],
      });
    } catch (err) {
      thrown = err;
    }
    expect((thrown as VigilError).issues).toEqual([
      { path: 'people[0].phone', message: 'expected a twilio channel in channels to page it through' },
      { path: 'people[0].telegram', message: 'expected a telegram channel in channels to page it through' },
    ]);
  });

  it('never echoes a channel credential in a config error', () => {
    let thrown: unknown;
    try {
      validateConfig({
        vantages: ['alpha'],
        channels: [
          { id: 'phones', twilio: { accountSid: SID, authToken: 'short-s3cret', from: '+14155550100' } },
          { id: 'tg', telegram: { botToken: 'not:a-token-s3cret', webhookSecret: 'bad s3cret' } },
          { id: 'og', opsgenie: { apiKey: 's3cret' } },
        ],
      });
    } catch (err) {
      thrown = err;
    }
    expect(isVigilError(thrown, 'CONFIG_INVALID')).toBe(true);
    const error = thrown as VigilError;
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'channels[0].twilio.authToken',
      'channels[1].telegram.botToken',
      'channels[1].telegram.webhookSecret',
      'channels[2].opsgenie.apiKey',
    ]);
    expect(JSON.stringify(error.issues)).not.toContain('s3cret');
    expect(error.message).not.toContain('s3cret');
  });

  it('says which channel has no kind when one is built without parsing', () => {
    let thrown: unknown;
    try {
      channelTarget({ id: 'ops' });
    } catch (err) {
      thrown = err;
    }
    expect(isVigilError(thrown, 'CONFIG_INVALID')).toBe(true);
    expect((thrown as Error).message).toBe(`channel ops: expected exactly one of ${CHANNEL_KINDS.join(', ')}`);
  });
});

describe('chat and push channel kinds', () => {
  it('reads a self-hosted ntfy server with a token, and refuses a topic ntfy would not take', () => {
    const channel = channelSchema.parse({
      id: 'push',
      ntfy: { server: 'https://ntfy.example.com/', topic: 'ops', token: 'tk_abc' },
    });
    expect(channelTarget(channel)).toEqual({
      kind: 'ntfy',
      server: 'https://ntfy.example.com',
      topic: 'ops',
      token: 'tk_abc',
    });
    const bad = channelSchema.safeParse({ id: 'push', ntfy: { topic: 'ops/../admin' } });
    expect(bad.error?.issues[0]?.path.join('.')).toBe('ntfy.topic');
  });

  it('keeps Pushover emergency retry and expire within what Pushover accepts', () => {
    const token = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';
    const user = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
    for (const [field, value] of [
      ['retry', 29],
      ['expire', 10_801],
    ] as const) {
      const bad = channelSchema.safeParse({ id: 'po', pushover: { token, user, [field]: value } });
      expect(bad.error?.issues[0]?.path.join('.')).toBe(`pushover.${field}`);
    }
  });

  it('reads a person’s ntfy topic and Pushover key as contacts', () => {
    const person = personSchema.parse({
      id: 'ana',
      name: 'Ana',
      ntfy: 'ana-pages',
      pushover: { token: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi', user: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG' },
      contact: ['pushover', 'ntfy'],
    });
    expect(person.contact).toEqual(['pushover', 'ntfy']);
    expect(CONTACT_KINDS).toEqual(expect.arrayContaining(['ntfy', 'pushover']));
  });

  it('never echoes a credential it refuses in vigil.yaml', () => {
    const yaml = `vantages: [a]
people: [{ id: ana, name: Ana, pushover: { token: s3cretAPPTOKEN, user: s3cretUSERKEY } }]
channels:
  - { id: po, pushover: { token: s3cretAPPTOKEN, user: uQiRzpo4DXghDmr9QzzfQu27cmVRsG } }
  - { id: nt, ntfy: { topic: ops, token: "" } }
  - { id: tm, teams: { webhookUrl: "s3cret-not-a-url" } }`;
    let message = '';
    try {
      parseConfig(yaml);
    } catch (err) {
      message = String(err);
    }
    expect(message).toContain('channels[0].pushover.token: expected a Pushover application token');
    expect(message).toContain('people[0].pushover.user');
    expect(message).toContain('channels[2].teams.webhookUrl');
    expect(message).not.toMatch(/s3cret/);
  });
});
