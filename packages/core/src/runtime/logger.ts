import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';

/** pino-pretty (and its ~30 modules) loads only for a terminal: a role in a container or a pipe never pays for it. */
const loadPretty = () => (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty')).PinoPretty;

export type { Logger } from 'pino';

/** Field names whose values never reach a log line, wherever they sit in the object. */
const SECRET_FIELDS = [
  'password',
  'token',
  'secret',
  'authorization',
  'routingKey',
  'authToken',
  'botToken',
  'webhookSecret',
  'webhookUrl',
  'signingSecret',
  'apiKey',
  'clientSecret',
];
const SECRET_PATHS = [
  ...SECRET_FIELDS,
  'smtpUrl',
  'redisUrl',
  'headers.authorization',
  'headers.cookie',
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  '*.headers.authorization',
  '*.headers.cookie',
];

export interface LoggerOptions {
  level?: string;
  /** The role, vantage and such, on every line. */
  bindings?: Record<string, string>;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
  /** Human-readable lines instead of JSON; default: only when stdout is a terminal (never in a container or a pipe). */
  pretty?: boolean;
}

/** Where lines go: the given stream, pretty lines on a terminal, else JSON to stdout, asynchronously. */
function destinationOf(options: LoggerOptions): pino.DestinationStream {
  if (options.destination) return options.destination as pino.DestinationStream;
  if (options.pretty ?? process.stdout.isTTY === true) {
    // Colour is pino-pretty's own call (colorette): a terminal, and no NO_COLOR.
    return loadPretty()({
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      sync: true,
    });
  }
  return pino.destination({ sync: false });
}

/** pino, JSON lines (pretty on a terminal), secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: options.bindings ?? {},
      redact: { paths: SECRET_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destinationOf(options),
  );
  return logger;
}
