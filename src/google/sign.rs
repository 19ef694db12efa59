//! RS256 for save JWTs through OpenSSL. jsonwebtoken builds and encodes the
//! token; this provider only computes the signature, with a per-thread
//! OpenSSL context, because its RustCrypto RSA is about ten times slower
//! than OpenSSL's and a save link would otherwise cost ten pass signatures.

use std::cell::RefCell;
use std::sync::Once;

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use openssl::pkey::{PKey, Private};
use openssl::pkey_ctx::PkeyCtx;

/// The process-wide provider: OpenSSL RS256 signing, RustCrypto for the rest.
static PROVIDER: std::sync::LazyLock<CryptoProvider> =
    std::sync::LazyLock::new(|| CryptoProvider {
        signer_factory,
        verifier_factory,
        key_utils: jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
            .key_utils
            .clone(),
    });

static INSTALL: Once = Once::new();

/// Installs the provider once. If the application installed its own first,
/// that one is used (correct, possibly slower).
pub(crate) fn install() {
    INSTALL.call_once(|| {
        let _ = std::sync::LazyLock::force(&PROVIDER).install_default();
    });
}

fn verifier_factory(
    alg: &Algorithm,
    key: &DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key)
}

thread_local! {
    /// The last key this thread signed with (its PKCS#1 DER) and a ready context.
    static CONTEXT: RefCell<Option<(Vec<u8>, PkeyCtx<Private>)>> = const { RefCell::new(None) };
}

fn signer_factory(
    alg: &Algorithm,
    key: &EncodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtSigner>> {
    if *alg != Algorithm::RS256 {
        return (jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.signer_factory)(alg, key);
    }
    Ok(Box::new(OpensslRs256 {
        der: key.as_bytes().to_vec(),
    }))
}

struct OpensslRs256 {
    der: Vec<u8>,
}

fn context(der: &[u8]) -> Result<PkeyCtx<Private>, openssl::error::ErrorStack> {
    let rsa = openssl::rsa::Rsa::private_key_from_der(der)?;
    let key: PKey<Private> = PKey::from_rsa(rsa)?;
    let mut ctx = PkeyCtx::new(&key)?;
    ctx.sign_init()?;
    ctx.set_rsa_padding(openssl::rsa::Padding::PKCS1)?;
    ctx.set_signature_md(openssl::md::Md::sha256())?;
    Ok(ctx)
}

impl signature::Signer<Vec<u8>> for OpensslRs256 {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let digest = openssl::sha::sha256(msg);
        CONTEXT.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|(der, _)| *der != self.der) {
                *slot = Some((
                    self.der.clone(),
                    context(&self.der).map_err(signature::Error::from_source)?,
                ));
            }
            let mut sig = Vec::with_capacity(256);
            match slot.as_mut() {
                Some((_, ctx)) => ctx
                    .sign_to_vec(&digest, &mut sig)
                    .map_err(signature::Error::from_source)?,
                None => return Err(signature::Error::new()),
            };
            Ok(sig)
        })
    }
}

impl JwtSigner for OpensslRs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::RS256
    }
}
