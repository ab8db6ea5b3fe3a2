import { isIP } from 'node:net';
import { z } from 'zod';

/** Where metrics are served when `metrics.listen` is not set and the role has a public listener. */
export const DEFAULT_METRICS_PORT = 9464;

/** A host (name or IP, IPv6 in brackets) and a port, as `metrics.listen` is written. */
export interface ListenAddress {
  host: string;
  port: number;
}

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** `127.0.0.1:9464`, `[::1]:9464` or `localhost:9464` into its parts; undefined when it is none of those. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) return undefined;
  const [, v6, name, portText] = match;
  const port = Number(portText);
  if (port > 65535) return undefined;
  if (v6 !== undefined) return isIP(v6) === 6 ? { host: v6, port } : undefined;
  if (name === undefined || (isIP(name) === 0 && !HOST_NAME.test(name))) return undefined;
  return { host: name, port };
}

/**
 * `metrics: { listen, token }` in vigil.yaml: where `/metrics` is served, and the bearer token a scraper
 * must send. The token is a secret: write it as `${VIGIL_METRICS_TOKEN}`; errors never show its value.
 */
export const metricsSettingsSchema = z.strictObject({
  /** `host:port` of a listener of its own for `/metrics`, for every role (port 0: any free port). */
  listen: z
    .string()
    .transform((text, ctx) => {
      const address = parseListenAddress(text);
      if (!address) {
        ctx.addIssue({ code: 'custom', message: 'expected host:port, such as 127.0.0.1:9464 or [::1]:9464' });
        return z.NEVER;
      }
      return address;
    })
    .optional(),
  /** Scrapers must send `Authorization: Bearer <token>`; at least 16 characters. */
  token: z
    .string({ error: 'expected a string of at least 16 characters' })
    .min(16, { error: 'expected a string of at least 16 characters' })
    .max(4096, { error: 'expected at most 4096 characters' })
    .optional(),
});
export type MetricsSettings = z.output<typeof metricsSettingsSchema>;

/** Config paths whose values are secrets: an error there never carries the value it got. */
export const SECRET_CONFIG_PATHS: ReadonlySet<string> = new Set(['metrics.token']);
