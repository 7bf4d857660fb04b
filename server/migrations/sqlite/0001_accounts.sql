-- Viewers, the streamers they pick, their sign-in sessions and the OAuth states of sign-ins under way.
-- Times are Unix seconds in INTEGER columns: the same on SQLite and PostgreSQL, and cheap to compare.

CREATE TABLE streamers (
    twitch_id         TEXT PRIMARY KEY NOT NULL,
    login             TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    profile_image_url TEXT NOT NULL,
    broadcaster_type  TEXT NOT NULL DEFAULT '',
    updated_at        INTEGER NOT NULL
);

CREATE TABLE users (
    twitch_id            TEXT PRIMARY KEY NOT NULL,
    login                TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    profile_image_url    TEXT NOT NULL,
    favorite_streamer_id TEXT REFERENCES streamers (twitch_id) ON DELETE SET NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE INDEX users_favorite ON users (favorite_streamer_id);

-- One row per signed-in browser. The cookie holds a random token; only its keyed hash is stored, so a copy of
-- the database cannot be turned into working cookies. Each session keeps its own Twitch tokens, so signing out
-- in one browser revokes only that browser's token.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (twitch_id) ON DELETE CASCADE,
    access_token  TEXT NOT NULL,
    refresh_token TEXT,
    scopes        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    validated_at  INTEGER NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_validated ON sessions (validated_at);

-- The `state` of each sign-in under way, keyed by its hash. A row is deleted when used: single use.
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Secrets sev generates for itself in demo mode (the session key, the EventSub secret), so that they survive a
-- restart without an operator having to set them.
CREATE TABLE instance_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
