import { type FieldIssue, redactUrl, type VigilEnv, VigilError, type VigilErrorCode } from '@vigil/core';

/** How long one request may take before the API counts as unreachable. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** A field issue as the API reports it: where in the request it was found, when it says. */
export type ApiIssue = FieldIssue & { in?: string };

/** The API failed on its side (a 5xx that is not "Redis unavailable"): a fault, not bad input. */
export class ApiFault extends Error {
  override readonly name = 'ApiFault';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** An API error: a VigilError with the API's code, message and issues (`in` says body, query, …). */
export class ApiError extends VigilError {
  constructor(
    code: VigilErrorCode,
    message: string,
    readonly status: number,
    override readonly issues: readonly ApiIssue[],
  ) {
    super(code, message, issues);
  }
}

const KNOWN_CODES: ReadonlySet<string> = new Set<VigilErrorCode>([
  'CONFIG_INVALID',
  'ENV_INVALID',
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'TOKEN_INVALID',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'QUOTA_EXCEEDED',
  'RATE_LIMITED',
  'REDIS_UNAVAILABLE',
]);

/** A code the API sent that the CLI does not know (UNSUPPORTED_MEDIA_TYPE, …), by its HTTP status. */
function codeForStatus(status: number): VigilErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'REDIS_UNAVAILABLE';
  return 'VALIDATION';
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; issues?: unknown };
}

function toApiError(status: number, body: unknown, fallback: string): ApiError | ApiFault {
  const error = (body as ErrorBody | undefined)?.error;
  const message = typeof error?.message === 'string' ? error.message : fallback;
  const code = typeof error?.code === 'string' && KNOWN_CODES.has(error.code) ? (error.code as VigilErrorCode) : null;
  if (status >= 500 && code !== 'REDIS_UNAVAILABLE') return new ApiFault(message, status);
  const issues = Array.isArray(error?.issues) ? (error.issues as ApiIssue[]) : [];
  return new ApiError(code ?? codeForStatus(status), message, status, issues);
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

/** A page of a cursor-paged list. */
interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The Vigil API over global fetch: bearer token, JSON both ways, a timeout per request. Network
 * failures become API_UNREACHABLE naming the URL and VIGIL_URL; error bodies become ApiErrors.
 * The token goes in one header and nowhere else (never in a message).
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: { baseUrl: string; token?: string; timeoutMs?: number }) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The API the environment names: VIGIL_URL, else the web role on this machine's VIGIL_PORT. */
  static fromEnv(env: VigilEnv): ApiClient {
    return new ApiClient({
      baseUrl: env.VIGIL_URL ?? `http://127.0.0.1:${env.VIGIL_PORT}`,
      ...(env.VIGIL_TOKEN !== undefined && { token: env.VIGIL_TOKEN }),
    });
  }

  get hasToken(): boolean {
    return this.token !== undefined;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { ...(query && { query }) });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {} });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path, {});
  }

  /** Every item of a cursor-paged list, following `nextCursor` to the end. */
  async all<T>(path: string, query: RequestOptions['query'] = {}): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await this.get<CursorPage<T>>(path, { ...query, limit: 500, cursor });
      items.push(...page.items);
      if (!page.nextCursor || page.nextCursor === cursor) return items;
      cursor = page.nextCursor;
    }
  }

  async request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw this.unreachable(err);
    }
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) throw toApiError(response.status, body, `${method} ${path}: HTTP ${response.status}`);
    return body as T;
  }

  private unreachable(err: unknown): VigilError {
    const where = redactUrl(this.baseUrl).replace(/\/$/, '');
    const hint = 'is `vigil web` or `vigil up` running? set VIGIL_URL';
    const name = (err as Error | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new VigilError(
        'API_UNREACHABLE',
        `the Vigil API at ${where} did not answer within ${this.timeoutMs / 1000}s (${hint})`,
      );
    }
    const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    const reason = [cause?.code, cause?.message].find((text) => typeof text === 'string' && text !== '');
    return new VigilError(
      'API_UNREACHABLE',
      `cannot reach the Vigil API at ${where} (${reason ? `${reason}; ` : ''}${hint})`,
    );
  }
}
