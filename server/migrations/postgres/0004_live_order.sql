-- When the live state last changed: the event time (Unix ms) of the stream.online or stream.offline that set
-- `is_live`. Twitch may deliver an offline before its online; the later event in time wins, whatever the arrival.
ALTER TABLE streamers ADD COLUMN live_changed_at BIGINT NOT NULL DEFAULT 0;
