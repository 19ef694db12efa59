//! Storage through sqlx's `Any` driver: SQLite (the embedded default, WAL)
//! or PostgreSQL, chosen by the database URL. The schema is portable SQL
//! (TEXT and BIGINT only; times are Unix milliseconds, documents JSON text),
//! so one embedded migration set serves both.

use std::borrow::Cow;

use serde_json::{Map, Value};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row as _};

use super::webhooks::Event;

mod queue;

use crate::template::PassOverrides;
pub(crate) use queue::{
    settle, ChunkItem, Claimed, DeliveryItem, GoogleItem, Item, Lease, PushItem, Queue, Settlement,
};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The embedded migrations could not be applied.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored document could not be read back.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST/DB")]
    Url(String),
    /// A row with the same unique value exists.
    #[error("{0} already exists")]
    Conflict(&'static str),
}

/// The embedded migrations, in order.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "keys and passes",
        include_str!("../../../migrations/0001_keys_and_passes.sql"),
    ),
    (
        2,
        "idempotency",
        include_str!("../../../migrations/0002_idempotency.sql"),
    ),
    (
        3,
        "webhooks",
        include_str!("../../../migrations/0003_webhooks.sql"),
    ),
    (4, "jobs", include_str!("../../../migrations/0004_jobs.sql")),
    (
        5,
        "apple updates",
        include_str!("../../../migrations/0005_apple_updates.sql"),
    ),
    (
        6,
        "google updates",
        include_str!("../../../migrations/0006_google_updates.sql"),
    ),
    (
        7,
        "users",
        include_str!("../../../migrations/0007_users.sql"),
    ),
    (
        8,
        "links",
        include_str!("../../../migrations/0008_links.sql"),
    ),
    (
        9,
        "google callbacks",
        include_str!("../../../migrations/0009_google_callbacks.sql"),
    ),
    (
        10,
        "job chunk retries",
        include_str!("../../../migrations/0010_job_chunk_retries.sql"),
    ),
];

/// A claimed Idempotency-Key whose request has not answered after this long
/// (twice the request timeout) belonged to a process that died.
const ABANDONED_AFTER_MS: i64 = 60_000;

