-- Up Migration
-- The Packager Dashboard's visit tracking and service messages (spec oraculum.md Part B sections 1-3).
-- dashboard_visits: one row per user, group or package somebody asked the dashboard about. The
-- package sweep keeps warm the packages of those seen within CACHE_VISIT_DAYS, and the garbage
-- collector keeps their rows for CACHE_GC_DAYS.
CREATE TABLE dashboard_visits (
  kind        text        NOT NULL CHECK (kind IN ('user', 'group', 'package')),
  name        text        NOT NULL,
  first_visit timestamptz NOT NULL DEFAULT now(),
  last_visit  timestamptz NOT NULL DEFAULT now(),
  visits      bigint      NOT NULL DEFAULT 1,
  PRIMARY KEY (kind, name)
);
CREATE INDEX dashboard_visits_last_idx ON dashboard_visits (last_visit);

-- Messages of the day shown on the dashboard (POST is protected by MOTD_PASSWORD).
CREATE TABLE service_messages (
  id           bigserial   PRIMARY KEY,
  severity     text        NOT NULL,
  text         text        NOT NULL,
  time_created timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE service_messages;
DROP TABLE dashboard_visits;
