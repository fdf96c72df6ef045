// Every error leaves the API as ODCS's body {"status","error","message"}. Client mistakes are 4xx
// with a message saying what is wrong; an unreachable dependency is a 503 naming it.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isDatabaseUnavailable } from '../store/pool.js';
import { isTemporalUnavailable } from '../temporal/client.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorBody(status: number, message: string) {
  return { status, error: REASONS[status] ?? 'Error', message };
}

export function jsonError(c: Context, status: number, message: string): Response {
  return c.json(errorBody(status, message), status as 400);
}

export class ServiceUnavailableError extends Error {
  readonly status = 503;
}

/** Maps any thrown value to a status and message. */
export function classifyError(err: unknown): { status: number; message: string } {
  if (err instanceof HTTPException) return { status: err.status, message: err.message || REASONS[err.status] || 'Error' };
  const e = err as { status?: unknown; message?: string };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 600) return { status: e.status, message: e.message ?? '' };
  if (isDatabaseUnavailable(err)) return { status: 503, message: 'The database is unavailable, try again later.' };
  if (isTemporalUnavailable(err)) return { status: 503, message: 'The workflow service (Temporal) is unavailable, try again later.' };
  return { status: 500, message: String(e?.message ?? err) };
}
