-- EventSub: the subscriptions sev keeps, the messages it has seen, the events it stored, and the channels whose
-- streamers connected them.

-- One row per subscription sev wants, keyed by what it is (type, version, condition), so that two viewers
-- picking the same streamer share one set. `twitch_id` is NULL until Twitch has answered the create.
CREATE TABLE eventsub_subscriptions (
    row_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    twitch_id     TEXT UNIQUE,
    streamer_id   TEXT,
    kind          TEXT NOT NULL,
    version       TEXT NOT NULL,
    condition_key TEXT NOT NULL,
    condition     TEXT NOT NULL,
    status        TEXT NOT NULL,
    cost          INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (kind, version, condition_key)
);

CREATE INDEX eventsub_subscriptions_streamer ON eventsub_subscriptions (streamer_id);

-- Every message id seen recently, for durable deduplication shared by every instance. Messages older than ten
-- minutes are refused as replays, so ids older than that can be forgotten.
CREATE TABLE eventsub_messages (
    message_id  TEXT PRIMARY KEY NOT NULL,
    received_at INTEGER NOT NULL
);

CREATE INDEX eventsub_messages_received ON eventsub_messages (received_at);

-- Every accepted event. `id` is the feed's cursor. `dedupe_key` catches the same logical event sent twice under
-- different message ids (seen for stream.online/offline); NULLs never collide.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   TEXT NOT NULL UNIQUE,
    streamer_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    version      TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    dedupe_key   TEXT,
    payload      TEXT NOT NULL,
    UNIQUE (streamer_id, dedupe_key)
);

CREATE INDEX events_streamer ON events (streamer_id, id);

-- Streamers who granted sev the broadcaster scopes ("Connect your channel").
CREATE TABLE channel_connections (
    broadcaster_id TEXT PRIMARY KEY NOT NULL,
    scopes         TEXT NOT NULL,
    connected_at   INTEGER NOT NULL
);

-- When the last viewer stopped following a streamer: their subscriptions go after a grace period.
ALTER TABLE streamers ADD COLUMN unwatched_since INTEGER;
ALTER TABLE streamers ADD COLUMN is_live INTEGER NOT NULL DEFAULT 0;

-- What a sign-in is for: signing in, or connecting the viewer's own channel.
ALTER TABLE oauth_states ADD COLUMN purpose TEXT NOT NULL DEFAULT 'sign_in';
