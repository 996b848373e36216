import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level; default LOG_LEVEL from the environment, else "info". */
  level?: string;
  /** Where JSON lines go; default stdout. */
  destination?: DestinationStream;
}

/** The operator's root logger: one JSON object per line, ISO timestamps, errors serialized as `err`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const config = { level, base: { app: 'coderun' }, timestamp: pino.stdTimeFunctions.isoTime };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A child logger for everything about one CodeRun: every line carries `coderun: "namespace/name"`. */
export function codeRunLogger(parent: Logger, run: { namespace: string; name: string }): Logger {
  return parent.child({ coderun: `${run.namespace}/${run.name}` });
}
