//! Passes (`passes`): the fields of each pass's current version.

use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::{Conn, Store, StoreError};
use crate::template::PassOverrides;

impl Store {
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

    /// The pass whose current version's barcode carries `message`, else
    /// the pass with that serial number (passes written before barcode
    /// messages were stored, or a scanner that sends the serial).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn pass_by_scan(&self, message: &str) -> Result<Option<PassRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PASS_COLUMNS} FROM passes WHERE barcode_message = $1 ORDER BY id LIMIT 1"
        )))
        .bind(message.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(PassRecord::from_row(&r)?)),
            None => self.pass_by_serial(message).await,
        }
    }

    /// A template's passes with their barcode message and status, in id
    /// order after `after` (the door list).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn scan_list(
        &self,
        template_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<PassRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PASS_COLUMNS} FROM passes WHERE template_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        )))
        .bind(template_id.to_owned())
        .bind(after.unwrap_or("").to_owned())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(PassRecord::from_row).collect()
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
}

/// Stores a new pass.
///
/// # Errors
/// [`StoreError::Conflict`] when the serial number is taken.
pub(crate) async fn insert_pass(c: &mut Conn, p: &PassRecord) -> Result<(), StoreError> {
    let r = sqlx::query(
        "INSERT INTO passes (id, template_id, serial_number, auth_token, status, custom_fields, \
         overrides, user_id, version, created_at, updated_at, barcode_message) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(p.id.clone())
    .bind(p.template_id.clone())
    .bind(p.serial_number.clone())
    .bind(p.auth_token.clone())
    .bind(p.status.as_str())
    .bind(Value::Object(p.custom_fields.clone()).to_string())
    .bind(overrides_json(&p.overrides))
    .bind(p.user_id.clone())
    .bind(p.version)
    .bind(p.created_at)
    .bind(p.updated_at)
    .bind(p.barcode_message.clone())
    .execute(&mut *c)
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StoreError::Conflict("a pass with this serial number"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes a new version of a pass if its stored version is still
/// `expected`; false when another writer got there first.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn update_pass(
    c: &mut Conn,
    p: &PassRecord,
    expected: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE passes SET status = $1, custom_fields = $2, overrides = $3, user_id = $4, \
         version = $5, updated_at = $6, barcode_message = $7 WHERE id = $8 AND version = $9",
    )
    .bind(p.status.as_str())
    .bind(Value::Object(p.custom_fields.clone()).to_string())
    .bind(overrides_json(&p.overrides))
    .bind(p.user_id.clone())
    .bind(p.version)
    .bind(p.updated_at)
    .bind(p.barcode_message.clone())
    .bind(p.id.clone())
    .bind(expected)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a pass; false when there was none.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn delete_pass(c: &mut Conn, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM passes WHERE id = $1")
        .bind(id.to_owned())
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Gives every pass of a template a new version (their content changed
/// with it), at least a second after the last; returns their ids.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn bump_template_passes(
    c: &mut Conn,
    template_id: &str,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "UPDATE passes SET version = version + 1, \
         updated_at = CASE WHEN updated_at + 1000 > $1 THEN updated_at + 1000 ELSE $1 END \
         WHERE template_id = $2 RETURNING id",
    )
    .bind(now)
    .bind(template_id.to_owned())
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

const PASS_COLUMNS: &str = "id, template_id, serial_number, auth_token, status, custom_fields, \
                            overrides, user_id, version, created_at, updated_at, barcode_message";

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
    /// The barcode message of the current version (what a scanner reads).
    pub barcode_message: Option<String>,
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
            barcode_message: r.try_get("barcode_message")?,
        })
    }
}

fn overrides_json(o: &PassOverrides) -> String {
    serde_json::json!({
        "labels": o.labels,
        "relevantDate": o.relevant_date,
        "expirationDate": o.expiration_date,
        "message": o.message,
        "personalized": o.personalized,
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
        personalized: v
            .get("personalized")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
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
