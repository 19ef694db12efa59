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

/// Stores new passes, many to a statement (a group of creates).
///
/// # Errors
/// [`StoreError::Conflict`] when a serial number is taken (taken before,
/// or twice among `passes`).
pub(crate) async fn insert_passes(c: &mut Conn, passes: &[&PassRecord]) -> Result<(), StoreError> {
    // The documents first: a row that cannot be written writes nothing.
    let fields = passes
        .iter()
        .map(|p| serde_json::to_string(&p.custom_fields))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let rows: Vec<(&PassRecord, String)> = passes.iter().copied().zip(fields).collect();
    super::insert_rows(
        c,
        "passes (id, template_id, serial_number, auth_token, status, custom_fields, \
         overrides, user_id, version, created_at, updated_at, barcode_message)",
        "",
        12,
        rows,
        |q, (p, fields)| {
            q.bind(p.id.clone())
                .bind(p.template_id.clone())
                .bind(p.serial_number.clone())
                .bind(p.auth_token.clone())
                .bind(p.status.as_str())
                .bind(fields)
                .bind(overrides_json(&p.overrides))
                .bind(p.user_id.clone())
                .bind(p.version)
                .bind(p.created_at)
                .bind(p.updated_at)
                .bind(p.barcode_message.clone())
        },
    )
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            StoreError::Conflict("a pass with this serial number")
        }
        e => e.into(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::db::events::{insert_events, NewEvent};
    use crate::service::db::signed::{put_signed_with_passes, NewSigned};
    use crate::service::db::testing::{drop_schema, stores};

    fn record(n: usize, serial: &str) -> PassRecord {
        let mut fields = Map::new();
        fields.insert("name".into(), Value::String(format!("Guest {n}")));
        PassRecord {
            id: uuid::Uuid::now_v7().to_string(),
            template_id: "event-ticket".into(),
            serial_number: serial.into(),
            auth_token: format!("token{n:027}"),
            status: PassStatus::Active,
            custom_fields: fields,
            overrides: PassOverrides {
                relevant_date: Some(format!("2027-06-1{n}T19:00:00+01:00")),
                ..PassOverrides::default()
            },
            user_id: (n == 1).then(|| "usr_1".to_owned()),
            version: 1,
            created_at: 1_000 + n as i64,
            updated_at: 2_000 + n as i64,
            barcode_message: Some(format!("code-{n}")),
        }
    }

    #[tokio::test]
    async fn a_group_of_new_passes_is_written_row_for_row_and_a_taken_serial_fails_it_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (store, schema) in stores(dir.path()).await {
            let serial = |n: usize| format!("{}-{n}", uuid::Uuid::now_v7());
            let group: Vec<PassRecord> = (0..3).map(|n| record(n, &serial(n))).collect();
            let refs: Vec<&PassRecord> = group.iter().collect();
            let signatures: Vec<Vec<u8>> =
                (0..3u8).map(|n| vec![n; 300 + usize::from(n)]).collect();
            let event_ids: Vec<String> = (0..3)
                .map(|n| format!("evt_test_{n}_{}", group[n].id))
                .collect();
            let mut tx = store.begin().await.expect("begin");
            insert_passes(&mut tx, &refs).await.expect("passes");
            let signed: Vec<NewSigned<'_>> = group
                .iter()
                .zip(&signatures)
                .map(|(p, s)| NewSigned {
                    pass: &p.id,
                    version: 1,
                    tag: "t",
                    signature: s,
                })
                .collect();
            put_signed_with_passes(&mut tx, signed, 5)
                .await
                .expect("signatures");
            let events: Vec<NewEvent<'_>> = event_ids
                .iter()
                .enumerate()
                .map(|(n, id)| NewEvent {
                    id,
                    ty: "pass.created",
                    created_at: n as i64,
                    data: format!("{{\"n\":{n}}}"),
                })
                .collect();
            insert_events(&mut tx, events).await.expect("events");
            super::super::commit(tx).await.expect("commit");

            for (p, s) in group.iter().zip(&signatures) {
                let got = store.pass(&p.id).await.expect("read").expect("written");
                assert_eq!(
                    (
                        &got.serial_number,
                        &got.auth_token,
                        &got.custom_fields,
                        &got.overrides,
                        &got.user_id
                    ),
                    (
                        &p.serial_number,
                        &p.auth_token,
                        &p.custom_fields,
                        &p.overrides,
                        &p.user_id
                    ),
                    "{}: each row's own values, not a neighbour's",
                    p.id
                );
                assert_eq!(
                    (got.created_at, got.updated_at, &got.barcode_message),
                    (p.created_at, p.updated_at, &p.barcode_message)
                );
                assert_eq!(
                    store
                        .signed_pass(&p.id, 1, "t")
                        .await
                        .expect("read")
                        .as_ref(),
                    Some(s)
                );
            }
            for (n, id) in event_ids.iter().enumerate() {
                let row = sqlx::query("SELECT type, created_at, data FROM events WHERE id = $1")
                    .bind(id.clone())
                    .fetch_one(&store.pool)
                    .await
                    .expect("event");
                assert_eq!(row.get::<String, _>("data"), format!("{{\"n\":{n}}}"));
                assert_eq!(row.get::<i64, _>("created_at"), n as i64);
            }

            // A serial taken by a stored pass, among new ones: nothing of
            // the group is kept.
            let taken = [record(4, &serial(4)), record(5, &group[1].serial_number)];
            let mut tx = store.begin().await.expect("begin");
            let err = insert_passes(&mut tx, &taken.iter().collect::<Vec<_>>())
                .await
                .expect_err("a taken serial");
            assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
            drop(tx);
            assert!(store.pass(&taken[0].id).await.expect("read").is_none());
            if let Some(schema) = schema {
                drop_schema(&store, &schema).await;
            }
            store.close().await;
        }
    }
}