/// How long an Idempotency-Key is remembered.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file (WAL).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The database: a connection pool and its backend.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Current time as Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Connects (creating a SQLite file if needed) and applies the embedded
    /// migrations.
    ///
    /// # Errors
    /// [`StoreError`] when the URL is unsupported, the database is
    /// unreachable or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            let url = if url.contains("mode=") || url.contains(":memory:") {
                url.to_owned()
            } else if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (Backend::Sqlite, url)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StoreError::Url(url.to_owned()));
        };
        // SQLite: four connections (WAL readers run beside the one writer;
        // measured 2,300 requests/s against 1,600 with one connection).
        let mut options = AnyPoolOptions::new().max_connections(match backend {
            Backend::Sqlite => 4,
            Backend::Postgres => 10,
        });
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    // WAL + NORMAL: commits do not wait for fsync (the WAL is
                    // synced at checkpoints); a power loss may drop the last
                    // commits but never corrupts the file.
                    sqlx::query("PRAGMA synchronous = NORMAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        let migrator = Migrator {
            migrations: Cow::Owned(
                MIGRATIONS
                    .iter()
                    .map(|(v, d, sql)| {
                        Migration::new(
                            *v,
                            Cow::Borrowed(*d),
                            MigrationType::Simple,
                            sqlx::SqlSafeStr::into_sql_str(*sql),
                            false,
                        )
                    })
                    .collect(),
            ),
            ..Migrator::DEFAULT
        };
        migrator.run(&pool).await?;
        Ok(Self { pool, backend })
    }

    /// The pool, for the other storage modules.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers.
    ///
    /// # Errors
    /// [`StoreError::Db`] when it does not.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- API keys ----

    /// Stores a new key (its secret already hashed).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn insert_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, secret_hash, scopes, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.secret_hash)
        .bind(&key.scopes)
        .bind(key.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One key by id.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn key(&self, id: &str) -> Result<Option<KeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, secret_hash, scopes, created_at, revoked_at FROM api_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(KeyRecord::from_row).transpose()
    }

    /// Every key, oldest first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, secret_hash, scopes, created_at, revoked_at FROM api_keys \
             ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(KeyRecord::from_row).collect()
    }

    /// Revokes a key; false when there is no such key or it was revoked already.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn revoke_key(&self, id: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    // ---- idempotency ----

    /// Claims `(principal, key)` for a new request with `hash`; when the key
    /// was seen before (and has not expired), returns what is stored instead.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn claim_idempotency(
        &self,
        principal: &str,
        key: &str,
        hash: &str,
    ) -> Result<Option<IdempotentAnswer>, StoreError> {
        let now = now_ms();
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now - IDEMPOTENCY_TTL_MS)
            .execute(&self.pool)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (principal, idem_key, request_hash, status, created_at) \
             VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(principal)
        .bind(key)
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(None),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                // A first request that never finished (its process died) is
                // taken over once it is older than any request may run.
                let taken = sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $1 WHERE principal = $2 \
                     AND idem_key = $3 AND request_hash = $4 AND status = 0 AND created_at < $5",
                )
                .bind(now)
                .bind(principal)
                .bind(key)
                .bind(hash)
                .bind(now - ABANDONED_AFTER_MS)
                .execute(&self.pool)
                .await?;
                if taken.rows_affected() > 0 {
                    return Ok(None);
                }
                let row = sqlx::query(
                    "SELECT request_hash, status, content_type, location, body FROM idempotency_keys \
                     WHERE principal = $1 AND idem_key = $2",
                )
                .bind(principal)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(r) => Ok(Some(IdempotentAnswer {
                        request_hash: r.try_get("request_hash")?,
                        status: r.try_get("status")?,
                        content_type: r.try_get("content_type")?,
                        location: r.try_get("location")?,
                        body: r.try_get("body")?,
                    })),
                    // Expired and deleted between the two statements: try once more.
                    None => Box::pin(self.claim_idempotency(principal, key, hash)).await,
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the answer of a claimed key.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn finish_idempotency(
        &self,
        principal: &str,
        key: &str,
        answer: &IdempotentAnswer,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, content_type = $2, location = $3, body = $4 \
             WHERE principal = $5 AND idem_key = $6",
        )
        .bind(answer.status)
        .bind(answer.content_type.clone())
        .bind(answer.location.clone())
        .bind(answer.body.clone())
        .bind(principal)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a claimed key (the request failed on the server's side and
    /// may be retried with the same key).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn release_idempotency(&self, principal: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2")
            .bind(principal)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- passes ----

    /// Stores a new pass and, in the same transaction, its events.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the serial number is taken.
    pub async fn insert_pass(&self, p: &PassRecord, events: &[Event]) -> Result<(), StoreError> {
        let overrides = overrides_json(&p.overrides);
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(
            "INSERT INTO passes (id, template_id, serial_number, auth_token, status, custom_fields, \
             overrides, user_id, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&p.id)
        .bind(&p.template_id)
        .bind(&p.serial_number)
        .bind(&p.auth_token)
        .bind(p.status.as_str())
        .bind(Value::Object(p.custom_fields.clone()).to_string())
        .bind(overrides)
        .bind(p.user_id.clone())
        .bind(p.version)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await;
        match r {
            Ok(_) => {
                for e in events {
                    super::webhooks::emit(&mut tx, e, None).await?;
                }
                tx.commit().await?;
                Ok(())
            }
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict("a pass with this serial number"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One pass by id.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn pass(&self, id: &str) -> Result<Option<PassRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PASS_COLUMNS} FROM passes WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(PassRecord::from_row).transpose()
    }

    /// One pass by serial number.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn pass_by_serial(&self, serial: &str) -> Result<Option<PassRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PASS_COLUMNS} FROM passes WHERE serial_number = $1"
        )))
        .bind(serial.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(PassRecord::from_row).transpose()
    }

    /// A page of passes in id (creation) order after `after`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn passes(&self, q: &PassQuery) -> Result<Vec<PassRecord>, StoreError> {
        let mut sql = format!("SELECT {PASS_COLUMNS} FROM passes WHERE 1 = 1");
        let mut n = 0;
        let mut param = |sql: &mut String, clause: &str| {
            n += 1;
            sql.push_str(&clause.replace('?', &format!("${n}")));
        };
        if q.after.is_some() {
            param(&mut sql, " AND id > ?");
        }
        if q.template_id.is_some() {
            param(&mut sql, " AND template_id = ?");
        }
        if q.status.is_some() {
            param(&mut sql, " AND status = ?");
        }
        if q.user_id.is_some() {
            param(&mut sql, " AND user_id = ?");
        }
        param(&mut sql, " ORDER BY id LIMIT ?");
        let sql = sqlx::AssertSqlSafe(sql);
        let mut query = sqlx::query(sql);
        if let Some(a) = &q.after {
            query = query.bind(a.clone());
        }
        if let Some(t) = &q.template_id {
            query = query.bind(t.clone());
        }
        if let Some(s) = q.status {
            query = query.bind(s.as_str());
        }
        if let Some(u) = &q.user_id {
            query = query.bind(u.clone());
        }
        let rows = query.bind(i64::from(q.limit)).fetch_all(&self.pool).await?;
        rows.iter().map(PassRecord::from_row).collect()
    }

    /// Writes a new version of a pass if its version is still `expected`,
    /// with its events and (given the APNs topic) its pushes in the same
    /// transaction; false when another writer got there first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn update_pass(
        &self,
        p: &PassRecord,
        expected: i64,
        events: &[Event],
        push_topic: Option<&str>,
        google: Option<&super::google::GoogleWork>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE passes SET status = $1, custom_fields = $2, overrides = $3, user_id = $4, \
             version = $5, updated_at = $6 WHERE id = $7 AND version = $8",
        )
        .bind(p.status.as_str())
        .bind(Value::Object(p.custom_fields.clone()).to_string())
        .bind(overrides_json(&p.overrides))
        .bind(p.user_id.clone())
        .bind(p.version)
        .bind(p.updated_at)
        .bind(&p.id)
        .bind(expected)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for e in events {
            super::webhooks::emit(&mut tx, e, None).await?;
        }
        if let Some(topic) = push_topic {
            super::apns::enqueue(&mut tx, &p.id, topic).await?;
        }
        if let Some(work) = google {
            super::google::enqueue(&mut tx, &p.id, work).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// How many passes use a template.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn count_passes_of(&self, template_id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM passes WHERE template_id = $1")
            .bind(template_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Deletes a pass with its events in the same transaction; false when
    /// there was none.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn delete_pass(&self, id: &str, events: &[Event]) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("DELETE FROM passes WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        for e in events {
            super::webhooks::emit(&mut tx, e, None).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}

const PASS_COLUMNS: &str = "id, template_id, serial_number, auth_token, status, custom_fields, \
                            overrides, user_id, version, created_at, updated_at";

/// A stored API key.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// Public id (the middle part of the key).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Hex SHA-256 of the secret part.
    pub secret_hash: String,
    /// Comma-separated scopes.
    pub scopes: String,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Revocation time (Unix ms).
    pub revoked_at: Option<i64>,
}

