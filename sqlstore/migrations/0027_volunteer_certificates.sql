-- Certificates of volunteer service hours (volunteer.go): issued by the
-- community that recorded the service, checked by their code on a public
-- page. One per person, community, period and minutes: asking again
-- returns the same certificate.
CREATE TABLE volunteer_certificates (
    id          @ID_PK@,
    code        TEXT NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    community   TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    period_from BIGINT NOT NULL,
    period_to   BIGINT NOT NULL,
    minutes     INTEGER NOT NULL,
    services    INTEGER NOT NULL,
    stars       INTEGER NOT NULL,
    issued_at   BIGINT NOT NULL,
    UNIQUE (user_id, community, period_from, period_to, minutes)
);
