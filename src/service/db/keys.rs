//! API keys (`api_keys`).

use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::{now_ms, Store, StoreError};

impl Store {
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
}

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
