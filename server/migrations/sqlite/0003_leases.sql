-- Leases: which instance does a job that must run on one instance at a time (reconciling subscriptions with
-- Twitch). A lease is held until `expires_at`; its holder renews it, and another instance takes it once expired.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
