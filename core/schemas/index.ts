// The wire schemas of the REST API (zod, with OpenAPI metadata), one module per resource. Routes
// (api/*.routes.ts) document and, where zod can keep ODCS's answers, validate with them.
import { ComposeDetailSchema, ComposeSchema } from './compose.js';
import { ErrorSchema } from './error.js';
import { ComposeEventSchema, EventsReadySchema } from './events.js';
import { ComposeListSchema, PageMetaSchema } from './list.js';
import { ComposeRequestSchema, ComposeSourceSchema, DeleteResponseSchema, RenewRequestSchema } from './requests.js';
import { AboutSchema, CheckSchema, ClientPermissionsSchema, HealthSchema, NotReadySchema, ReadyDetailsSchema, ReadySchema } from './server.js';

export * from './compose.js';
export * from './error.js';
export * from './events.js';
export * from './list.js';
export * from './requests.js';
export * from './server.js';

/** Every named schema of the document, by component name. */
export const NAMED_SCHEMAS = {
  Compose: ComposeSchema,
  ComposeDetail: ComposeDetailSchema,
  ComposeList: ComposeListSchema,
  PageMeta: PageMetaSchema,
  ComposeRequest: ComposeRequestSchema,
  ComposeSource: ComposeSourceSchema,
  RenewRequest: RenewRequestSchema,
  DeleteAccepted: DeleteResponseSchema,
  Error: ErrorSchema,
  About: AboutSchema,
  ClientPermissions: ClientPermissionsSchema,
  Health: HealthSchema,
  Ready: ReadySchema,
  ReadyDetails: ReadyDetailsSchema,
  NotReady: NotReadySchema,
  DependencyCheck: CheckSchema,
  ComposeEvent: ComposeEventSchema,
  EventsReady: EventsReadySchema,
} as const;
