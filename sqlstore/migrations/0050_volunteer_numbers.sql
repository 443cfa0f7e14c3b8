-- Service-record fields of MCA order No. 67 (volunteer_profile.go): the
-- volunteer's ID number (checked, shown masked), the volunteer number
-- given at the first approval (the community's code and a serial, unique),
-- and both as fixed on a certificate when issued.
ALTER TABLE volunteer_profiles ADD COLUMN id_number TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer_profiles ADD COLUMN volunteer_no TEXT;
CREATE UNIQUE INDEX volunteer_profiles_no ON volunteer_profiles (volunteer_no);
-- One registration per person: an ID number registered once.
CREATE UNIQUE INDEX volunteer_profiles_id_number ON volunteer_profiles (id_number) WHERE id_number <> '';

-- The last serial given in each community; an approval takes the next
-- under the row's lock (INSERT … ON CONFLICT DO UPDATE … RETURNING).
CREATE TABLE volunteer_numbers (
    community TEXT PRIMARY KEY,
    last      BIGINT NOT NULL
);

-- Volunteers approved before get their numbers in the order they were
-- decided (then registered, then by account).
-- dialect: sqlite
UPDATE volunteer_profiles SET volunteer_no = community || '-' || substr('000000' || (
    SELECT COUNT(*) FROM volunteer_profiles p WHERE p.community = volunteer_profiles.community AND p.status = 'approved'
      AND (COALESCE(p.decided_at, 0), p.created_at, p.user_id) <= (COALESCE(volunteer_profiles.decided_at, 0), volunteer_profiles.created_at, volunteer_profiles.user_id)), -6)
    WHERE status = 'approved';
-- dialect: postgres
UPDATE volunteer_profiles SET volunteer_no = community || '-' || lpad((
    SELECT COUNT(*) FROM volunteer_profiles p WHERE p.community = volunteer_profiles.community AND p.status = 'approved'
      AND (COALESCE(p.decided_at, 0), p.created_at, p.user_id) <= (COALESCE(volunteer_profiles.decided_at, 0), volunteer_profiles.created_at, volunteer_profiles.user_id))::text, 6, '0')
    WHERE status = 'approved';
-- dialect: all
INSERT INTO volunteer_numbers (community, last)
    SELECT community, COUNT(*) FROM volunteer_profiles WHERE volunteer_no IS NOT NULL GROUP BY community;

ALTER TABLE volunteer_certificates ADD COLUMN volunteer_no TEXT NOT NULL DEFAULT '';
ALTER TABLE volunteer_certificates ADD COLUMN id_masked TEXT NOT NULL DEFAULT '';

-- Webhooks hear of volunteer requests (webhook.go): each hook walks the
-- requests' log with a cursor of its own, from its end now (no history);
-- a delivery names its source, and the uniqueness of a hook's deliveries
-- is per source and event.
ALTER TABLE webhooks ADD COLUMN help_cursor BIGINT NOT NULL DEFAULT 0;
UPDATE webhooks SET help_cursor = (SELECT COALESCE(MAX(id), 0) FROM volunteer_events);
ALTER TABLE webhook_deliveries ADD COLUMN source TEXT NOT NULL DEFAULT 'case';
DROP INDEX webhook_deliveries_event;
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, source, event_id);

-- Matching (volunteer_profile.go): a volunteer's open list shows requests
-- in the areas they serve, and outside them only when they opt in.
ALTER TABLE volunteer_profiles ADD COLUMN outside_areas BOOLEAN NOT NULL DEFAULT FALSE;
