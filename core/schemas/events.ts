// GET /api/1/events: the server-sent events of the outbox.
import { z } from '@hono/zod-openapi';
import { COMPOSE_EXAMPLES, ComposeSchema } from './compose.js';

export const ComposeEventSchema = z
  .strictObject({
    event: z.literal('state-changed'),
    compose: ComposeSchema,
  })
  .openapi('ComposeEvent', {
    description:
      'The `data` of each `state-changed` event (also the message published on topic `odcs.compose.state-changed`). The SSE `id` is the outbox id: resume with `Last-Event-ID`.',
    example: { event: 'state-changed', compose: COMPOSE_EXAMPLES.tagDone },
  });

export const EventsReadySchema = z
  .strictObject({ last_event_id: z.int().min(0) })
  .openapi('EventsReady', {
    description: 'The `data` of the first event, `ready`: the outbox position the stream starts after.',
    example: { last_event_id: 41 },
  });

export const EventsQuerySchema = z.object({
  compose_id: z.int().min(0).optional().openapi({ description: 'Only the events of this compose.', example: 1 }),
  last_event_id: z
    .int()
    .min(0)
    .optional()
    .openapi({ description: 'Resume after this event id (for clients that cannot send the `Last-Event-ID` header); default: from now on.' }),
});

export const EventsHeadersSchema = z.object({
  'last-event-id': z.string().regex(/^\d+$/).optional().openapi({ description: 'Resume after this event id (sent by EventSource on reconnect).', example: '41' }),
});

/** The event stream as it is written (what EventSource receives), for the docs. */
export const EVENT_STREAM_EXAMPLE = [
  'id: 41',
  'event: ready',
  'data: {"last_event_id":41}',
  '',
  'id: 42',
  'event: state-changed',
  `data: ${JSON.stringify({ event: 'state-changed', compose: COMPOSE_EXAMPLES.tagWait })}`,
  '',
  ': keepalive',
  '',
].join('\n');

