//! # passforge
//!
//! A wallet pass engine: render pass templates and custom fields into signed
//! Apple Wallet `.pkpass` bundles and Google Wallet save links, in parallel.
//!
//! ```no_run
//! use passforge::{load_dir, Issuer, SigningIdentity, Stamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let template = load_dir("templates/event-ticket".as_ref())?;
//! let identity = SigningIdentity::from_pem(
//!     &std::fs::read("certs-example/pass.pem")?,
//!     Some(&std::fs::read("certs-example/pass.key")?),
//!     None,
//!     &std::fs::read("certs-example/wwdr-ca.pem")?,
//! )?;
//! let issuer = Issuer::new(&template, &identity);
//! let row = serde_json::json!({
//!     "attendee": "Ada Lovelace", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00",
//! });
//! let stamp = Stamp::new("TICKET-1", "0123456789abcdef0123", chrono::Utc::now())?;
//! let pass = issuer.issue(row.as_object().expect("an object"), &stamp)?;
//! if let Some(pkpass) = &pass.pkpass {
//!     pkpass.write_to(&mut std::fs::File::create("TICKET-1.pkpass")?)?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The same row as a Google Wallet save link (rendered once for both):
//!
//! ```no_run
//! use passforge::google::{test_service_account, GoogleConfig, IssuerId, ServiceAccount};
//! use passforge::issue::{Issuer, Stamp};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let template = passforge::template::load_dir("templates/coupon".as_ref())?;
//! let identity = passforge::apple::test_identity::load()?;
//! let google = GoogleConfig {
//!     issuer_id: IssuerId::parse("3388000000012345678")?,
//!     service_account: ServiceAccount::from_json(&std::fs::read("service-account.json")?)?,
//!     origins: vec!["https://shop.example.com".into()],
//!     public_url: Some("https://passes.example.com".into()),
//! };
//! let issuer = Issuer::new(&template, &identity).google(Some(&google));
//! let row = serde_json::json!({"offer": "Boots", "discount": 15, "code": "BOOTS-15", "expires": "2027-03-31"});
//! let stamp = Stamp::new("COUPON-1", "0123456789abcdef0123", chrono::Utc::now())?;
//! let pass = issuer.issue(row.as_object().expect("an object"), &stamp)?;
//! println!("{}", pass.google.expect("google output").save.url);
//! # let _ = test_service_account::ISSUER_ID;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! - [`model`]: identifiers and diagnostics (plain values).
//! - [`template`]: template folders → [`template::Template`]; pure rendering.
//! - [`apple`]: pass.json rules, manifest, CMS signature, `.pkpass` ZIP, verification.
//! - [`google`]: Apple style → Google Wallet class and object, save JWT.
//! - [`data`]: reading rows from JSON, JSONL and CSV.
//! - [`issue`]: one pass, or a batch in parallel.
//! - `service` (feature `server`): the HTTP API over a SQLite or PostgreSQL store.
//!
//! The core does no network and reads no clock or randomness of its own:
//! serial numbers, tokens and the signing time are arguments.

pub mod apple;
pub mod data;
#[doc(hidden)]
pub mod fuzzing;

pub use apple::{Pkpass, SigningIdentity};
pub use google::GoogleConfig;
pub use issue::{IssueError, IssuedPass, Issuer, Stamp};
pub use model::{AuthToken, Diagnostic, SerialNumber};
pub use template::{load_dir, Template, TemplateError};
pub mod google;
pub mod issue;
pub mod model;
pub mod passbuilder;
#[cfg(feature = "preview")]
pub mod preview;
#[cfg(feature = "server")]
pub mod service;
pub mod smartlink;
#[cfg(feature = "studio")]
pub mod studio;
pub mod template;

#[cfg(test)]
pub(crate) mod test_support {
    /// A blank PNG of the given size.
    pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([10, 20, 30, 255]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encode png");
        out.into_inner()
    }
}
