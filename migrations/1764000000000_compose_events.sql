-- Up Migration
-- The message outbox: one row per compose creation and per state change, written by a trigger in
-- the same transaction as the change itself, so no change can go unannounced. Delivered at least
-- once, in id order (hence in order per compose), to the events stream and to the AMQP broker.
CREATE TABLE compose_events (
  id            bigserial   PRIMARY KEY,
  compose_id    bigint      NOT NULL,
  state         smallint    NOT NULL,
  -- The compose row as it was right after the change; turned into ODCS's compose JSON on delivery.
  snapshot      jsonb       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz
);
CREATE INDEX compose_events_unpublished_idx ON compose_events (id) WHERE published_at IS NULL;
CREATE INDEX compose_events_compose_idx ON compose_events (compose_id, id);

CREATE FUNCTION composes_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.state IS DISTINCT FROM OLD.state THEN
    INSERT INTO compose_events (compose_id, state, snapshot) VALUES (NEW.id, NEW.state, to_jsonb(NEW));
    -- Wakes the events streams and the relay at once; they also poll, so a lost notify only delays.
    PERFORM pg_notify('compose_events', NEW.id::text);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER composes_announce AFTER INSERT OR UPDATE ON composes
  FOR EACH ROW EXECUTE FUNCTION composes_announce();

-- Down Migration
DROP TRIGGER composes_announce ON composes;
DROP FUNCTION composes_announce();
DROP TABLE compose_events;
