import { createRequire } from 'node:module';
import type { Dispatcher, Client as UndiciClient } from 'undici';

/**
 * The two parts of undici an HTTP probe uses — `Client` and its `request` — loaded on their own:
 * `import 'undici'` loads ~110 modules (fetch, the cache, proxy and mock agents, WebSocket, EventSource)
 * that a prober never calls, ~9 MB of an idle prober's RSS. undici 7 has no `exports` map, so these
 * paths are reachable; its index does no more for them than attach `request` to the Dispatcher prototype.
 */
const require = createRequire(import.meta.url);

export type Client = UndiciClient;
export const Client = require('undici/lib/dispatcher/client.js') as typeof UndiciClient;

const apiRequest = require('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

/** `client.request(options)`, without the full package having attached it to the prototype. */
export function request(client: Client, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(client, options);
}
