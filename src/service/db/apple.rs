//! Wallet installations and pushes: `connections` (Apple device
//! registrations and Google saves), `pushes`, `push_attempts`,
//! `device_logs`.

use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::{Conn, StoreError};

/// A connection as the API shows it (with its pass's serial and user).
#[derive(Debug, Clone)]
pub(crate) struct ConnectionRow {
    /// `con_…`
    pub(crate) id: String,
    /// The pass installed.
    pub(crate) pass_id: String,
    /// Its serial number (none once the pass is deleted).
    pub(crate) serial_number: Option<String>,
    /// Its user.
    pub(crate) user_id: Option<String>,
    /// `apple` or `google`.
    pub(crate) platform: String,
    /// The device library id (Apple) or object id (Google).
    pub(crate) device_library_id: String,
    /// active, failing, removed.
    pub(crate) state: String,
    /// Unix ms.
    pub(crate) created_at: i64,
    /// Unix ms.
    pub(crate) updated_at: i64,
}

const COLUMNS: &str = "c.id, c.pass_id, c.platform, c.device_library_id, c.state, c.created_at, \
                       c.updated_at, p.serial_number, p.user_id";

impl ConnectionRow {
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.try_get("id")?,
            pass_id: r.try_get("pass_id")?,
            serial_number: r.try_get("serial_number")?,
            user_id: r.try_get("user_id")?,
            platform: r.try_get("platform")?,
            device_library_id: r.try_get("device_library_id")?,
            state: r.try_get("state")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
}

/// Which connections to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnectionQuery {
    /// Ids after this one.
    pub(crate) after: Option<String>,
    /// Of this pass.
    pub(crate) pass_id: Option<String>,
    /// Of this user's passes.
    pub(crate) user_id: Option<String>,
    /// On this platform.
    pub(crate) platform: Option<String>,
    /// In this state.
    pub(crate) state: Option<String>,
    /// At most this many (1 to 101).
    pub(crate) limit: u32,
}

/// Connections matching `q`, oldest first.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn connections(
    c: &mut Conn,
    q: &ConnectionQuery,
) -> Result<Vec<ConnectionRow>, StoreError> {
    let mut sql = format!(
        "SELECT {COLUMNS} FROM connections c LEFT JOIN passes p ON p.id = c.pass_id WHERE 1 = 1"
    );
    let mut args: Vec<String> = Vec::new();
    let filters = [
        (" AND c.id > ", &q.after),
        (" AND c.pass_id = ", &q.pass_id),
        (" AND p.user_id = ", &q.user_id),
        (" AND c.platform = ", &q.platform),
        (" AND c.state = ", &q.state),
    ];
    for (clause, value) in filters {
        if let Some(v) = value {
            args.push(v.clone());
            sql.push_str(clause);
            sql.push_str(&format!("${}", args.len()));
        }
    }
    sql.push_str(&format!(" ORDER BY c.id LIMIT {}", q.limit.clamp(1, 101)));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        query = query.bind(a);
    }
    let rows = query.fetch_all(&mut *c).await?;
    rows.iter().map(ConnectionRow::from_row).collect()
}

/// One connection.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn connection(
    c: &mut Conn,
    id: &str,
) -> Result<Option<ConnectionRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM connections c LEFT JOIN passes p ON p.id = c.pass_id WHERE c.id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(ConnectionRow::from_row).transpose()
}

/// A connection's pass and push token.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn push_target(
    c: &mut Conn,
    id: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let row = sqlx::query("SELECT pass_id, push_token FROM connections WHERE id = $1")
        .bind(id.to_owned())
        .fetch_optional(&mut *c)
        .await?;
    row.map(|r| Ok((r.try_get("pass_id")?, r.try_get("push_token")?)))
        .transpose()
}

/// Installations of a pass per platform (active and failing).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn install_counts(
    c: &mut Conn,
    pass_id: &str,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT platform, COUNT(*) AS n FROM connections WHERE pass_id = $1 AND state <> 'removed' GROUP BY platform",
    )
    .bind(pass_id.to_owned())
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("platform")?, r.try_get("n")?)))
        .collect()
}

