/** Incidents: one per real outage, their timeline, postmortem and the signed links that acknowledge them. */
export { type AckClaim, createAckToken, redeemAckToken, resolveSecret, verifyAckToken } from './ack-token.js';
export {
  type DowntimeBounds,
  downtimeBounds,
  formatDowntime,
  INCIDENT_STATUSES,
  type Incident,
  type IncidentAddress,
  type IncidentMember,
  membersDown,
} from './incident.js';
export { type EpisodeRef, episodeKey, parseEpisodeKey, signEpisodeRef, verifyEpisodeRef } from './incident-ref.js';
export { IncidentStore, MAX_POSTMORTEM_BYTES, type OpenRequest } from './incident-store.js';
