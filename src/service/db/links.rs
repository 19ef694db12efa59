//! Distribution links (`links`) and the passes they handed out
//! (`link_passes`).

use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::{Conn, StoreError};

/// A stored link.
#[derive(Debug, Clone)]
pub(crate) struct LinkRow {
    /// `lnk_…`
    pub(crate) id: String,
    /// The code in `/l/{code}`.
    pub(crate) code: String,
    /// A template link: each claim issues a pass.
    pub(crate) template_id: Option<String>,
    /// A pass link: hands out this pass.
    pub(crate) pass_id: Option<String>,
    /// A multi-pass link: hands out these passes together (2 to 10).
    pub(crate) pass_ids: Vec<String>,
    /// The user the passes a template link issues belong to.
    pub(crate) user_id: Option<String>,
    /// The fields of the passes a template link issues, JSON text.
    pub(crate) custom_fields: Option<String>,
    /// Most claims.
    pub(crate) max_claims: i64,
    /// Claims so far.
    pub(crate) claims: i64,
    /// The link's own webhook endpoint.
    pub(crate) endpoint_id: Option<String>,
    /// Where the holder returns.
    pub(crate) return_url: Option<String>,
    /// The caller's id for the link.
    pub(crate) external_id: Option<String>,
    /// pending, opened, issued, completed, revoked.
    pub(crate) status: String,
    /// Unix ms.
    pub(crate) expires_at: i64,
    /// Unix ms.
    pub(crate) created_at: i64,
}

const COLUMNS: &str = "id, code, template_id, pass_id, custom_fields, max_claims, claims, \
                       endpoint_id, return_url, external_id, status, expires_at, created_at, \
                       pass_ids, user_id";

impl LinkRow {
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            template_id: r.try_get("template_id")?,
            pass_id: r.try_get("pass_id")?,
            pass_ids: r
                .try_get::<Option<String>, _>("pass_ids")?
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default(),
            user_id: r.try_get("user_id")?,
            custom_fields: r.try_get("custom_fields")?,
            max_claims: r.try_get("max_claims")?,
            claims: r.try_get("claims")?,
            endpoint_id: r.try_get("endpoint_id")?,
            return_url: r.try_get("return_url")?,
            external_id: r.try_get("external_id")?,
            status: r.try_get("status")?,
            expires_at: r.try_get("expires_at")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// Stores a new, pending link.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_link(c: &mut Conn, l: &LinkRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO links (id, code, template_id, pass_id, custom_fields, max_claims, claims, endpoint_id, \
         return_url, external_id, status, expires_at, created_at, updated_at, pass_ids, user_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15)",
    )
    .bind(l.id.clone())
    .bind(l.code.clone())
    .bind(l.template_id.clone())
    .bind(l.pass_id.clone())
    .bind(l.custom_fields.clone())
    .bind(l.max_claims)
    .bind(l.claims)
    .bind(l.endpoint_id.clone())
    .bind(l.return_url.clone())
    .bind(l.external_id.clone())
    .bind(l.status.clone())
    .bind(l.expires_at)
    .bind(l.created_at)
    .bind(if l.pass_ids.is_empty() {
        None
    } else {
        Some(serde_json::Value::from(l.pass_ids.clone()).to_string())
    })
    .bind(l.user_id.clone())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// One link by id.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn link(c: &mut Conn, id: &str) -> Result<Option<LinkRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links WHERE id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(LinkRow::from_row).transpose()
}

/// One link by code.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn link_by_code(c: &mut Conn, code: &str) -> Result<Option<LinkRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links WHERE code = $1"
    )))
    .bind(code.to_owned())
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(LinkRow::from_row).transpose()
}

/// The newest `limit` links.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn newest_links(c: &mut Conn, limit: i64) -> Result<Vec<LinkRow>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links ORDER BY id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(LinkRow::from_row).collect()
}

/// Revokes a link; false when there is none.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn revoke(c: &mut Conn, id: &str, now: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE links SET status = 'revoked', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_owned())
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A link's lifecycle states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkStatus {
    /// Created, not opened.
    Pending,
    /// Opened.
    Opened,
    /// A pass was issued or handed out.
    Issued,
    /// A wallet installed a pass it issued.
    Completed,
}

impl LinkStatus {
    /// The stored spelling.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Opened => "opened",
            Self::Issued => "issued",
            Self::Completed => "completed",
        }
    }
}

