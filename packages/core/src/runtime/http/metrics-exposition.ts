import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { Registry } from 'prom-client';

/**
 * A metric family that formats its own exposition text piece by piece, for a family too large to
 * build as one string (a prober's per-check series: ~13 MB at 10,000 checks). The pieces, joined,
 * are exactly what prom-client's registry writes for the family (no trailing newline); each stays
 * small (tens of KB). The registry's default labels are not added (Vigil sets none).
 */
export interface StreamedFamily {
  expositionPieces(): Iterable<string>;
}

function isStreamedFamily(metric: unknown): metric is StreamedFamily {
  return typeof (metric as Partial<StreamedFamily>).expositionPieces === 'function';
}

/** A sample value as prom-client writes it (its `Nan` included, so the text stays byte-identical). */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

const NEEDS_ESCAPE = /[\\\n"]/;

/** A label value escaped as the text format asks (backslash, newline, double quote). */
export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** A metric name or help text escaped as the text format asks (backslash, newline). */
export function escapeHelpText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * The registry's exposition text, as `registry.metrics()` writes it, in pieces. prom-client's own
 * families are collected first and all at once (they are small, and a `collect` may wait on Redis:
 * a failure is known before anything is sent); a streamed family is formatted as it is read.
 */
export async function expositionPieces(registry: Registry): Promise<Iterable<string>> {
  const metrics = registry.getMetricsAsArray();
  const texts = await Promise.all(
    metrics.map((metric) => (isStreamedFamily(metric) ? undefined : registry.getSingleMetricAsString(metric.name))),
  );
  return (function* pieces() {
    for (const [i, metric] of metrics.entries()) {
      if (i > 0) yield '\n\n';
      const text = texts[i];
      if (text !== undefined) yield text;
      else if (isStreamedFamily(metric)) yield* metric.expositionPieces();
    }
    yield '\n';
  })();
}

/** Pieces are gathered up to this many characters before a write: fewer, larger chunks on the wire. */
const WRITE_CHARS = 64 * 1024;

/** Writes `text`; resolves once `out` can take more (true) or has closed (false). */
function write(out: Writable, text: string): Promise<boolean> {
  if (out.destroyed || out.writableEnded) return Promise.resolve(false);
  if (out.write(text)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (more: boolean) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      resolve(more);
    };
    const onDrain = () => settle(true);
    const onClose = () => settle(false);
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}

/**
 * Writes the pieces to `out` with backpressure (waiting for `drain` once its buffer is full), so a
 * scrape holds a chunk at a time, never the whole text; stops when `out` closes (the scraper left).
 * Resolves whether everything was written.
 */
export async function writePieces(out: Writable, pieces: Iterable<string>): Promise<boolean> {
  let pending = '';
  for (const piece of pieces) {
    pending += piece;
    if (pending.length < WRITE_CHARS) continue;
    if (!(await write(out, pending))) return false;
    pending = '';
  }
  if (out.destroyed || out.writableEnded) return false;
  out.end(pending);
  return true;
}

/**
 * Answers a scrape with the registry's exposition text, streamed. Plain even when the scraper
 * accepts gzip (as Prometheus does): in `pnpm bench scrape`, level 1 doubled the prober's CPU a
 * scrape (52 → 106 ms at 10,000 checks) and did not lower the scraper's (2.3× at 50,000), for no
 * less memory, to send 13× fewer bytes (see docs/deploy.md).
 * Resolves once the answer is sent or the scraper has gone; rejects only when collecting
 * prom-client's families failed, before anything was sent.
 */
export async function sendExposition(
  registry: Registry,
  request: IncomingMessage,
  response: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  const pieces = await expositionPieces(registry);
  response.writeHead(200, { ...headers, 'content-type': registry.contentType });
  if (request.method === 'HEAD' || response.destroyed) {
    response.end();
    return;
  }
  await writePieces(response, pieces);
}