/// Updates the push token of a device's live registration of a pass;
/// false when it has none. (Written first: SQLite takes the write lock
/// now, not on an upgrade.)
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn refresh_registration(
    c: &mut Conn,
    device: &str,
    pass_id: &str,
    token: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE connections SET push_token = $1, updated_at = $2, registered_at = $2, state = 'active' \
         WHERE platform = 'apple' AND device_library_id = $3 AND pass_id = $4 AND state <> 'removed'",
    )
    .bind(token.to_owned())
    .bind(now)
    .bind(device.to_owned())
    .bind(pass_id.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(updated.rows_affected() > 0)
}

/// A new Apple registration (replacing a removed one of the same device
/// and pass).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_registration(
    c: &mut Conn,
    id: &str,
    device: &str,
    pass_id: &str,
    token: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM connections WHERE platform = 'apple' AND device_library_id = $1 AND pass_id = $2",
    )
    .bind(device.to_owned())
    .bind(pass_id.to_owned())
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "INSERT INTO connections (id, pass_id, platform, device_library_id, push_token, state, \
         created_at, updated_at, registered_at) VALUES ($1, $2, 'apple', $3, $4, 'active', $5, $5, $5)",
    )
    .bind(id.to_owned())
    .bind(pass_id.to_owned())
    .bind(device.to_owned())
    .bind(token.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A Google save: a new connection (true), or the existing one active
/// again (false).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn google_saved(
    c: &mut Conn,
    id: &str,
    object_id: &str,
    pass_id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO connections (id, pass_id, platform, device_library_id, push_token, state, created_at, updated_at) \
         VALUES ($1, $2, 'google', $3, '', 'active', $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(id.to_owned())
    .bind(pass_id.to_owned())
    .bind(object_id.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    if inserted.rows_affected() > 0 {
        return Ok(true);
    }
    sqlx::query(
        "UPDATE connections SET state = 'active', updated_at = $1 WHERE platform = 'google' \
         AND device_library_id = $2 AND pass_id = $3",
    )
    .bind(now)
    .bind(object_id.to_owned())
    .bind(pass_id.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(false)
}

/// Which live connections to remove.
#[derive(Debug, Clone)]
pub(crate) enum Removal<'a> {
    /// One connection.
    Id(&'a str),
    /// One device's (or Google object's) installation of a pass.
    Device {
        /// `apple` or `google`.
        platform: &'a str,
        /// Device library id or object id.
        device: &'a str,
        /// The pass.
        pass_id: &'a str,
    },
    /// Every Apple registration of a push token made before a time (Unix
    /// ms): APNs reported the token dead then, and a registration made
    /// after it carries a token that works again.
    DeadToken {
        /// The token.
        token: &'a str,
        /// Registrations made (or refreshed) before this.
        before: i64,
    },
}

/// A removed connection.
#[derive(Debug, Clone)]
pub(crate) struct Removed {
    /// `con_…`
    pub(crate) id: String,
    /// Its pass.
    pub(crate) pass_id: String,
    /// Its device.
    pub(crate) device_library_id: String,
    /// Its platform.
    pub(crate) platform: String,
}

/// Marks the matching live connections removed.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn remove_connections(
    c: &mut Conn,
    which: &Removal<'_>,
    now: i64,
) -> Result<Vec<Removed>, StoreError> {
    const SET: &str =
        "UPDATE connections SET state = 'removed', updated_at = $1 WHERE state <> 'removed'";
    const RETURNING: &str = " RETURNING id, pass_id, device_library_id, platform";
    let q = match which {
        Removal::Id(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{SET} AND id = $2{RETURNING}")))
                .bind(now)
                .bind((*id).to_owned())
        }
        Removal::Device {
            platform,
            device,
            pass_id,
        } => sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SET} AND platform = $2 AND device_library_id = $3 AND pass_id = $4{RETURNING}"
        )))
        .bind(now)
        .bind((*platform).to_owned())
        .bind((*device).to_owned())
        .bind((*pass_id).to_owned()),
        Removal::DeadToken { token, before } => sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SET} AND platform = 'apple' AND push_token = $2 AND registered_at < $3{RETURNING}"
        )))
        .bind(now)
        .bind((*token).to_owned())
        .bind(*before),
    };
    let rows = q.fetch_all(&mut *c).await?;
    rows.iter()
        .map(|r| {
            Ok(Removed {
                id: r.try_get("id")?,
                pass_id: r.try_get("pass_id")?,
                device_library_id: r.try_get("device_library_id")?,
                platform: r.try_get("platform")?,
            })
        })
        .collect()
}

