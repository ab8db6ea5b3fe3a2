import { z } from 'zod';
import { httpsUrlSchema } from '../../config/field-schemas.js';
import type { ChannelKindModule } from './channel-kind.js';

/** The URL of a Teams workflow ("Post to a channel when a webhook request is received"); it is the credential. */
export const teamsChannelSchema = z.strictObject({ webhookUrl: httpsUrlSchema });

export const teamsChannel = {
  summary: 'an Adaptive Card through a Microsoft Teams workflow (Power Automate) webhook',
  example: `channels:
  - { id: teams-ops, teams: { webhookUrl: "\${TEAMS_WORKFLOW_URL}" } }
`,
  schema: teamsChannelSchema,
} satisfies ChannelKindModule;
