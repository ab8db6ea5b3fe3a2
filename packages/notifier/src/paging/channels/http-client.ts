import type { Agent, Dispatcher } from 'undici';

/** How long an idle connection to a provider stays open for the next page; under the usual 5 s server keep-alive. */
const KEEP_ALIVE_MS = 4_000;

type Undici = typeof import('undici');

/**
 * undici, loaded on the first page rather than when the notifier starts: `import 'undici'` loads
 * ~110 modules (the prober's `undici-client.ts` says which) that an idle notifier does not need.
 */
let undici: Promise<Undici> | undefined;
function loadUndici(): Promise<Undici> {
  undici ??= import('undici');
  return undici;
}

/**
 * The connections a registry's channels share: one undici `Agent`, keep-alive per origin, made on
 * the first request. `createChannels` makes one and `closeChannels` closes it; a channel made on its
 * own (in a test) uses undici's global dispatcher.
 */
export class ChannelHttp {
  #agent: Promise<Agent> | undefined;
  #closed: Promise<void> | undefined;

  dispatcher(): Promise<Dispatcher> {
    this.#agent ??= loadUndici().then(({ Agent }) => new Agent({ keepAliveTimeout: KEEP_ALIVE_MS }));
    return this.#agent;
  }

  /** Waits for requests in flight, then closes the connections; safe to call more than once. */
  close(): Promise<void> {
    this.#closed ??= this.#agent ? this.#agent.then((agent) => agent.close()) : Promise.resolve();
    return this.#closed;
  }
}

export interface HttpPost {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** From sending to the end of the response body. */
  timeoutMs: number;
  http?: ChannelHttp | undefined;
}

/** A response whose body is read at most once, bounded, or dropped. */
export interface HttpAnswer {
  status: number;
  header(name: string): string | null;
  /** Up to about `maxBytes` of the body as text (then the rest is dropped); undefined when it could not be read. */
  read(maxBytes: number): Promise<string | undefined>;
  /** Drops the body, keeping the connection when the body is short; not awaited (the page is decided). */
  discard(): void;
}

/**
 * POSTs `body` with `undici.request`, following no redirect (a 3xx comes back as it is). Rejects
 * with undici's or Node's error when there is no response (its `code` says why; see `networkReason`),
 * or with the timeout signal's `TimeoutError`.
 */
export async function sendPost(post: HttpPost): Promise<HttpAnswer> {
  const { request } = await loadUndici();
  const dispatcher = post.http ? await post.http.dispatcher() : undefined;
  const response = await request(post.url, {
    method: 'POST',
    body: post.body,
    headers: { 'user-agent': 'vigil', ...post.headers },
    headersTimeout: post.timeoutMs,
    bodyTimeout: post.timeoutMs,
    signal: AbortSignal.timeout(post.timeoutMs),
    ...(dispatcher && { dispatcher }),
  });
  const { body, headers, statusCode } = response;
  return {
    status: statusCode,
    header: (name) => {
      const value = headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
    read: (maxBytes) => readUpTo(body, maxBytes),
    discard: () => {
      body.dump().catch(() => {});
    },
  };
}

async function readUpTo(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      chunks.push(bytes);
      size += bytes.length;
      // Leaving the loop destroys the stream: the rest is never read.
      if (size >= maxBytes) break;
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks).toString('utf8');
}
