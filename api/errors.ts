// Every error leaves the API as ODCS's body {"status","error","message"} (core/errors.ts). Client
// mistakes are 4xx with a message saying what is wrong; an unreachable dependency is a 503 naming it.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { errorBody, HttpError, reasonPhrase } from '../core/errors.js';
import { isDatabaseUnavailable } from '../store/pool.js';
import { isTemporalUnavailable } from '../temporal/client.js';

export function jsonError(c: Context, status: number, message: string): Response {
  return c.json(errorBody(status, message), status as 400);
}

/** Maps any thrown value to a status and message. */
export function classifyError(err: unknown): { status: number; message: string } {
  if (err instanceof HTTPException) return { status: err.status, message: err.message || reasonPhrase(err.status) };
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  if (isDatabaseUnavailable(err)) return { status: 503, message: 'The database is unavailable, try again later.' };
  if (isTemporalUnavailable(err)) return { status: 503, message: 'The workflow service (Temporal) is unavailable, try again later.' };
  return { status: 500, message: String((err as { message?: unknown })?.message ?? err) };
}
