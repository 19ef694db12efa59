//! Storage through sqlx's `Any` driver: SQLite (the embedded default, WAL)
//! or PostgreSQL, chosen by the database URL. The schema is portable SQL
//! (TEXT and BIGINT, and BYTEA for signed passes' bytes, which SQLite keeps
//! as blobs; times are Unix milliseconds, documents JSON text), so one
//! embedded migration set serves both.

//!
//! This module is the only code that names sqlx: one file per table group,
//! no SQL text anywhere else, and no table or column name passed in from
//! outside. Reads that stand alone are `Store` methods; writes that belong
//! in a caller's transaction are functions taking a [`Conn`] (a
//! transaction from [`Store::begin`] derefs to one).

use std::borrow::Cow;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::AnyPool;

pub(crate) mod apple;
pub(crate) mod events;
pub(crate) mod google;
mod idempotency;
pub(crate) mod jobs;
mod keys;
pub(crate) mod links;
mod passes;
mod queue;
pub(crate) mod redemptions;
pub(crate) mod signed;
pub(crate) mod smartlinks;
pub(crate) mod users;

pub(crate) use idempotency::record_idempotent;
pub use idempotency::{IdempotentAnswer, IDEMPOTENCY_TTL_MS};
pub use keys::KeyRecord;
pub(crate) use passes::{bump_template_passes, delete_pass, insert_passes, update_pass};
pub use passes::{PassQuery, PassRecord, PassStatus};
pub(crate) use queue::{
    settle, ChunkItem, Claimed, DeliveryItem, GoogleItem, Item, Lease, PushItem, Queue, Settlement,
};
pub use redemptions::RedemptionRecord;

/// A database connection; a [`Tx`] derefs to one.
pub(crate) type Conn = sqlx::AnyConnection;

/// A write transaction; on SQLite it also holds this process's turn to
/// write (see [`Store::begin`]). Derefs to the sqlx transaction (and so to
/// a [`Conn`]).
pub(crate) struct Tx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for Tx {
    type Target = sqlx::Transaction<'static, sqlx::Any>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Tx {
    /// Commits, then gives the turn to write to the next writer.
    ///
    /// # Errors
    /// [`sqlx::Error`].
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

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

/// What kind of failure a [`StoreError`] is, for the answer it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The database cannot be reached or is busy restarting: retry soon.
    Unavailable,
    /// The disk or the database file is full: writes fail, reads work.
    Full,
    /// Anything else.
    Other,
}

impl StoreError {
    /// Whether the database is out of reach, out of space, or neither.
    pub fn failure(&self) -> Failure {
        let Self::Db(e) = self else {
            return Failure::Other;
        };
        match e {
            // A conversation cut short (a server restarting or a network
            // dropping the connection) reads as a protocol error.
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Failure::Unavailable,
            sqlx::Error::Database(d) => {
                let code = d.code().unwrap_or_default();
                let message = d.message().to_ascii_lowercase();
                // PostgreSQL: 53100 disk full, 54000 program limit; SQLite:
                // SQLITE_FULL (13) "database or disk is full".
                if code == "53100" || code == "13" || message.contains("database or disk is full") {
                    Failure::Full
                // PostgreSQL: connection exceptions (08…), shutting down or
                // starting (57P01-57P03), too many connections (53300);
                // SQLite: busy/locked beyond the timeout (5, 6).
                } else if code.starts_with("08")
                    || matches!(
                        code.as_ref(),
                        "57P01" | "57P02" | "57P03" | "53300" | "5" | "6"
                    )
                {
                    Failure::Unavailable
                } else {
                    Failure::Other
                }
            }
            _ => Failure::Other,
        }
    }
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
        "queues and registrations",
        include_str!("../../../migrations/0010_queues_and_registrations.sql"),
    ),
    (
        11,
        "redemptions",
        include_str!("../../../migrations/0011_redemptions.sql"),
    ),
    (
        12,
        "smart links",
        include_str!("../../../migrations/0012_smart_links.sql"),
    ),
    (
        13,
        "link codes",
        include_str!("../../../migrations/0013_link_codes.sql"),
    ),
    (
        14,
        "personal info",
        include_str!("../../../migrations/0014_personal_info.sql"),
    ),
    (
        15,
        "signed passes",
        include_str!("../../../migrations/0015_signed_passes.sql"),
    ),
];

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
    /// SQLite: the one connection write transactions use, so its page cache
    /// stays valid from one write to the next (a connection's cache is
    /// dropped whenever another connection wrote since its last
    /// transaction, and the pool hands its connections out in turn);
    /// PostgreSQL: the pool again.
    writer: AnyPool,
    backend: Backend,
    /// SQLite: whose turn it is to write, in arrival order.
    writers: std::sync::Arc<tokio::sync::Mutex<()>>,
}

