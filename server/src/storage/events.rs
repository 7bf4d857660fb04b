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
    /// Remembers a message id; false if it was seen before (a resend or a replay).
    pub async fn first_sighting(&self, message_id: &str, now: i64) -> Result<bool, StorageError> {
        let done = sqlx::query!(
            "INSERT INTO eventsub_messages (message_id, received_at) VALUES (?, ?) ON CONFLICT (message_id) DO NOTHING",
            message_id,
            now
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets message ids seen before `before`.
    pub async fn purge_messages(&self, before: i64) -> Result<u64, StorageError> {
        let done =
            sqlx::query!("DELETE FROM eventsub_messages WHERE received_at < ?", before).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    /// Stores an event and returns its id; `None` if it duplicates one already stored (same message, or same
    /// dedupe key). Keeps at most `keep` events per streamer, dropping the oldest.
    pub async fn insert_event(&self, e: &NewEvent<'_>, keep: i64) -> Result<Option<i64>, StorageError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query!(
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
        let Some(row) = row else { return Ok(None) };
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
        Ok(Some(row.id))
    }

    /// The newest `limit` events of a streamer, newest first.
    pub async fn recent_events(&self, streamer_id: &str, limit: i64) -> Result<Vec<FeedEvent>, StorageError> {
        let rows = sqlx::query_as!(
            EventRow,
            "SELECT id AS \"id!\", streamer_id, kind, version, occurred_at, payload FROM events
             WHERE streamer_id = ? ORDER BY id DESC LIMIT ?",
            streamer_id,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(FeedEvent::from).collect())
    }

    /// Events of a streamer stored after `after_id`, oldest first, at most `limit`: what a reconnecting page missed.
    pub async fn events_after(
        &self,
        streamer_id: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<FeedEvent>, StorageError> {
        let rows = sqlx::query_as!(
            EventRow,
            "SELECT id AS \"id!\", streamer_id, kind, version, occurred_at, payload FROM events
             WHERE streamer_id = ? AND id > ? ORDER BY id LIMIT ?",
            streamer_id,
            after_id,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(FeedEvent::from).collect())
    }

    /// The id of the streamer's latest `stream.online` event, for telling a repeated `stream.offline` apart.
    pub async fn last_online_event(&self, streamer_id: &str) -> Result<Option<i64>, StorageError> {
        let row = sqlx::query!(
            "SELECT MAX(id) AS \"id: i64\" FROM events WHERE streamer_id = ? AND kind = 'stream.online'",
            streamer_id
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.id)
    }

    /// Whether a streamer is live, as the last stream.online/offline said.
    pub async fn is_live(&self, streamer_id: &str) -> Result<bool, StorageError> {
        let row = sqlx::query!("SELECT is_live FROM streamers WHERE twitch_id = ?", streamer_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some_and(|r| r.is_live != 0))
    }

    /// Records whether a streamer is live.
    pub async fn set_live(&self, streamer_id: &str, live: bool) -> Result<(), StorageError> {
        sqlx::query!("UPDATE streamers SET is_live = ? WHERE twitch_id = ?", live, streamer_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
