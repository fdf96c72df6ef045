-- Up Migration
-- One row per compose: the queryable record of ODCS's compose JSON (spec Part B section 2).
-- After creation only the compose's workflow changes `state` (through its activities).
CREATE TABLE composes (
  id                                 bigserial PRIMARY KEY,
  owner                              text        NOT NULL,
  source_type                        smallint    NOT NULL,
  source                             text        NOT NULL,
  state                              smallint    NOT NULL DEFAULT 0,
  state_reason                       text,
  time_to_expire                     timestamptz NOT NULL,
  time_submitted                     timestamptz NOT NULL DEFAULT now(),
  time_started                       timestamptz,
  time_done                          timestamptz,
  time_removed                       timestamptz,
  removed_by                         text,
  seconds_to_live                    integer     NOT NULL,
  packages                           text,
  builds                             text,
  flags                              integer     NOT NULL DEFAULT 0,
  results                            integer     NOT NULL DEFAULT 1,
  arches                             text        NOT NULL DEFAULT 'x86_64',
  sigkeys                            text        NOT NULL DEFAULT '',
  koji_event                         bigint,
  koji_task_id                       bigint,
  source_revision                    text,
  lookaside_repos                    text        NOT NULL DEFAULT '',
  multilib_arches                    text        NOT NULL DEFAULT '',
  multilib_method                    integer     NOT NULL DEFAULT 0,
  modular_koji_tags                  text,
  module_defaults_url                text,
  scratch_modules                    text,
  scratch_build_tasks                text,
  modules                            text,
  parent_pungi_compose_ids           text,
  respin_of                          text,
  label                              text,
  compose_type                       text        NOT NULL DEFAULT 'test',
  target_dir                         text        NOT NULL DEFAULT 'default',
  pungi_compose_id                   text,
  pungi_config_dump                  text,
  base_module_br_name                text,
  base_module_br_stream              text,
  base_module_br_stream_version_lte  bigint,
  base_module_br_stream_version_gte  bigint,
  reused_id                          bigint REFERENCES composes (id),
  CONSTRAINT composes_state_valid CHECK (state BETWEEN 0 AND 4)
);

-- Indexes for every list filter and order_by key of GET /api/1/composes/.
CREATE INDEX composes_owner_idx            ON composes (owner);
CREATE INDEX composes_source_type_idx      ON composes (source_type);
CREATE INDEX composes_source_idx           ON composes (source);
CREATE INDEX composes_state_idx            ON composes (state);
CREATE INDEX composes_koji_task_id_idx     ON composes (koji_task_id);
CREATE INDEX composes_pungi_compose_id_idx ON composes (pungi_compose_id);
CREATE INDEX composes_compose_type_idx     ON composes (compose_type);
CREATE INDEX composes_label_idx            ON composes (label);
CREATE INDEX composes_koji_event_idx       ON composes (koji_event);
CREATE INDEX composes_time_to_expire_idx   ON composes (time_to_expire);
CREATE INDEX composes_time_submitted_idx   ON composes (time_submitted);
CREATE INDEX composes_time_done_idx        ON composes (time_done);
CREATE INDEX composes_time_removed_idx     ON composes (time_removed);
CREATE INDEX composes_reused_id_idx        ON composes (reused_id);
-- Reuse candidates: same source type and source, in a reusable state.
CREATE INDEX composes_reuse_idx            ON composes (source_type, source, state) WHERE reused_id IS NULL;

-- Down Migration
DROP TABLE composes;