pub(crate) use crate::service::clock::now_ms;

impl Store {
    /// Connects (creating a SQLite file if needed) and applies the embedded
    /// migrations.
    ///
    /// # Errors
    /// [`StoreError`] when the URL is unsupported, the database is
    /// unreachable or a migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, None).await
    }

    /// Like [`Store::connect`], with a SQLite file capped at `max_pages`
    /// pages (`PRAGMA max_page_count` on every connection): a test's
    /// stand-in for a full disk.
    ///
    /// # Errors
    /// As [`Store::connect`].
    #[doc(hidden)]
    pub async fn connect_capped(url: &str, max_pages: u32) -> Result<Self, StoreError> {
        Self::connect_with(url, Some(max_pages)).await
    }

    async fn connect_with(url: &str, max_pages: Option<u32>) -> Result<Self, StoreError> {
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
        // A database out of reach answers 503 within seconds, not after the
        // request's whole timeout.
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(std::time::Duration::from_secs(5));
        let options = match backend {
            Backend::Sqlite => sqlite_setup(options, max_pages),
            Backend::Postgres => options,
        };
        let pool = options.clone().connect(&url).await?;
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
        // The same set-up and timeout, one connection.
        let writer = match backend {
            Backend::Sqlite => options.max_connections(1).connect(&url).await?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Self {
            pool,
            writer,
            backend,
            writers: std::sync::Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Copies the SQLite write-ahead log into the database file without
    /// waiting for anyone (`wal_checkpoint(PASSIVE)`); nothing on
    /// PostgreSQL. Run often in the background, it keeps the log short, so
    /// the automatic checkpoint (after 1,000 pages, with an fsync) rarely
    /// falls on a request's commit.
    ///
    /// # Errors
    /// [`StoreError::Db`].
    pub(crate) async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
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
        self.writer.close().await;
        self.pool.close().await;
    }

    /// Starts a transaction. On SQLite it waits for this process's turn to
    /// write, then takes the write lock at once (`BEGIN IMMEDIATE`, waiting
    /// up to the busy timeout for other processes): a deferred
    /// transaction that reads and then writes fails with "database is
    /// locked" (SQLITE_BUSY_SNAPSHOT) when another connection wrote in
    /// between, and the busy timeout cannot help it.
    ///
    /// # Errors
    /// [`StoreError`].
    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => {
                // One writer of this process at a time, first come first
                // served: waiting in SQLite's busy handler instead polls
                // with sleeps of up to 100 ms, which made a tail of
                // half-second commits under a steady load of creates.
                let turn = self.writers.clone().lock_owned().await;
                Tx {
                    tx: self.writer.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                }
            }
            Backend::Postgres => Tx {
                tx: self.pool.begin().await?,
                _turn: None,
            },
        })
    }

    /// A connection from the pool.
    ///
    /// # Errors
    /// [`StoreError`].
    pub(crate) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }
}

/// `options` with what every SQLite connection is set up with: WAL, the
/// sync level, the busy timeout, foreign keys and (tests) a page cap.
fn sqlite_setup(options: AnyPoolOptions, max_pages: Option<u32>) -> AnyPoolOptions {
    options.after_connect(move |conn, _| {
        Box::pin(async move {
            if let Some(n) = max_pages {
                sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {n}")))
                    .execute(&mut *conn)
                    .await?;
            }
            // WAL + NORMAL: commits do not wait for fsync (the WAL is
            // synced at checkpoints); a power loss may drop the last
            // commits but never corrupts the file.
            for pragma in [
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA busy_timeout = 10000",
                "PRAGMA foreign_keys = ON",
            ] {
                sqlx::query(pragma).execute(&mut *conn).await?;
            }
            Ok(())
        })
    })
}

/// Commits a transaction.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn commit(tx: Tx) -> Result<(), StoreError> {
    Ok(tx.commit().await?)
}

/// The most rows one multi-row `INSERT` writes: groups of new passes are
/// at most 64, and 64 rows of a dozen columns stay far below both
/// databases' limits on parameters (SQLite 32,766, PostgreSQL 65,535).
const ROWS_PER_INSERT: usize = 64;

