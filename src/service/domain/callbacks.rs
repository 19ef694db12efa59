//! Google Wallet callbacks: Google tells the issuer when a pass is saved
//! to or deleted from a wallet. Messages are verified per Google's
//! `ECv2SigningOnly` scheme — the intermediate signing key signed by one of
//! Google's root signing keys, the message signed by the intermediate key,
//! both ECDSA P-256 / SHA-256 over length-prefixed fields — then
//! `expTimeMillis` is checked and the `nonce` deduplicated. `save` creates a
//! connection (platform google), `del` removes it.

use base64::Engine as _;
use http::StatusCode;
use serde_json::{json, Value};

use crate::service::clock::now_ms;
use crate::service::config::{CallbackConfig, PROTOCOL};
use crate::service::db;
use crate::service::db::apple::Removal;
use crate::service::domain::{commit, connections, links};
use crate::service::error::ApiError;
use crate::service::outbox::Effect;
use crate::service::state::AppState;

/// Google's length-value encoding: each field as a 4-byte little-endian
/// length and its UTF-8 bytes.
pub(crate) fn length_value(fields: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        out.extend_from_slice(&u32::try_from(f.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(f.as_bytes());
    }
    out
}

fn verify(key_b64: &str, signature_b64: &str, data: &[u8]) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (Ok(der), Ok(sig)) = (b64.decode(key_b64), b64.decode(signature_b64)) else {
        return false;
    };
    let Ok(key) = openssl::pkey::PKey::public_key_from_der(&der) else {
        return false;
    };
    let Ok(mut v) = openssl::sign::Verifier::new(openssl::hash::MessageDigest::sha256(), &key)
    else {
        return false;
    };
    v.update(data).is_ok() && v.verify(&sig).unwrap_or(false)
}

/// Verifies a callback and returns its signed message.
///
/// # Errors
/// What failed, for the log (the caller answers 401 without it).
pub(crate) fn verify_callback(
    cfg: &CallbackConfig,
    body: &Value,
    now_ms: i64,
) -> Result<Value, String> {
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let protocol = text(body, "protocolVersion").ok_or("no protocolVersion")?;
    if protocol != PROTOCOL {
        return Err(format!("protocolVersion {protocol:?} is not {PROTOCOL}"));
    }
    let signature = text(body, "signature").ok_or("no signature")?;
    let signed_message = text(body, "signedMessage").ok_or("no signedMessage")?;
    let intermediate = body
        .get("intermediateSigningKey")
        .ok_or("no intermediateSigningKey")?;
    let signed_key = text(intermediate, "signedKey").ok_or("no signedKey")?;
    let key_signatures: Vec<String> = intermediate
        .get("signatures")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let key_data = length_value(&[&cfg.sender_id, PROTOCOL, &signed_key]);
    let key_ok = key_signatures.iter().any(|sig| {
        cfg.root_keys
            .iter()
            .any(|root| verify(root, sig, &key_data))
    });
    if !key_ok {
        return Err("the intermediate signing key is not signed by a configured root key".into());
    }
    let key: Value = serde_json::from_str(&signed_key).map_err(|e| format!("signedKey: {e}"))?;
    let expiration: i64 = text(&key, "keyExpiration")
        .and_then(|e| e.parse().ok())
        .ok_or("signedKey has no keyExpiration")?;
    if expiration <= now_ms {
        return Err("the intermediate signing key has expired".into());
    }
    let key_value = text(&key, "keyValue").ok_or("signedKey has no keyValue")?;
    let message_data =
        length_value(&[&cfg.sender_id, &cfg.recipient_id, PROTOCOL, &signed_message]);
    if !verify(&key_value, &signature, &message_data) {
        return Err("the message signature does not verify".into());
    }
    let message: Value =
        serde_json::from_str(&signed_message).map_err(|e| format!("signedMessage: {e}"))?;
    let expires = message
        .get("expTimeMillis")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .ok_or("signedMessage has no expTimeMillis")?;
    if expires <= now_ms {
        return Err("the message has expired (expTimeMillis)".into());
    }
    Ok(message)
}

/// Handles one callback body (already parsed as JSON).
///
/// # Errors
/// 404 when callbacks are not configured; 401 when it does not verify.
pub(crate) async fn receive(state: &AppState, body: &Value) -> Result<(), ApiError> {
    let Some(cfg) = state.inner.config.google_callbacks.as_ref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "callbacks_not_configured",
            "Google callbacks are not configured on this server",
        ));
    };
    let message = verify_callback(cfg, body, now_ms()).map_err(|why| {
        tracing::warn!(reason = %why, "Google callback refused");
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_callback_signature",
            "the callback does not verify",
        )
    })?;
    let text = |k: &str| {
        message
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let nonce = text("nonce");
    let event = text("eventType");
    let object_id = text("objectId");
    let now = now_ms();
    let mut tx = state.inner.store.begin().await?;
    // The nonce table doubles as the write lock's first statement.
    let fresh = db::google::fresh_nonce(&mut tx, &nonce, now).await?;
    if !fresh || nonce.is_empty() {
        db::commit(tx).await?;
        tracing::info!(nonce, "Google callback replayed; ignored");
        return Ok(());
    }
    let serial = object_id
        .split_once('.')
        .map(|(_, s)| s.to_owned())
        .unwrap_or_default();
    let Some(pass) = state.inner.store.pass_by_serial(&serial).await? else {
        db::commit(tx).await?;
        tracing::warn!(object = %object_id, "Google callback for an unknown object");
        return Ok(());
    };
    match event.as_str() {
        "save" => {
            let id = format!("con_{}", uuid::Uuid::now_v7().simple());
            let effects = if db::apple::google_saved(&mut tx, &id, &object_id, &pass.id, now)
                .await?
            {
                vec![Effect::event(
                    "connection.created",
                    json!({"id": id, "object": "connection", "platform": "google", "passId": pass.id,
                           "deviceLibraryIdentifier": object_id, "state": "active"}),
                )]
            } else {
                Vec::new()
            };
            commit(state, tx, &effects).await?;
            links::pass_installed(state, &pass.id, "google").await?;
        }
        "del" => {
            db::commit(tx).await?;
            connections::remove(
                state,
                &Removal::Device {
                    platform: "google",
                    device: &object_id,
                    pass_id: &pass.id,
                },
                "deleted from Google Wallet",
            )
            .await?;
        }
        other => {
            db::commit(tx).await?;
            tracing::info!(event = other, "Google callback of an unknown type; ignored");
        }
    }
    Ok(())
}
