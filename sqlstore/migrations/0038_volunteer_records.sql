-- Service-record rules (volunteer_record.go): a request's sign-in code,
-- shown by the person helped (set when it is claimed), and why a record
-- waits for staff confirmation (far from the building, over its window).
ALTER TABLE volunteer_requests ADD COLUMN sign_code TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer_requests ADD COLUMN held TEXT NOT NULL DEFAULT '';
-- Corrections move a confirmed service's minutes by the difference, as
-- often as staff correct it: only a service's credit and spend are
-- unique per request.
DROP INDEX timebank_txns_request;
CREATE UNIQUE INDEX timebank_txns_request ON timebank_txns (request_id, kind) WHERE request_id IS NOT NULL AND kind IN ('service', 'spend');
CREATE INDEX timebank_txns_request_any ON timebank_txns (request_id) WHERE request_id IS NOT NULL;
