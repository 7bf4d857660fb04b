use app::events::{Event, FeedEvent};

use super::{Db, StorageError};

/// An event ready to store.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub message_id: &'a str,
    pub streamer_id: &'a str,
    pub kind: &'a str,
    pub version: &'a str,
    pub occurred_at_ms: i64,
    pub received_at_ms: i64,
    pub dedupe_key: Option<String>,
    pub payload: &'a str,
}

struct EventRow {
    id: i64,
    streamer_id: String,
    kind: String,
    version: String,
    occurred_at: i64,
    payload: String,
}

impl From<EventRow> for FeedEvent {
    fn from(r: EventRow) -> Self {
        let payload = serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null);
        FeedEvent {
            id: r.id,
            event: Event::parse(&r.kind, &r.version, &payload),
            streamer_id: r.streamer_id,
            subscription_type: r.kind,
            version: r.version,
            occurred_at_ms: r.occurred_at,
        }
    }
}

impl Db {
    /// Remembers a message id; false if it was seen before (a resend or a replay). The primary key makes this
    /// hold across every instance sharing the database.
    pub async fn first_sighting(&self, message_id: &str, now: i64) -> Result<bool, StorageError> {
        let inserted = per_db!(self, |p|
            sqlite: sqlx::query!(
                "INSERT INTO eventsub_messages (message_id, received_at) VALUES (?, ?) ON CONFLICT (message_id) DO NOTHING",
                message_id,
                now
            )
            .execute(p)
            .await?
            .rows_affected(),
            postgres: sqlx::query!(
                "INSERT INTO eventsub_messages (message_id, received_at) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING",
                message_id,
                now
            )
            .execute(p)
            .await?
            .rows_affected(),
        );
        Ok(inserted == 1)
    }

