// Logging: one pino root, one child logger per component. Messages are constant strings with data
// in fields; the redact list keeps credentials out of every log line.
import { pino, type Logger } from 'pino';

export type { Logger };

/** Field paths whose values never reach a log line (credentials, secrets, tokens). */
export const REDACT_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'token', '*.token',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'data', '*.data', 'stringData', '*.stringData', 'auth', '*.auth',
];

/**
 * Creates the process's root logger. Level comes from the caller (the CLI reads BERTH_LOG_LEVEL);
 * libraries never read configuration themselves.
 */
export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { level: opts.level ?? 'info', redact: { paths: REDACT_PATHS, censor: '[REDACTED]' }, base: undefined },
    (opts.destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
}

/** A logger that drops everything, for unit tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });
