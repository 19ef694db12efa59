//! Signed passes (`signed_passes`): each pass's current version's
//! signature, a cache behind the fields in `passes` (see `service::signed`).

use sqlx::Row as _;

use super::{Conn, Store, StoreError};

impl Store {
    /// The signature of `pass` at `version` made under `tag`, if stored.
    ///
    /// # Errors
    /// [`StoreError`].
    pub(crate) async fn signed_pass(
        &self,
        pass: &str,
        version: i64,
        tag: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "SELECT signature FROM signed_passes WHERE pass_id = $1 AND version = $2 AND tag = $3",
        )
        .bind(pass.to_owned())
        .bind(version)
        .bind(tag.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>(0)).transpose()?)
    }

    /// Stores a version's signature made on a read (a miss), unless a newer
    /// version's is stored already or the pass is gone.
    ///
    /// # Errors
    /// [`StoreError`].
    pub(crate) async fn keep_signed(
        &self,
        pass: &str,
        version: i64,
        tag: &str,
        signature: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        put_signed(&mut c, pass, version, tag, signature, now).await
    }
}

/// How a stored signature meets another for the same pass: an older
/// version's is replaced, a newer version's kept (one rule for one row and
/// for many).
macro_rules! keep_newer {
    () => {
        "ON CONFLICT (pass_id) DO UPDATE SET version = excluded.version, tag = excluded.tag, \
         signature = excluded.signature, signed_at = excluded.signed_at \
         WHERE signed_passes.version <= excluded.version"
    };
}

/// Stores a version's signature (in the transaction writing the version),
/// replacing an older version's; a newer version's is kept.
/// Nothing is stored for a pass that is gone.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn put_signed(
    c: &mut Conn,
    pass: &str,
    version: i64,
    tag: &str,
    signature: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(concat!(
        "INSERT INTO signed_passes (pass_id, version, tag, signature, signed_at) \
         SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM passes WHERE id = $1) ",
        keep_newer!()
    ))
    .bind(pass.to_owned())
    .bind(version)
    .bind(tag.to_owned())
    .bind(signature.to_vec())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A signature to store with the version it signs.
#[derive(Debug)]
pub(crate) struct NewSigned<'a> {
    /// The pass.
    pub(crate) pass: &'a str,
    /// The version signed.
    pub(crate) version: i64,
    /// What it was signed under (template and certificate).
    pub(crate) tag: &'a str,
    /// What is kept of the signature: its value (see
    /// `SigningIdentity::signature_from_kept`).
    pub(crate) signature: &'a [u8],
}

/// Stores the signatures of passes written earlier in the same transaction
/// (a group of creates), many to a statement; as [`put_signed`], a newer
/// version's stored signature is kept.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn put_signed_with_passes(
    c: &mut Conn,
    rows: Vec<NewSigned<'_>>,
    now: i64,
) -> Result<(), StoreError> {
    super::insert_rows(
        c,
        "signed_passes (pass_id, version, tag, signature, signed_at)",
        concat!(" ", keep_newer!()),
        5,
        rows,
        |q, r| {
            q.bind(r.pass.to_owned())
                .bind(r.version)
                .bind(r.tag.to_owned())
                .bind(r.signature.to_vec())
                .bind(now)
        },
    )
    .await?;
    Ok(())
}
