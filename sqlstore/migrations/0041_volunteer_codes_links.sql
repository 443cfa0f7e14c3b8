-- Sign-in code lock-out (volunteer_record.go): every wrong code a volunteer
-- types for a request, counted in the store so that every instance agrees
-- and a restart forgets nothing; sign_code_at is when the request's code
-- was issued (a claim, or staff's new code): wrong codes before it no
-- longer count.
CREATE TABLE volunteer_code_attempts (
    id         @ID_PK@,
    request_id BIGINT NOT NULL REFERENCES volunteer_requests (id),
    code_gen   BIGINT NOT NULL,
    actor_id   BIGINT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX volunteer_code_attempts_request ON volunteer_code_attempts (request_id, code_gen, at);
ALTER TABLE volunteer_requests ADD COLUMN sign_code_gen BIGINT NOT NULL DEFAULT 0;
-- Links between cases and requests (volunteer.go): the case a request was
-- made from, or the case it was turned into. The case's own tables are
-- casework's; the link is kept here and read through the services.
ALTER TABLE volunteer_requests ADD COLUMN case_id BIGINT;
CREATE INDEX volunteer_requests_case ON volunteer_requests (case_id) WHERE case_id IS NOT NULL;
