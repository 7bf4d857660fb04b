use super::db::{Db, StorageError};

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
    /// For stream.online and stream.offline: the live state the event sets, if it is newer (in event time) than
    /// the one that set it last.
    pub online: Option<bool>,
    /// For stream.offline, which names no stream: the event repeats a stored offline less than this far from it
    /// in event time with no stream.online between the two (Twitch has sent one offline under two message ids).
    pub offline_repeat_window_ms: Option<i64>,
}

/// What storing a notification came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new event, with its id.
    New(i64),
    /// The message id was handled before (a resend or a replay): nothing was written.
    SeenMessage,
    /// A new message id repeating an event already stored (the same dedupe key): the message is remembered as
    /// handled, and no event is added.
    Repeated,
}

/// An event as stored: the payload is Twitch's `event` object as it came. Reading it is the caller's business
/// (`app::events::FeedEvent::read`), so storage knows nothing of event types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub streamer_id: String,
    /// The subscription type (`channel.follow`…).
    pub kind: String,
    pub version: String,
    /// When it happened (Unix ms).
    pub occurred_at: i64,
    pub payload: String,
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

    /// Stores a notification's event, and everything it changes, in one transaction: the claim on its message id,
    /// the event, the retention trim and, for stream.online/offline, the live state. Either all of it is committed
    /// or none, so a failure at any point (an error, a panic, a killed process) leaves the message unclaimed and
    /// Twitch's resend is stored; and a duplicate that arrives while the first attempt is still running waits for
    /// it on the message id's unique key (PostgreSQL) or the single writer (SQLite) instead of being acknowledged
    /// early. Keeps at most `keep` events per streamer, dropping the oldest.
    ///
    /// On PostgreSQL the transaction first takes a lock on the streamer (an advisory lock, released at commit), so
    /// one streamer's events are numbered in the order they commit, whichever instance stores them. SQLite has one
    /// writer at a time, which gives the same order.
    pub async fn store_event(&self, e: &NewEvent<'_>, keep: i64) -> Result<Stored, StorageError> {
        let claimed_at = e.received_at_ms / 1000;
        per_db!(self, |p|
            sqlite: {
                let mut tx = p.begin().await?;
                let claimed = sqlx::query!(
                    "INSERT INTO eventsub_messages (message_id, received_at) VALUES (?, ?) ON CONFLICT (message_id) DO NOTHING",
                    e.message_id,
                    claimed_at
                )
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    return Ok(Stored::SeenMessage);
                }
                if let Some(window) = e.offline_repeat_window_ms {
                    let (from, to) = (e.occurred_at_ms - window, e.occurred_at_ms + window);
                    let repeats = sqlx::query_scalar!(
                        "SELECT COUNT(*) AS \"n: i64\" FROM events o
                         WHERE o.streamer_id = ? AND o.kind = 'stream.offline' AND o.occurred_at > ? AND o.occurred_at < ?
                           AND NOT EXISTS (SELECT 1 FROM events n WHERE n.streamer_id = o.streamer_id
                               AND n.kind = 'stream.online'
                               AND n.occurred_at > MIN(o.occurred_at, ?) AND n.occurred_at <= MAX(o.occurred_at, ?))",
                        e.streamer_id,
                        from,
                        to,
                        e.occurred_at_ms,
                        e.occurred_at_ms
                    )
                    .fetch_one(&mut *tx)
                    .await?;
                    if repeats > 0 {
                        tx.commit().await?;
                        return Ok(Stored::Repeated);
                    }
                }
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
                let Some(id) = id else {
                    tx.commit().await?;
                    return Ok(Stored::Repeated);
                };
                sqlx::query!(
                    "DELETE FROM events WHERE streamer_id = ? AND id <= (
                         SELECT id FROM events WHERE streamer_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    e.streamer_id,
                    e.streamer_id,
                    keep
                )
                .execute(&mut *tx)
                .await?;
                if let Some(online) = e.online {
                    sqlx::query!(
                        "UPDATE streamers SET is_live = ?, live_changed_at = ? WHERE twitch_id = ? AND live_changed_at <= ?",
                        online,
                        e.occurred_at_ms,
                        e.streamer_id,
                        e.occurred_at_ms
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(Stored::New(id))
            },
            postgres: {
                let mut tx = p.begin().await?;
                sqlx::query!(
                    "SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended('sev.events:' || $1::text, 0))",
                    e.streamer_id
                )
                .fetch_one(&mut *tx)
                .await?;
                let claimed = sqlx::query!(
                    "INSERT INTO eventsub_messages (message_id, received_at) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING",
                    e.message_id,
                    claimed_at
                )
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 0 {
                    return Ok(Stored::SeenMessage);
                }
                if let Some(window) = e.offline_repeat_window_ms {
                    let (from, to) = (e.occurred_at_ms - window, e.occurred_at_ms + window);
                    let repeats = sqlx::query_scalar!(
                        "SELECT COUNT(*) AS \"n!: i64\" FROM events o
                         WHERE o.streamer_id = $1 AND o.kind = 'stream.offline' AND o.occurred_at > $2 AND o.occurred_at < $3
                           AND NOT EXISTS (SELECT 1 FROM events n WHERE n.streamer_id = o.streamer_id
                               AND n.kind = 'stream.online'
                               AND n.occurred_at > LEAST(o.occurred_at, $4) AND n.occurred_at <= GREATEST(o.occurred_at, $4))",
                        e.streamer_id,
                        from,
                        to,
                        e.occurred_at_ms
                    )
                    .fetch_one(&mut *tx)
                    .await?;
                    if repeats > 0 {
                        tx.commit().await?;
                        return Ok(Stored::Repeated);
                    }
                }
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
                let Some(id) = id else {
                    tx.commit().await?;
                    return Ok(Stored::Repeated);
                };
                sqlx::query!(
                    "DELETE FROM events WHERE streamer_id = $1 AND id <= (
                         SELECT id FROM events WHERE streamer_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
                    e.streamer_id,
                    keep
                )
                .execute(&mut *tx)
                .await?;
                if let Some(online) = e.online {
                    sqlx::query!(
                        "UPDATE streamers SET is_live = $1, live_changed_at = $2 WHERE twitch_id = $3 AND live_changed_at <= $2",
                        online,
                        e.occurred_at_ms,
                        e.streamer_id
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(Stored::New(id))
            },
        )
    }

    /// The event stored for a message id, if any: a resend of a message whose event is stored gets it published
    /// again, in case the first attempt stopped between its commit and its publish.
    pub async fn event_of_message(&self, message_id: &str) -> Result<Option<StoredEvent>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                StoredEvent,
                "SELECT id AS \"id!\", streamer_id, kind, version, occurred_at, payload FROM events WHERE message_id = ?",
                message_id
            )
            .fetch_optional(p)
            .await?,
            postgres: sqlx::query_as!(
                StoredEvent,
                "SELECT id, streamer_id, kind, version, occurred_at, payload FROM events WHERE message_id = $1",
                message_id
            )
            .fetch_optional(p)
            .await?,
        ))
    }

    /// The newest `limit` events of a streamer, newest first.
    pub async fn recent_events(&self, streamer_id: &str, limit: i64) -> Result<Vec<StoredEvent>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query_as!(
                StoredEvent,
                "SELECT id AS \"id!\", streamer_id, kind, version, occurred_at, payload FROM events
                 WHERE streamer_id = ? ORDER BY id DESC LIMIT ?",
                streamer_id,
                limit
            )
            .fetch_all(p)
            .await?,
            postgres: sqlx::query_as!(
                StoredEvent,
                "SELECT id, streamer_id, kind, version, occurred_at, payload FROM events
                 WHERE streamer_id = $1 ORDER BY id DESC LIMIT $2",
                streamer_id,
                limit
            )
            .fetch_all(p)
            .await?,
        ))
    }

    /// Whether a streamer is live, as the latest stream.online/offline in event time said, and that event's time
    /// (Unix ms; 0 when none came yet), so a page can tell a late, older event from a newer one.
    pub async fn online_state(&self, streamer_id: &str) -> Result<(bool, i64), StorageError> {
        Ok(self.known_online_state(streamer_id).await?.unwrap_or((false, 0)))
    }

    /// [`Db::live_state`], or `None` for a streamer sev does not know (nobody ever looked them up).
    pub async fn known_online_state(&self, streamer_id: &str) -> Result<Option<(bool, i64)>, StorageError> {
        Ok(per_db!(self, |p|
            sqlite: sqlx::query!("SELECT is_live, live_changed_at FROM streamers WHERE twitch_id = ?", streamer_id)
                .fetch_optional(p)
                .await?
                .map(|r| (r.is_live != 0, r.live_changed_at)),
            postgres: sqlx::query!("SELECT is_live, live_changed_at FROM streamers WHERE twitch_id = $1", streamer_id)
                .fetch_optional(p)
                .await?
                .map(|r| (r.is_live, r.live_changed_at)),
        ))
    }
}
