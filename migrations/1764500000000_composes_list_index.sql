-- Up Migration
-- GET /api/1/composes/ filtered by owner and source type (what the Python client and dashboards
-- ask: "my tag composes"), newest first: the page is read from this index backwards and its total
-- counted from the index alone, instead of walking the primary key and filtering every row.
CREATE INDEX composes_owner_source_type_id_idx ON composes (owner, source_type, id);

-- Down Migration
DROP INDEX composes_owner_source_type_id_idx;
