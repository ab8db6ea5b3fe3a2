import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { CHECK_STYLES } from './view/check.js';
import { CHECK_PAGE_SCRIPT } from './view/check-page-script.js';
import { CONSOLE_STYLES } from './view/styles.js';

/** A static file of the console, served under a name that changes with its content. */
interface Asset {
  url: string;
  type: string;
  body: Buffer;
}

const require = createRequire(import.meta.url);

function fingerprinted(name: string, ext: string, type: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { url: `/console/assets/${name}.${hash}.${ext}`, type, body };
}

/** The console's assets, read once: htmx and uPlot from their npm packages (no CDN), the stylesheet, the chart script. */
export function consoleAssets() {
  const htmx = readFileSync(require.resolve('htmx.org/dist/htmx.min.js'));
  const uplotStyles = readFileSync(require.resolve('uplot/dist/uPlot.min.css'));
  const styles = Buffer.concat([Buffer.from(CONSOLE_STYLES + CHECK_STYLES), uplotStyles]);
  return {
    htmx: fingerprinted('htmx', 'js', 'text/javascript; charset=utf-8', htmx),
    styles: fingerprinted('console', 'css', 'text/css; charset=utf-8', styles),
    uplot: fingerprinted(
      'uplot',
      'js',
      'text/javascript; charset=utf-8',
      readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')),
    ),
    checkPage: fingerprinted('check-page', 'js', 'text/javascript; charset=utf-8', Buffer.from(CHECK_PAGE_SCRIPT)),
  };
}
export type ConsoleAssets = ReturnType<typeof consoleAssets>;

/** Fingerprinted, so cached for a year and never revalidated; an unknown name is a 404. */
export function registerAssets(app: FastifyInstance, assets: ConsoleAssets): void {
  for (const asset of Object.values(assets)) {
    app.get(asset.url, async (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .type(asset.type)
        .send(asset.body),
    );
  }
}
