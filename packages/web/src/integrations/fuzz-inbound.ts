import { episodeKey, SLACK_ACTIONS, signEpisodeRef } from '@vigil/core';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { OPSGENIE_SECRET_HEADER } from './opsgenie-webhook.js';
import { pagerDutySignature } from './pagerduty-webhook.js';
import { slackSignature } from './slack-actions.js';

/** The secrets of the fuzzed fleet's channels, so the fuzz also sends requests that verify. */
const SLACK_SECRET = 'fuzz-slack-signing-secret-0123';
const PD_SECRET = 'fuzz-pagerduty-secret-0123456';
const OG_SECRET = 'fuzz-opsgenie-secret-01234567';
/** The secret `testWebApp` signs references with. */
const VIGIL_SECRET = 'test-secret-0123456789abcdef';

export const FUZZ_INBOUND_CHANNELS = [
  { id: 'fuzz-slack', slack: { botToken: 'xoxb-1234567890-fuzz', channelId: 'C0FUZZ00', signingSecret: SLACK_SECRET } },
  { id: 'fuzz-pd', pagerduty: { routingKey: 'R0UT1NG', webhookSecret: PD_SECRET } },
  { id: 'fuzz-og', opsgenie: { apiKey: 'genie-key-fuzz', webhookSecret: OG_SECRET } },
];

const junk = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.constantFrom(
    '',
    'payload=',
    'payload=%7B',
    'payload={}',
    '{"event":null}',
    '{"action":"Close","alert":null}',
    'null',
  ),
);

/**
 * Hostile requests to the inbound routes: junk, junk signed with the right secret (so parsing past
 * the signature is fuzzed too), and near-valid ones with a fuzzed field, at fuzzed times.
 */
export function inboundRequests(incidentId: string, now: number): fc.Arbitrary<InjectOptions> {
  const key = episodeKey({ incidentId, episode: 1 });
  const ref = fc.oneof(
    fc.constant(signEpisodeRef(VIGIL_SECRET, { incidentId, episode: 1 })),
    fc.string({ maxLength: 80 }),
  );
  const slackBody = fc.oneof(
    junk,
    fc
      .record({
        type: fc.constantFrom('block_actions', 'view_submission', ''),
        user: fc.record({ id: fc.string({ maxLength: 20 }), username: fc.string({ maxLength: 20 }) }),
        actions: fc.array(
          fc.record({ action_id: fc.constantFrom(SLACK_ACTIONS.acknowledge, SLACK_ACTIONS.resolve, 'x'), value: ref }),
          { maxLength: 3 },
        ),
      })
      .map((payload) => `payload=${encodeURIComponent(JSON.stringify(payload))}`),
  );
  const skew = fc.oneof(fc.constant(0), fc.integer({ min: -900, max: 900 }));
  const slack = fc.record({ body: slackBody, skew, signed: fc.boolean() }).map(({ body, skew, signed }) => {
    const timestamp = String(Math.floor(now / 1000) + skew);
    const signature = signed ? slackSignature(SLACK_SECRET, timestamp, body) : 'v0=00';
    return request('/integrations/slack/actions', body, {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    });
  });
  const pdBody = fc.oneof(
    junk,
    fc
      .record({
        id: fc.string({ maxLength: 30 }),
        event_type: fc.constantFrom('incident.acknowledged', 'incident.resolved', 'incident.triggered', ''),
        incident_key: fc.oneof(fc.constant(key), fc.string({ maxLength: 40 })),
      })
      .map(({ id, event_type, incident_key }) =>
        JSON.stringify({ event: { id, event_type, agent: { summary: 'Fuzz' }, data: { incident_key } } }),
      ),
  );
  const pagerduty = fc.record({ body: pdBody, signed: fc.boolean() }).map(({ body, signed }) =>
    request('/integrations/pagerduty/webhook', body, {
      'content-type': 'application/json',
      'x-pagerduty-signature': signed ? `v1=00,${pagerDutySignature(PD_SECRET, body)}` : 'v1=00',
    }),
  );
  const ogBody = fc.oneof(
    junk,
    fc
      .record({
        action: fc.constantFrom('Acknowledge', 'Close', 'AddNote', ''),
        alias: fc.oneof(fc.constant(key), fc.string({ maxLength: 40 })),
      })
      .map(({ action, alias }) => JSON.stringify({ action, alert: { alias, username: 'fuzz' } })),
  );
  const opsgenie = fc
    .record({ body: ogBody, secret: fc.oneof(fc.constant(OG_SECRET), fc.string({ maxLength: 40 })) })
    .map(({ body, secret }) =>
      request('/integrations/opsgenie/webhook', body, {
        'content-type': 'application/json',
        [OPSGENIE_SECRET_HEADER]: secret,
      }),
    );
  return fc.oneof(slack, pagerduty, opsgenie);
}

function request(url: string, payload: string, headers: Record<string, string>): InjectOptions {
  // Header values must be sendable: fuzzed secrets with control characters are a different request.
  const sendable = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, value.replace(/[^\x20-\x7e]/g, '')]),
  );
  return { method: 'POST', url, headers: sendable, payload };
}
