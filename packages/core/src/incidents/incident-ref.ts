import { createHmac, timingSafeEqual } from 'node:crypto';

/** One incident episode: what an alert opened elsewhere (PagerDuty, Opsgenie, a Slack message) stands for. */
export interface EpisodeRef {
  incidentId: string;
  episode: number;
}

const KEY_PATTERN = /^vigil-(.{1,200})-([1-9][0-9]{0,8})$/;

/**
 * The identity of an incident episode in other systems: PagerDuty's dedup key, Opsgenie's alias. Every
 * page of the episode (levels, cycles, retries) lands on one alert there; a reopened incident opens another.
 */
export function episodeKey(ref: Pick<EpisodeRef, 'incidentId' | 'episode'>): string {
  return `vigil-${ref.incidentId}-${ref.episode}`;
}

/** The episode an outside alert's key names, when it is one Vigil made. */
export function parseEpisodeKey(key: string): EpisodeRef | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match?.[1] || !match[2]) return undefined;
  return { incidentId: match[1], episode: Number(match[2]) };
}

function mac(secret: string, key: string): string {
  return createHmac('sha256', secret).update(`ref.${key}`).digest('base64url');
}

/**
 * A signed reference to an episode, for a button's value: only Vigil (with VIGIL_SECRET) makes one,
 * so a button press cannot name an incident it was not shown.
 */
export function signEpisodeRef(secret: string, ref: EpisodeRef): string {
  const key = episodeKey(ref);
  return `${key}.${mac(secret, key)}`;
}

/** The episode of a signed reference, or undefined when it is not one Vigil signed (compared in constant time). */
export function verifyEpisodeRef(secret: string, value: string): EpisodeRef | undefined {
  const dot = value.lastIndexOf('.');
  if (dot < 0 || value.length > 400) return undefined;
  const key = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(mac(secret, key));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return parseEpisodeKey(key);
}
