/** The Block Kit subset Vigil sends to Slack, webhook and app mode alike. */

export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

export type SlackBlock =
  | { type: 'section'; text: MrkdwnText; fields?: MrkdwnText[] }
  | { type: 'context'; elements: MrkdwnText[] }
  | { type: 'actions'; block_id: string; elements: SlackButton[] };

/** A Block Kit button of an app-mode message; `value` is a signed reference to the incident episode. */
export interface SlackButton {
  type: 'button';
  text: { type: 'plain_text'; text: string };
  action_id: string;
  style: 'primary' | 'danger';
  value: string;
}

/** An incoming-webhook message: `text` is the notification and fallback, `blocks` what the channel shows. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}
