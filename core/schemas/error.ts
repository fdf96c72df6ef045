// The error body of every answer that is not a success (spec Part B §1), and examples of it.
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .strictObject({
    status: z.int().min(400).max(599).openapi({ description: 'The HTTP status again.' }),
    error: z.string().openapi({ description: 'The reason phrase, e.g. `Bad Request`.' }),
    message: z.string().openapi({ description: 'What went wrong (ODCS\'s own texts).' }),
  })
  .openapi('Error', {
    description: 'The body of every error.',
    example: { status: 404, error: 'Not Found', message: 'No such compose found.' },
  });

export type ErrorJsonBody = z.infer<typeof ErrorSchema>;

const err = (status: number, error: string, message: string): ErrorJsonBody => ({ status, error, message });

/** Error bodies the API really sends (unit tests reproduce each message from the code that emits it). */
export const ERROR_EXAMPLES = {
  notFound: err(404, 'Not Found', 'No such compose found.'),
  renewNotFound: err(404, 'Not Found', 'No compose with id 1 found'),
  badOrderBy: err(
    400,
    'Bad Request',
    "An invalid order_by key was suplied, allowed keys are: ['id', 'owner', 'source_Type', 'koji_event', 'state', 'time_to_expire', 'time_submitted', 'time_done', 'time_removed']",
  ),
  badState: err(400, 'Bad Request', "Invalid state 'finished'."),
  noBody: err(400, 'Bad Request', 'No JSON POST data submitted'),
  missingType: err(400, 'Bad Request', "Missing type in source configuration, received: {'source': 'demo'}"),
  unknownFlag: err(400, 'Bad Request', "('Unknown flag %s', 'fast')"),
  badJson: err(400, 'Bad Request', 'Failed to decode JSON object: Unexpected end of JSON input'),
  forbiddenSourceType: err(403, 'Forbidden', 'User unknown not allowed to operate with compose with source_types=module.'),
  deleteNotRemovable: err(400, 'Bad Request', "Compose (id=1) can not be removed, its state need to be in ['done', 'failed']."),
  tooLarge: err(413, 'Payload Too Large', 'Request body is larger than 1048576 bytes.'),
  badEventsQuery: err(400, 'Bad Request', 'compose_id must be a non-negative integer, got "abc"'),
  databaseDown: err(503, 'Service Unavailable', 'The database is unavailable, try again later.'),
  temporalDown: err(503, 'Service Unavailable', 'The workflow service (Temporal) is unavailable, try again later.'),
  fileNotFound: err(404, 'Not Found', 'The requested URL /composes/odcs-9/compose/Temporary/odcs-9.repo was not found on the server.'),
};

