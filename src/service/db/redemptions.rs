//! Scans, redemptions and adjustments (`redemptions`): who used which pass,
//! when, where, and with what outcome.

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::{Conn, Store, StoreError};

/// One recorded use of a pass (or a scan that found none).
#[derive(Debug, Clone, PartialEq)]
pub struct RedemptionRecord {
    /// Id (UUIDv7: ids sort by recording).
    pub id: String,
    /// The pass, when the scan found one.
    pub pass_id: Option<String>,
    /// `scan`, `redeem` or `adjust`.
    pub kind: String,
    /// `ok`, or why it was refused.
    pub outcome: String,
    /// An adjustment's changes (`{"points": 10}`).
    pub changes: Option<Value>,
    /// The pass version it made.
    pub version: Option<i64>,
    /// The key (or token subject) that did it.
    pub actor: String,
    /// Where, as the scanner named it.
    pub gate: Option<String>,
    /// When it happened (Unix ms; an offline gate's own time).
    pub at: i64,
    /// When passforge recorded it (Unix ms).
    pub recorded_at: i64,
    /// An offline gate's id for it (unique: an upload counts once).
    pub client_id: Option<String>,
}

const COLUMNS: &str =
    "id, pass_id, kind, outcome, changes, version, actor, gate, at, recorded_at, client_id";

impl RedemptionRecord {
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        let changes: Option<String> = r.try_get("changes")?;
        Ok(Self {
            id: r.try_get("id")?,
            pass_id: r.try_get("pass_id")?,
            kind: r.try_get("kind")?,
            outcome: r.try_get("outcome")?,
            changes: changes
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("redemption changes: {e}")))?,
            version: r.try_get("version")?,
            actor: r.try_get("actor")?,
            gate: r.try_get("gate")?,
            at: r.try_get("at")?,
            recorded_at: r.try_get("recorded_at")?,
            client_id: r.try_get("client_id")?,
        })
    }
}

/// Records a use.
///
/// # Errors
/// [`StoreError::Conflict`] when its `client_id` was recorded before.
pub(crate) async fn insert(c: &mut Conn, r: &RedemptionRecord) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO redemptions (id, pass_id, kind, outcome, changes, version, actor, gate, at, \
         recorded_at, client_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.id.clone())
    .bind(r.pass_id.clone())
    .bind(r.kind.clone())
    .bind(r.outcome.clone())
    .bind(r.changes.as_ref().map(Value::to_string))
    .bind(r.version)
    .bind(r.actor.clone())
    .bind(r.gate.clone())
    .bind(r.at)
    .bind(r.recorded_at)
    .bind(r.client_id.clone())
    .execute(&mut *c)
    .await;
    match done {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StoreError::Conflict("a redemption with this id"))
        }
        Err(e) => Err(e.into()),
    }
}

/// The successful redemptions of a pass at or after `since`, oldest first.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn redeemed_since(
    c: &mut Conn,
    pass_id: &str,
    since: i64,
) -> Result<Vec<RedemptionRecord>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM redemptions WHERE pass_id = $1 AND kind = 'redeem' \
         AND outcome = 'ok' AND at >= $2 ORDER BY at, id"
    )))
    .bind(pass_id.to_owned())
    .bind(since)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(RedemptionRecord::from_row).collect()
}

impl Store {
    /// Successful redemptions at or after `since` of each pass of a
    /// template that has any (pass id → count).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn redeemed_counts(
        &self,
        template_id: &str,
        since: i64,
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.pass_id AS pass_id, COUNT(*) AS n FROM redemptions r \
             JOIN passes p ON p.id = r.pass_id WHERE p.template_id = $1 AND r.kind = 'redeem' \
             AND r.outcome = 'ok' AND r.at >= $2 GROUP BY r.pass_id",
        )
        .bind(template_id.to_owned())
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("pass_id")?, r.try_get("n")?)))
            .collect()
    }

    /// A page of a pass's uses, oldest first, after the id `after`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn redemptions(
        &self,
        pass_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<RedemptionRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM redemptions WHERE pass_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        )))
        .bind(pass_id.to_owned())
        .bind(after.unwrap_or("").to_owned())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(RedemptionRecord::from_row).collect()
    }

    /// The use an offline gate recorded under `client_id`, if any.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn redemption_by_client_id(
        &self,
        client_id: &str,
    ) -> Result<Option<RedemptionRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM redemptions WHERE client_id = $1"
        )))
        .bind(client_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(RedemptionRecord::from_row).transpose()
    }
}
