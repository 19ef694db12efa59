//! Link-signing keys (`link_keys`) and opened smart links (`smart_links`).

use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::{Conn, Store, StoreError};

/// A link-signing key.
#[derive(Debug, Clone)]
pub struct LinkKeyRecord {
    /// `lk_…`.
    pub id: String,
    /// The HMAC secret (`lks_…`).
    pub secret: String,
    /// What it is for.
    pub description: Option<String>,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Revoked (Unix ms), if it is.
    pub revoked_at: Option<i64>,
}

impl LinkKeyRecord {
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.try_get("id")?,
            secret: r.try_get("secret")?,
            description: r.try_get("description")?,
            created_at: r.try_get("created_at")?,
            revoked_at: r.try_get("revoked_at")?,
        })
    }
}

/// An opened smart link: the pass it made.
#[derive(Debug, Clone)]
pub struct SmartLinkRecord {
    /// The template id and the link id.
    pub id: String,
    /// The hash of the canonical string it was signed over.
    pub canonical_hash: String,
    /// The pass it made.
    pub pass_id: String,
}

impl Store {
    /// Stores a new link-signing key.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn insert_link_key(&self, k: &LinkKeyRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO link_keys (id, secret, description, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(k.id.clone())
        .bind(k.secret.clone())
        .bind(k.description.clone())
        .bind(k.created_at)
        .bind(k.revoked_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every link-signing key, newest first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn link_keys(&self) -> Result<Vec<LinkKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, secret, description, created_at, revoked_at FROM link_keys \
             ORDER BY id DESC LIMIT 100",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(LinkKeyRecord::from_row).collect()
    }

    /// One link-signing key.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn link_key(&self, id: &str) -> Result<Option<LinkKeyRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, secret, description, created_at, revoked_at FROM link_keys WHERE id = $1",
        )
        .bind(id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(LinkKeyRecord::from_row).transpose()
    }

    /// Revokes a link-signing key; false when there is no live one.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn revoke_link_key(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE link_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// An opened smart link.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn smart_link(&self, id: &str) -> Result<Option<SmartLinkRecord>, StoreError> {
        let row = sqlx::query("SELECT id, canonical_hash, pass_id FROM smart_links WHERE id = $1")
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(SmartLinkRecord {
                id: r.try_get("id")?,
                canonical_hash: r.try_get("canonical_hash")?,
                pass_id: r.try_get("pass_id")?,
            })
        })
        .transpose()
    }
}

/// Records the pass an opened smart link made.
///
/// # Errors
/// [`StoreError::Conflict`] when the link was recorded first by another.
pub(crate) async fn insert_smart_link(
    c: &mut Conn,
    r: &SmartLinkRecord,
    template_id: &str,
    link_id: &str,
    key_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO smart_links (id, template_id, link_id, key_id, canonical_hash, pass_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id.clone())
    .bind(template_id.to_owned())
    .bind(link_id.to_owned())
    .bind(key_id.to_owned())
    .bind(r.canonical_hash.clone())
    .bind(r.pass_id.clone())
    .bind(now)
    .execute(&mut *c)
    .await;
    match done {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StoreError::Conflict("this smart link"))
        }
        Err(e) => Err(e.into()),
    }
}