/// `($1, $2, …), ($k+1, …)`: the `VALUES` rows of a multi-row `INSERT` of
/// `rows` rows of `cols` columns, numbered from `$1` (both databases read
/// `$n`).
fn values_rows(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

/// A query on either database, its values being bound.
type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Runs `INSERT INTO {into} VALUES (…), (…) {tail}` over `rows`, up to
/// [`ROWS_PER_INSERT`] to a statement, `bind` binding each row's `cols`
/// values in order (taking the row, so its owned values move into the
/// statement rather than being copied).
async fn insert_rows<T>(
    c: &mut Conn,
    into: &str,
    tail: &str,
    cols: usize,
    rows: Vec<T>,
    bind: impl for<'q> Fn(AnyQuery<'q>, T) -> AnyQuery<'q>,
) -> Result<(), sqlx::Error> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<T> = rows.by_ref().take(ROWS_PER_INSERT).collect();
        let sql = format!(
            "INSERT INTO {into} VALUES {}{tail}",
            values_rows(chunk.len(), cols)
        );
        // Only the count of rows varies: no value is spliced into the text.
        let q = chunk
            .into_iter()
            .fold(sqlx::query(sqlx::AssertSqlSafe(sql)), &bind);
        q.execute(&mut *c).await?;
    }
    Ok(())
}

#[cfg(test)]
mod values_tests {
    #[test]
    fn values_rows_number_the_parameters_row_by_row() {
        assert_eq!(super::values_rows(1, 2), "($1, $2)");
        assert_eq!(super::values_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
    }

    #[tokio::test]
    async fn sqlite_write_transactions_all_use_one_connection_whatever_the_reads_use() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let store = super::Store::connect(&url).await.expect("connect");
        // A temporary table lives on the connection that made it.
        let mut tx = store.begin().await.expect("begin");
        sqlx::query("CREATE TEMP TABLE mine (x INTEGER)")
            .execute(&mut **tx)
            .await
            .expect("temp table");
        tx.commit().await.expect("commit");
        for i in 0..6_i64 {
            // Reads in between take the pool's connections in turn.
            let mut held = Vec::new();
            for _ in 0..3 {
                held.push(store.conn().await.expect("conn"));
            }
            for c in &mut held {
                sqlx::query("SELECT 1")
                    .execute(&mut **c)
                    .await
                    .expect("read");
            }
            drop(held);
            let mut tx = store.begin().await.expect("begin");
            sqlx::query("INSERT INTO temp.mine (x) VALUES ($1)")
                .bind(i)
                .execute(&mut **tx)
                .await
                .expect("the writer's own table is there");
            tx.commit().await.expect("commit");
        }
        let mut tx = store.begin().await.expect("begin");
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM temp.mine")
            .fetch_one(&mut **tx)
            .await
            .expect("count");
        drop(tx);
        assert_eq!(n, 6);
        // The pool's connections do not have it.
        let mut c = store.conn().await.expect("conn");
        assert!(sqlx::query("SELECT COUNT(*) FROM temp.mine")
            .execute(&mut *c)
            .await
            .is_err());
        drop(c);
        store.close().await;
    }
}

/// The databases the storage layer's tests run on.
#[cfg(test)]
pub(crate) mod testing {
    use super::Store;

    /// A SQLite file in `dir`, and PostgreSQL when
    /// `PASSFORGE_TEST_DATABASE_URL` is set (in a schema of its own, so
    /// that other tests' rows stay out of the test's reads: its name is
    /// returned, for dropping).
    pub(crate) async fn stores(dir: &std::path::Path) -> Vec<(Store, Option<String>)> {
        let sqlite = format!("sqlite://{}", dir.join("q.db").display());
        let mut out = vec![(Store::connect(&sqlite).await.expect("sqlite"), None)];
        if let Ok(url) = std::env::var("PASSFORGE_TEST_DATABASE_URL") {
            if !url.is_empty() {
                let schema = format!("db_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Store::connect(&url).await.expect("postgres");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&admin.pool)
                    .await
                    .expect("schema");
                admin.close().await;
                let sep = if url.contains('?') { '&' } else { '?' };
                let own = format!("{url}{sep}options=-c%20search_path%3D{schema}");
                out.push((
                    Store::connect(&own).await.expect("postgres schema"),
                    Some(schema),
                ));
            }
        }
        out
    }

    /// Drops a PostgreSQL test schema made by [`stores`].
    pub(crate) async fn drop_schema(store: &Store, schema: &str) {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&store.pool)
            .await
            .expect("drop schema");
    }
}
