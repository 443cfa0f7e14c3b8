-- A version per user of what a session's request is decided on: the user's
-- name, phone, kind, password and grants, and the user's sessions. Triggers
-- move it on every such change, whoever writes it — this server, another
-- instance, a command run beside it — so the in-process session cache
-- (sqlstore/sessioncache.go) can check one small row instead of reading the
-- session, the user and the grants on every request, and a revoked grant,
-- a changed password or a logout still takes effect on the next request.
-- A session's seen-time and a user's count of failed logins do not move it.
CREATE TABLE auth_versions (
    user_id BIGINT PRIMARY KEY,
    n       BIGINT NOT NULL
);
-- dialect: sqlite
CREATE TRIGGER auth_grant_added AFTER INSERT ON role_grants BEGIN
    INSERT INTO auth_versions (user_id, n) VALUES (NEW.user_id, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_grant_changed AFTER UPDATE ON role_grants BEGIN
    INSERT INTO auth_versions (user_id, n) VALUES (OLD.user_id, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
    INSERT INTO auth_versions (user_id, n) VALUES (NEW.user_id, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_grant_removed AFTER DELETE ON role_grants BEGIN
    INSERT INTO auth_versions (user_id, n) VALUES (OLD.user_id, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_session_changed AFTER UPDATE OF secret_hash, user_id, csrf_token, via, expires_at ON sessions BEGIN
    INSERT INTO auth_versions (user_id, n) VALUES (OLD.user_id, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_session_ended AFTER DELETE ON sessions BEGIN
    INSERT INTO auth_versions (user_id, n) VALUES (OLD.user_id, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_user_changed AFTER UPDATE OF name, phone, kind, password_hash, must_change_password ON users BEGIN
    INSERT INTO auth_versions (user_id, n) VALUES (OLD.id, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER auth_user_removed AFTER DELETE ON users BEGIN
    INSERT INTO auth_versions (user_id, n) VALUES (OLD.id, 1) ON CONFLICT (user_id) DO UPDATE SET n = n + 1;
END;
-- dialect: postgres
CREATE FUNCTION auth_version_bump(uid BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO auth_versions (user_id, n) VALUES (uid, 1) ON CONFLICT (user_id) DO UPDATE SET n = auth_versions.n + 1
$$;
CREATE FUNCTION auth_version_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        PERFORM auth_version_bump(OLD.id);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM auth_version_bump(NEW.user_id);
    ELSE
        PERFORM auth_version_bump(OLD.user_id);
        IF TG_OP = 'UPDATE' AND NEW.user_id <> OLD.user_id THEN
            PERFORM auth_version_bump(NEW.user_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER auth_grant_changed AFTER INSERT OR UPDATE OR DELETE ON role_grants FOR EACH ROW EXECUTE FUNCTION auth_version_row();
CREATE TRIGGER auth_session_changed AFTER UPDATE OF secret_hash, user_id, csrf_token, via, expires_at OR DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION auth_version_row();
CREATE TRIGGER auth_user_changed AFTER UPDATE OF name, phone, kind, password_hash, must_change_password OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION auth_version_row();
