-- Care visits (care.go): the care registry with its consent, each entry's
-- visit plan (the current slot on the entry, so firing due visits is one
-- indexed range), the visitors, the visits (one per slot: the unique key)
-- and the slots that ended, anonymous, for the coverage rate and the
-- missed-visit notifications.
CREATE TABLE care_entries (
    id               @ID_PK@,
    building         TEXT NOT NULL,
    name             TEXT NOT NULL,
    phone            TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    kinds            TEXT NOT NULL,
    risk             TEXT NOT NULL,
    frequency_days   INTEGER NOT NULL,
    consent_by       TEXT NOT NULL,
    consent_guardian TEXT NOT NULL DEFAULT '',
    consent_relation TEXT NOT NULL DEFAULT '',
    consent_scope    TEXT NOT NULL,
    consent_purpose  TEXT NOT NULL,
    consent_at       BIGINT NOT NULL,
    status           TEXT NOT NULL,
    slot_start       BIGINT NOT NULL,
    due_at           BIGINT NOT NULL,
    visited          INTEGER NOT NULL DEFAULT 0,
    missed_since     BIGINT NOT NULL DEFAULT 0,
    missed           INTEGER NOT NULL DEFAULT 0,
    registered_by    BIGINT NOT NULL REFERENCES users (id),
    registrar        TEXT NOT NULL,
    ended_at         BIGINT NOT NULL DEFAULT 0,
    end_reason       TEXT NOT NULL DEFAULT '',
    purge_after      BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);
CREATE INDEX care_entries_due ON care_entries (status, due_at);
CREATE INDEX care_entries_purge ON care_entries (status, purge_after);
CREATE INDEX care_entries_building ON care_entries (building, id);

CREATE TABLE care_visitors (
    entry_id BIGINT NOT NULL REFERENCES care_entries (id),
    user_id  BIGINT NOT NULL REFERENCES users (id),
    label    TEXT NOT NULL,
    role     TEXT NOT NULL,
    PRIMARY KEY (entry_id, user_id)
);
CREATE INDEX care_visitors_user ON care_visitors (user_id, entry_id);

CREATE TABLE care_visits (
    id         @ID_PK@,
    entry_id   BIGINT NOT NULL REFERENCES care_entries (id),
    slot_due   BIGINT NOT NULL,
    visitor_id BIGINT NOT NULL REFERENCES users (id),
    visitor    TEXT NOT NULL,
    mode       TEXT NOT NULL,
    state      TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL,
    lat        DOUBLE PRECISION NOT NULL DEFAULT 0,
    lng        DOUBLE PRECISION NOT NULL DEFAULT 0,
    photo      TEXT NOT NULL DEFAULT '',
    case_id    BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (entry_id, slot_due)
);
CREATE INDEX care_visits_case ON care_visits (case_id);

CREATE TABLE care_slots (
    id       @ID_PK@,
    entry_id BIGINT NOT NULL REFERENCES care_entries (id),
    building TEXT NOT NULL,
    due      BIGINT NOT NULL,
    visited  INTEGER NOT NULL,
    UNIQUE (entry_id, due)
);
CREATE INDEX care_slots_missed ON care_slots (visited, id);
CREATE INDEX care_slots_area ON care_slots (building, due);
