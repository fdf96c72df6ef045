// Structured JSON logs (pino) for every process. `npm start` pipes them through pino-pretty.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(name: string, level = 'info'): Logger {
  return pino({ name, level, base: { service: name }, timestamp: pino.stdTimeFunctions.isoTime });
}
