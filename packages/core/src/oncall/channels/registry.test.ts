import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../errors/errors.js';
import { channelSchema, channelTarget } from '../channel.js';
import { personSchema } from '../person.js';
import { CHANNEL_KINDS, type ChannelKind, type ChannelTarget, CONTACT_KINDS, channelKinds } from './registry.js';

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
      expect(result.error?.issues[0]?.message).toBe(
        'expected exactly one of email, webhook, slack, pagerduty, opsgenie',
      );
    }
  });

  it('pages people by the kinds whose module writes a contact, email first', () => {
    expect(CONTACT_KINDS).toEqual(['email', 'webhook']);
    const person = personSchema.parse({ id: 'ana', name: 'Ana', webhook: 'https://hooks.example.com/ana' });
    expect(person).toEqual({ id: 'ana', name: 'Ana', webhook: 'https://hooks.example.com/ana' });
    const bad = personSchema.safeParse({ id: 'bo', name: 'Bo', contact: ['slack'] });
    expect(bad.error?.issues.map((issue) => issue.path.join('.'))).toContain('contact.0');
    const none = personSchema.safeParse({ id: 'cy', name: 'Cy' });
    expect(none.error?.issues[0]?.message).toBe('expected at least one of email or webhook');
  });

  it('says which channel has no kind when one is built without parsing', () => {
    let thrown: unknown;
    try {
      channelTarget({ id: 'ops' });
    } catch (err) {
      thrown = err;
    }
    expect(isVigilError(thrown, 'CONFIG_INVALID')).toBe(true);
    expect((thrown as Error).message).toBe(
      'channel ops: expected exactly one of email, webhook, slack, pagerduty, opsgenie',
    );
  });
});