impl KeyRecord {
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            secret_hash: r.try_get("secret_hash")?,
            scopes: r.try_get("scopes")?,
            created_at: r.try_get("created_at")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    }
}

/// Whether a pass is live or voided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PassStatus {
    /// Issued and valid.
    Active,
    /// Voided: Wallet shows it as no longer valid.
    Voided,
}

impl PassStatus {
    /// The stored and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Voided => "voided",
        }
    }

    /// Parses the stored and API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "voided" => Some(Self::Voided),
            _ => None,
        }
    }
}

/// A stored pass: its template, identity and the custom fields of its
/// current version (the `.pkpass` is signed from these on download).
#[derive(Debug, Clone)]
pub struct PassRecord {
    /// Pass id (UUIDv7: ids sort by creation).
    pub id: String,
    /// Template id.
    pub template_id: String,
    /// Serial number.
    pub serial_number: String,
    /// Authentication token for the PassKit web service.
    pub auth_token: String,
    /// Active or voided.
    pub status: PassStatus,
    /// Custom field values.
    pub custom_fields: Map<String, Value>,
    /// Labels and dates on top of the template.
    pub overrides: PassOverrides,
    /// The app's user this pass belongs to.
    pub user_id: Option<String>,
    /// Version, from 1, increased by every change.
    pub version: i64,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Time of the current version (Unix ms); the signing time.
    pub updated_at: i64,
}

impl PassRecord {
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        let status: String = r.try_get("status")?;
        let fields: String = r.try_get("custom_fields")?;
        let overrides: String = r.try_get("overrides")?;
        Ok(Self {
            id: r.try_get("id")?,
            template_id: r.try_get("template_id")?,
            serial_number: r.try_get("serial_number")?,
            auth_token: r.try_get("auth_token")?,
            status: PassStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("pass status {status:?}")))?,
            custom_fields: match serde_json::from_str(&fields) {
                Ok(Value::Object(m)) => m,
                _ => return Err(StoreError::Corrupt("pass custom_fields".into())),
            },
            overrides: parse_overrides(&overrides)?,
            user_id: r.try_get("user_id")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

fn overrides_json(o: &PassOverrides) -> String {
    serde_json::json!({
        "labels": o.labels,
        "relevantDate": o.relevant_date,
        "expirationDate": o.expiration_date,
        "message": o.message,
    })
    .to_string()
}

fn parse_overrides(s: &str) -> Result<PassOverrides, StoreError> {
    let v: Value =
        serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("pass overrides: {e}")))?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(PassOverrides {
        labels: v
            .get("labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
        relevant_date: text("relevantDate"),
        expiration_date: text("expirationDate"),
        voided: false,
        message: text("message"),
    })
}

/// A remembered answer to an idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    /// SHA-256 (hex) of method, path and body of the first request.
    pub request_hash: String,
    /// HTTP status; 0 while the first request runs.
    pub status: i64,
    /// Content-Type of the answer.
    pub content_type: Option<String>,
    /// Location header of the answer.
    pub location: Option<String>,
    /// The body (UTF-8 JSON).
    pub body: Option<String>,
}

/// A page request for passes.
#[derive(Debug, Clone, Default)]
pub struct PassQuery {
    /// Only passes with an id greater than this.
    pub after: Option<String>,
    /// Only this template's passes.
    pub template_id: Option<String>,
    /// Only passes with this status.
    pub status: Option<PassStatus>,
    /// Only this user's passes.
    pub user_id: Option<String>,
    /// At most this many.
    pub limit: u32,
}
