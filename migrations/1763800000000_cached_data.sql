-- Up Migration
-- The provider caches (spec oraculum.md Part A). One row per (provider, arg):
-- - global providers: a meta row (arg '') whose time_created says when the provider was last
--   confirmed current, plus one row per entity (package, user, group) for map-shaped data;
-- - package providers: one row per package; data stays NULL until the first successful fetch.
-- A failed refresh never touches data: it records last_error and time_failed.
CREATE TABLE cached_data (
  provider        text        NOT NULL,
  arg             text        NOT NULL DEFAULT '',
  data            jsonb,
  -- When the data was last confirmed current (fetched, or the upstream answered 304).
  time_created    timestamptz,
  -- When the data last changed.
  time_changed    timestamptz,
  -- Conditional requests: {url: {"etag", "last_modified", "status"}} of the last full fetch.
  validators      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  -- Last time a reader asked for this key (package providers: background refresh and GC).
  time_requested  timestamptz,
  -- Last time a reader queued a refresh of this key (throttles re-polling clients).
  time_queued     timestamptz,
  last_error      text,
  time_failed     timestamptz,
  PRIMARY KEY (provider, arg)
);

-- The package sweep and the garbage collector look rows up by provider and request time.
CREATE INDEX cached_data_requested_idx ON cached_data (provider, time_requested);

-- Down Migration
DROP TABLE cached_data;
