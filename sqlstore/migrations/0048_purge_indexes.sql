-- Personal-data retention (PurgePersonalData). The hourly purge looks for
-- finished cases and security events that still hold personal data; each
-- index holds only those, so the purge reads what it will change rather
-- than every finished case (a full read of 10⁶ cases held the single writer
-- for seconds at every start). The predicates must read exactly as the
-- purge's queries do, or the planner cannot use them.
CREATE INDEX cases_unpurged ON cases (status, updated_at)
	WHERE status IN ('closed', 'rated', 'rejected', 'merged', 'cancelled')
	AND (reporter_name <> '' OR reporter_phone <> '' OR address <> '');
CREATE INDEX security_events_unpurged ON security_events (at) WHERE ip <> '';