/// Serial numbers (with their version times) of the passes a device has
/// registered that changed after `since` (Unix ms).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn changed_serials(
    c: &mut Conn,
    device: &str,
    since: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT p.serial_number, p.updated_at FROM passes p JOIN connections c ON c.pass_id = p.id \
         WHERE c.platform = 'apple' AND c.device_library_id = $1 AND c.state <> 'removed' \
         AND p.updated_at > $2 ORDER BY p.serial_number",
    )
    .bind(device.to_owned())
    .bind(since)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("serial_number")?, r.try_get("updated_at")?)))
        .collect()
}

/// Keeps device log lines, then drops all but the newest `keep`.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_device_logs(
    c: &mut Conn,
    lines: &[String],
    now: i64,
    keep: i64,
) -> Result<(), StoreError> {
    for line in lines {
        sqlx::query("INSERT INTO device_logs (id, created_at, message) VALUES ($1, $2, $3)")
            .bind(format!("log_{}", uuid::Uuid::now_v7().simple()))
            .bind(now)
            .bind(line.clone())
            .execute(&mut *c)
            .await?;
    }
    sqlx::query(
        "DELETE FROM device_logs WHERE id NOT IN (SELECT id FROM device_logs ORDER BY id DESC LIMIT $1)",
    )
    .bind(keep)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The push tokens of a pass's live Apple registrations that have no push
/// waiting already.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn tokens_to_push(c: &mut Conn, pass_id: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT push_token FROM connections WHERE pass_id = $1 AND platform = 'apple' \
         AND state <> 'removed' AND push_token NOT IN \
         (SELECT push_token FROM pushes WHERE pass_id = $1 AND status = 'pending')",
    )
    .bind(pass_id.to_owned())
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("push_token")?)).collect()
}

/// Queues one push; returns its id.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_push(
    c: &mut Conn,
    pass_id: &str,
    token: &str,
    topic: &str,
    now: i64,
) -> Result<String, StoreError> {
    let id = format!("psh_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(
        "INSERT INTO pushes (id, pass_id, push_token, topic, status, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
    )
    .bind(id.clone())
    .bind(pass_id.to_owned())
    .bind(token.to_owned())
    .bind(topic.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(id)
}

/// One push attempt as APNs answered it.
#[derive(Debug)]
pub(crate) struct PushAttempt<'a> {
    /// The push.
    pub(crate) push_id: &'a str,
    /// Its attempt number.
    pub(crate) attempt: i64,
    /// APNs' HTTP status.
    pub(crate) status_code: Option<u16>,
    /// APNs' reason (or the network error).
    pub(crate) reason: Option<&'a str>,
    /// `apns-id`.
    pub(crate) apns_id: Option<&'a str>,
    /// Unix ms.
    pub(crate) at: i64,
}

/// Records a push attempt.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_push_attempt(
    c: &mut Conn,
    a: &PushAttempt<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO push_attempts (push_id, attempt, status_code, reason, apns_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.push_id.to_owned())
    .bind(a.attempt)
    .bind(a.status_code.map(i64::from))
    .bind(a.reason.map(str::to_owned))
    .bind(a.apns_id.map(str::to_owned))
    .bind(a.at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Moves the connections of a push token from state `from` to `to`.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn set_token_state(
    c: &mut Conn,
    token: &str,
    from: &str,
    to: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE connections SET state = $1, updated_at = $2 WHERE push_token = $3 AND state = $4",
    )
    .bind(to.to_owned())
    .bind(now)
    .bind(token.to_owned())
    .bind(from.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(())
}
