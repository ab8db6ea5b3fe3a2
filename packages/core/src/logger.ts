import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Field names whose values never reach a log line, wherever they sit in the object. */
const SECRET_PATHS = [
  'password',
  'token',
  'secret',
  'authorization',
  'routingKey',
  'webhookUrl',
  'smtpUrl',
  'redisUrl',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.routingKey',
  '*.webhookUrl',
  '*.headers.authorization',
  '*.headers.cookie',
];

export interface LoggerOptions {
  level?: string;
  /** The role, vantage and such, on every line. */
  bindings?: Record<string, string>;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: NodeJS.WritableStream;
}

/** pino, JSON lines, secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: options.bindings ?? {},
      redact: { paths: SECRET_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ sync: false }),
  );
  return logger;
}
