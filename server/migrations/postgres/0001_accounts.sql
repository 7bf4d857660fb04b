-- Viewers, the streamers they pick, their sign-in sessions and the OAuth states of sign-ins under way.
-- The PostgreSQL twin of migrations/sqlite/0001_accounts.sql: the same tables and columns, with BIGINT where
-- SQLite's INTEGER is 64-bit. Times are Unix seconds.

CREATE TABLE streamers (
    twitch_id         TEXT PRIMARY KEY,
    login             TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    profile_image_url TEXT NOT NULL,
    broadcaster_type  TEXT NOT NULL DEFAULT '',
    updated_at        BIGINT NOT NULL
);

CREATE TABLE users (
    twitch_id            TEXT PRIMARY KEY,
    login                TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    profile_image_url    TEXT NOT NULL,
    favorite_streamer_id TEXT REFERENCES streamers (twitch_id) ON DELETE SET NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE INDEX users_favorite ON users (favorite_streamer_id);

-- One row per signed-in browser; only the keyed hash of the cookie's token is stored.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (twitch_id) ON DELETE CASCADE,
    access_token  TEXT NOT NULL,
    refresh_token TEXT,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    validated_at  BIGINT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_validated ON sessions (validated_at);

-- The `state` of each sign-in under way, keyed by its hash; deleted when used.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Secrets sev generates for itself in demo mode, shared by every instance.
CREATE TABLE instance_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
