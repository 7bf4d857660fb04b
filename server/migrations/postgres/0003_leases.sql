-- Leases: which instance does a job that must run on one instance at a time. The twin of
-- migrations/sqlite/0003_leases.sql.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