    /// Forgets one message id, so that a resend of a message whose handling failed is handled.
    pub async fn forget_message(&self, message_id: &str) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM eventsub_messages WHERE message_id = ?", message_id)
                .execute(p)
                .await
                .map(drop)?,
            postgres: sqlx::query!("DELETE FROM eventsub_messages WHERE message_id = $1", message_id)
                .execute(p)
                .await
                .map(drop)?,
        );
        Ok(())
    }

    /// Forgets message ids seen before `before`.
    pub async fn purge_messages(&self, before: i64) -> Result<u64, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query!("DELETE FROM eventsub_messages WHERE received_at < ?", before)
                .execute(p)
                .await?
                .rows_affected(),
            postgres: sqlx::query!("DELETE FROM eventsub_messages WHERE received_at < $1", before)
                .execute(p)
                .await?
                .rows_affected(),
        ))
    }

    /// Stores an event and returns its id; `None` if it duplicates one already stored (same message, or same
    /// dedupe key). Keeps at most `keep` events per streamer, dropping the oldest.
    ///
    /// On PostgreSQL the transaction first takes a lock on the streamer (an advisory lock, released at commit), so
    /// one streamer's events are numbered in the order they commit, whichever instance stores them: a page that
    /// resumes after its last id can then never skip an event committed late under a lower id. SQLite has one
    /// writer at a time, which gives the same order.
    pub async fn insert_event(&self, e: &NewEvent<'_>, keep: i64) -> Result<Option<i64>, StorageError> {
        per_db!(self, |p|
            sqlite: {
                let mut tx = p.begin().await?;
                let id = sqlx::query_scalar!(
                    "INSERT INTO events (message_id, streamer_id, kind, version, occurred_at, received_at, dedupe_key, payload)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT DO NOTHING
                     RETURNING id",
                    e.message_id,
                    e.streamer_id,
                    e.kind,
                    e.version,
                    e.occurred_at_ms,
                    e.received_at_ms,
                    e.dedupe_key,
                    e.payload
                )
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else { return Ok(None) };
                sqlx::query!(
                    "DELETE FROM events WHERE streamer_id = ? AND id <= (
                         SELECT id FROM events WHERE streamer_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    e.streamer_id,
                    e.streamer_id,
                    keep
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(id))
            },
            postgres: {
                let mut tx = p.begin().await?;
                sqlx::query!(
                    "SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended('sev.events:' || $1::text, 0))",
                    e.streamer_id
                )
                .fetch_one(&mut *tx)
                .await?;
                let id = sqlx::query_scalar!(
                    "INSERT INTO events (message_id, streamer_id, kind, version, occurred_at, received_at, dedupe_key, payload)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT DO NOTHING
                     RETURNING id",
                    e.message_id,
                    e.streamer_id,
                    e.kind,
                    e.version,
                    e.occurred_at_ms,
                    e.received_at_ms,
                    e.dedupe_key,
                    e.payload
                )
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else { return Ok(None) };
                sqlx::query!(
                    "DELETE FROM events WHERE streamer_id = $1 AND id <= (
                         SELECT id FROM events WHERE streamer_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
                    e.streamer_id,
                    keep
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(id))
            },
        )
    }

    /// The newest `limit` events of a streamer, newest first.
    pub async fn recent_events(&self, streamer_id: &str, limit: i64) -> Result<Vec<FeedEvent>, StorageError> {
        let rows = per_db!(self, |p|
            sqlite: sqlx::query_as!(
                EventRow,
                "SELECT id AS \"id!\", streamer_id, kind, version, occurred_at, payload FROM events
                 WHERE streamer_id = ? ORDER BY id DESC LIMIT ?",
                streamer_id,
                limit
            )
            .fetch_all(p)
            .await?,
            postgres: sqlx::query_as!(
                EventRow,
                "SELECT id, streamer_id, kind, version, occurred_at, payload FROM events
                 WHERE streamer_id = $1 ORDER BY id DESC LIMIT $2",
                streamer_id,
                limit
            )
            .fetch_all(p)
            .await?,
        );
        Ok(rows.into_iter().map(FeedEvent::from).collect())
    }

    /// Events of a streamer stored after `after_id`, oldest first, at most `limit`: what a reconnecting page missed.
    pub async fn events_after(
        &self,
        streamer_id: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, StorageError> {
        let rows = per_db!(self, |p|
            sqlite: sqlx::query_as!(
                EventRow,
                "SELECT id AS \"id!\", streamer_id, kind, version, occurred_at, payload FROM events
                 WHERE streamer_id = ? AND id > ? ORDER BY id LIMIT ?",
                streamer_id,
                after_id,
                limit
            )
            .fetch_all(p)
            .await?,
            postgres: sqlx::query_as!(
                EventRow,
                "SELECT id, streamer_id, kind, version, occurred_at, payload FROM events
                 WHERE streamer_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                streamer_id,
                after_id,
                limit
            )
            .fetch_all(p)
            .await?,
        );
        Ok(rows.into_iter().map(FeedEvent::from).collect())
    }

    /// The id of the streamer's latest `stream.online` event, for telling a repeated `stream.offline` apart.
    pub async fn last_online_event(&self, streamer_id: &str) -> Result<Option<i64>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_scalar!(
                "SELECT MAX(id) AS \"id: i64\" FROM events WHERE streamer_id = ? AND kind = 'stream.online'",
                streamer_id
            )
            .fetch_one(p)
            .await?,
            postgres: sqlx::query_scalar!(
                "SELECT MAX(id) AS \"id: i64\" FROM events WHERE streamer_id = $1 AND kind = 'stream.online'",
                streamer_id
            )
            .fetch_one(p)
            .await?,
        ))
    }

    /// Whether a streamer is live, as the last stream.online/offline said.
    pub async fn is_live(&self, streamer_id: &str) -> Result<bool, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_scalar!("SELECT is_live FROM streamers WHERE twitch_id = ?", streamer_id)
                .fetch_optional(p)
                .await?
                .is_some_and(|live| live != 0),
            postgres: sqlx::query_scalar!("SELECT is_live FROM streamers WHERE twitch_id = $1", streamer_id)
                .fetch_optional(p)
                .await?
                .unwrap_or(false),
        ))
    }

    /// Records whether a streamer is live.
    pub async fn set_live(&self, streamer_id: &str, live: bool) -> Result<(), StorageError> {
        per_db!(self, |p|
            sqlite: sqlx::query!("UPDATE streamers SET is_live = ? WHERE twitch_id = ?", live, streamer_id)
                .execute(p)
                .await
                .map(drop)?,
            postgres: sqlx::query!("UPDATE streamers SET is_live = $1 WHERE twitch_id = $2", live, streamer_id)
                .execute(p)
                .await
                .map(drop)?,
        );
        Ok(())
    }
}
