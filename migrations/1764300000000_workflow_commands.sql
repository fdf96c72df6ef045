-- Up Migration
-- What compose workflows must be told, committed in the same transaction as the change that
-- causes it (POST: start; PATCH: the new expiry; DELETE: cancel or expire now; a generated compose
-- finished: the composes reusing it follow it). The starter in the
-- worker process delivers each command to Temporal (start, signal), in id order per compose, and
-- marks it done; nothing is lost while Temporal is away, and a command delivered twice is harmless
-- (fixed workflow ids, idempotent signals). A start is done only when the workflow has taken it
-- (its first activity marks it): until then it is delivered again every minute, so a start that
-- Temporal acknowledged and then lost (a killed server) is not lost.
CREATE TABLE workflow_commands (
  id          bigserial   PRIMARY KEY,
  compose_id  bigint      NOT NULL,
  kind        text        NOT NULL CHECK (kind IN ('start', 'expiry', 'cancel', 'follow')),
  payload     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- Not to be delivered before: backoff after a failed delivery, or the next try of a start
  -- delivered but not yet taken by its workflow.
  not_before  timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  attempts    integer     NOT NULL DEFAULT 0,
  last_error  text,
  done_at     timestamptz
);
CREATE INDEX workflow_commands_pending_idx ON workflow_commands (id) WHERE done_at IS NULL;
CREATE INDEX workflow_commands_done_idx ON workflow_commands (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX workflow_commands_start_idx ON workflow_commands (compose_id) WHERE done_at IS NULL AND kind = 'start';

CREATE FUNCTION workflow_commands_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Delivered at COMMIT: wakes the starters at once; they also poll, so a lost notify only delays.
  PERFORM pg_notify('workflow_commands', '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER workflow_commands_wake AFTER INSERT ON workflow_commands
  FOR EACH STATEMENT EXECUTE FUNCTION workflow_commands_wake();

-- Down Migration
DROP TRIGGER workflow_commands_wake ON workflow_commands;
DROP FUNCTION workflow_commands_wake();
DROP TABLE workflow_commands;