/// Moves a link to `to` if it is in one of `from`; false when it was not.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn advance(
    c: &mut Conn,
    id: &str,
    from: &[LinkStatus],
    to: LinkStatus,
    now: i64,
) -> Result<bool, StoreError> {
    let list = from
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE links SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ({list})"
    )))
    .bind(to.as_str())
    .bind(now)
    .bind(id.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes one claim of a template link; false when none is left.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn take_claim(c: &mut Conn, id: &str, now: i64) -> Result<bool, StoreError> {
    let taken = sqlx::query(
        "UPDATE links SET claims = claims + 1, updated_at = $1 WHERE id = $2 AND claims < max_claims",
    )
    .bind(now)
    .bind(id.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(taken.rows_affected() > 0)
}

/// Records that the link handed out `pass_id` on `platform`; true when the
/// link had not handed out this pass before (on any platform).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn record_pass(
    c: &mut Conn,
    link: &str,
    pass_id: &str,
    platform: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let known =
        sqlx::query("SELECT 1 AS known FROM link_passes WHERE link_id = $1 AND pass_id = $2")
            .bind(link.to_owned())
            .bind(pass_id.to_owned())
            .fetch_optional(&mut *c)
            .await?
            .is_some();
    sqlx::query(
        "INSERT INTO link_passes (link_id, pass_id, platform, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(link.to_owned())
    .bind(pass_id.to_owned())
    .bind(platform.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(!known)
}

/// The passes a link handed out: pass id, platform, serial number.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn passes_of(
    c: &mut Conn,
    link: &str,
) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT lp.pass_id, lp.platform, p.serial_number FROM link_passes lp \
         LEFT JOIN passes p ON p.id = lp.pass_id WHERE lp.link_id = $1 ORDER BY lp.created_at",
    )
    .bind(link.to_owned())
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("pass_id")?,
                r.try_get("platform")?,
                r.try_get("serial_number")?,
            ))
        })
        .collect()
}

/// The links that handed out a pass.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn links_of_pass(c: &mut Conn, pass_id: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT link_id FROM link_passes WHERE pass_id = $1")
        .bind(pass_id.to_owned())
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("link_id")?)).collect()
}

/// Stores a one-time code of a link (its SHA-256 only).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_code(
    c: &mut Conn,
    code_hash: &str,
    link: &str,
    expires_at: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO link_codes (code_hash, link_id, expires_at, used_at, created_at) VALUES ($1, $2, $3, NULL, $4)",
    )
    .bind(code_hash.to_owned())
    .bind(link.to_owned())
    .bind(expires_at)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// What became of a code someone tried to exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeUse {
    /// Taken now, by this exchange.
    Taken,
    /// No such code for this link.
    Unknown,
    /// Exchanged before.
    Used,
    /// Past its ten minutes.
    Expired,
}

/// Takes a link's code once: marks it used if it is unused and in time
/// (one conditional UPDATE, so two exchanges racing cannot both win).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn take_code(
    c: &mut Conn,
    code_hash: &str,
    link: &str,
    now: i64,
) -> Result<CodeUse, StoreError> {
    let taken = sqlx::query(
        "UPDATE link_codes SET used_at = $1 WHERE code_hash = $2 AND link_id = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(code_hash.to_owned())
    .bind(link.to_owned())
    .execute(&mut *c)
    .await?;
    if taken.rows_affected() > 0 {
        return Ok(CodeUse::Taken);
    }
    let row = sqlx::query("SELECT used_at FROM link_codes WHERE code_hash = $1 AND link_id = $2")
        .bind(code_hash.to_owned())
        .bind(link.to_owned())
        .fetch_optional(&mut *c)
        .await?;
    Ok(match row {
        None => CodeUse::Unknown,
        Some(r) if r.try_get::<Option<i64>, _>("used_at")?.is_some() => CodeUse::Used,
        Some(_) => CodeUse::Expired,
    })
}

/// Erases the holder data a link keeps for `user`: the fields of the passes
/// its template links would issue for them.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn erase_user(c: &mut Conn, user: &str, now: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE links SET custom_fields = NULL, status = 'revoked', updated_at = $1 WHERE user_id = $2",
    )
    .bind(now)
    .bind(user.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected())
}
