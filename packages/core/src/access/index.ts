/** API tokens: their scopes, quotas and rate limits, and the store that verifies them. */
export {
  type ApiToken,
  TOKEN_SCOPES,
  type TokenInput,
  type TokenScope,
  tokenInputSchema,
  tokenPatchSchema,
} from './api-token.js';
export {
  asTenantCheck,
  componentOwner,
  type Grant,
  grantIssues,
  grantSchema,
  incidentGroup,
  incidentVisibleTo,
  mayPublish,
  mayUseComponent,
  mayUseEscalation,
  pagingEscalation,
  type TenancyConfig,
  type TenantCheck,
  tenancyIssues,
  tenantOf,
} from './tenancy.js';
export { TokenStore } from './token-store.js';
