// GET /api/1/events: every compose creation and state change as server-sent events, in order,
// each `{"event":"state-changed","compose":{...}}` with the outbox id as the event id, so a client
// resumes with Last-Event-ID after a disconnect and misses nothing.
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type pg from 'pg';
import type { AppConfig } from '../core/config.js';
import { composeToJson } from '../core/compose-json.js';
import { BadRequestError } from '../core/errors.js';
import type { OdcsSettings } from '../core/settings.js';
import { eventsAfter, latestEventId } from '../store/events.js';
import { EVENT_STREAM_EXAMPLE, EventsHeadersSchema, EventsQuerySchema } from '../core/schemas/index.js';
import type { EventNotifier } from './event-notifier.js';
import { createRouter, errorResponse, register } from './routing.js';

export const eventsRoute = createRoute({
  method: 'get',
  path: '/api/1/events',
  tags: ['events'],
  operationId: 'composeEvents',
  summary: 'Compose events (server-sent events)',
  description:
    'Every compose creation and state change, in order, as `text/event-stream`: first a `ready` event (data: EventsReady), then one `state-changed` event per change (data: ComposeEvent) with the outbox id as its `id`, and `: keepalive` comments while idle. A client that reconnects with `Last-Event-ID` misses nothing. The stream does not end by itself.',
  request: { query: EventsQuerySchema, headers: EventsHeadersSchema },
  responses: {
    200: {
      description: 'The event stream.',
      content: { 'text/event-stream': { schema: z.string().openapi({ description: 'SSE; each `data` is an EventsReady or a ComposeEvent.' }), example: EVENT_STREAM_EXAMPLE } },
    },
    400: errorResponse('`compose_id` or the resume point is not a non-negative integer.', 'badEventsQuery'),
  },
});

const KEEPALIVE_MS = 15_000;

function nonNegativeInt(raw: string | undefined, what: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw.trim())) throw new BadRequestError(`${what} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return Number(raw.trim());
}

export function eventRoutes(deps: { config: AppConfig; settings: OdcsSettings; pool: pg.Pool; notifier?: EventNotifier }) {
  const app = createRouter();
  const parsedBy = { query: 'nonNegativeInt (above)', headers: 'nonNegativeInt (above)' };
  register(app, eventsRoute, async (c) => {
    const composeId = nonNegativeInt(c.req.query('compose_id'), 'compose_id');
    const resumeFrom = nonNegativeInt(c.req.header('last-event-id') ?? c.req.query('last_event_id'), 'Last-Event-ID');
    // Without a resume point a client gets what happens from now on.
    let cursor = resumeFrom ?? (await latestEventId(deps.pool));
    const toJson = (compose: Parameters<typeof composeToJson>[0]) =>
      composeToJson(compose, {
        targetDirUrl: deps.config.targetDirUrl,
        includeConfigDump: false,
        extraTargetDirNames: Object.keys(deps.settings.extra_target_dirs),
      });
    c.header('Access-Control-Allow-Origin', '*');
    return streamSSE(c, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ last_event_id: cursor }), id: String(cursor) });
      // A draining process (SIGTERM) ends its streams; the client resumes with Last-Event-ID elsewhere.
      while (open && !deps.notifier?.closed) {
        let batch;
        try {
          batch = await eventsAfter(deps.pool, cursor, { composeId });
        } catch {
          batch = null; // database away: keep the stream, try again
        }
        for (const e of batch ?? []) {
          await stream.writeSSE({
            id: String(e.id),
            event: 'state-changed',
            data: JSON.stringify({ event: 'state-changed', compose: toJson(e.compose) }),
          });
          cursor = e.id;
        }
        if (batch && batch.length === 500) continue;
        const pause = batch ? KEEPALIVE_MS : 2_000;
        const notified = deps.notifier ? await deps.notifier.wait(pause) : (await new Promise((r) => setTimeout(r, Math.min(pause, 1_000))), false);
        // A comment line keeps proxies from closing an idle stream.
        if (open && !notified && !deps.notifier?.closed) await stream.write(': keepalive\n\n');
      }
    });
  }, { parsedBy });
  return app;
}
