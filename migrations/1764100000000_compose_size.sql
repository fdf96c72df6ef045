-- Up Migration
-- Disk pressure: each compose's size on the compose root (from its generation), so the usage is
-- one cheap SUM, and why a compose was removed before its time.
ALTER TABLE composes ADD COLUMN size_bytes bigint NOT NULL DEFAULT 0;
ALTER TABLE composes ADD COLUMN removal_reason text;

-- Down Migration
ALTER TABLE composes DROP COLUMN removal_reason;
ALTER TABLE composes DROP COLUMN size_bytes;
