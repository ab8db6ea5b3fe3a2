import { z } from 'zod';
import { TOKEN_SCOPES } from '../access/api-token.js';
import { slugSchema } from '../checks/check.js';
import { httpsUrlSchema } from './field-schemas.js';

/** One IdP group's rights in the console: the scopes of the API's matrix and the token owners whose checks it sees. */
const consoleRoleSchema = z.strictObject({
  group: z.string().min(1).max(256),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1, { error: 'expected at least one of read, write, admin' }),
  /** Token owners whose checks and incidents members see; left out, the operators' (all of them for admin). */
  owners: z.array(slugSchema).optional(),
});
export type ConsoleRole = z.output<typeof consoleRoleSchema>;

/**
 * `console.oidc`: sign-in through an OpenID Connect provider (authorization code + PKCE). The client
 * secret is a secret: write it as `${VIGIL_OIDC_CLIENT_SECRET}`; errors and logs never show its value.
 */
export const oidcSettingsSchema = z.strictObject({
  /** The issuer URL; its `/.well-known/openid-configuration` is read at the first sign-in. */
  issuer: httpsUrlSchema,
  clientId: z.string().min(1, { error: 'expected the client id registered at the provider' }).max(1024),
  clientSecret: z
    .string({ error: 'expected the client secret registered at the provider' })
    .min(1, { error: 'expected the client secret registered at the provider' })
    .max(4096, { error: 'expected at most 4096 characters' })
    .optional(),
  /** The callback URL registered at the provider; left out, `statusPage.url` + `/console/auth/oidc/callback`. */
  redirectUrl: httpsUrlSchema.optional(),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { error: 'expected an OAuth scope name' }))
    .default(['openid', 'profile', 'email', 'groups']),
  /** The claim (ID token or userinfo) listing a person's groups. */
  groupsClaim: z.string().min(1).max(256).default('groups'),
  roles: z.array(consoleRoleSchema).min(1, { error: 'expected at least one { group, scopes } role' }),
});
export type OidcSettings = z.output<typeof oidcSettingsSchema>;

/** `console:` in vigil.yaml: how people sign in to the operator console. */
export const consoleSettingsSchema = z.strictObject({
  oidc: oidcSettingsSchema.optional(),
});
export type ConsoleSettings = z.output<typeof consoleSettingsSchema>;

/** Config paths whose values are secrets: an error there never carries the value it got. */
export const CONSOLE_SECRET_PATHS: readonly string[] = ['console.oidc.clientSecret'];
