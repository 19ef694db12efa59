//! # passforge
//!
//! A wallet pass engine: render pass templates and custom fields into signed
//! Apple Wallet `.pkpass` bundles, in parallel.
//!
//! ```no_run
//! use passforge::{apple::SigningIdentity, issue::{Issuer, Stamp}, template::load_dir};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let template = load_dir("templates/event-ticket".as_ref())?;
//! let identity = SigningIdentity::from_pem(
//!     &std::fs::read("certs-example/pass.pem")?,
//!     Some(&std::fs::read("certs-example/pass.key")?),
//!     None,
//!     &std::fs::read("certs-example/wwdr-ca.pem")?,
//! )?;
//! let issuer = Issuer { template: &template, identity: &identity, web_service_url: None };
//! let row = serde_json::json!({
//!     "attendee": "Ada Lovelace", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00",
//! });
//! let stamp = Stamp::new("TICKET-1", "0123456789abcdef0123", chrono::Utc::now())?;
//! let pass = issuer.issue(row.as_object().expect("an object"), &stamp)?;
//! std::fs::write("TICKET-1.pkpass", &pass.pkpass)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! - [`model`]: identifiers and diagnostics (plain values).
//! - [`template`]: template folders → [`template::Template`]; pure rendering.
//! - [`apple`]: pass.json rules, manifest, CMS signature, `.pkpass` ZIP, verification.
//! - [`data`]: reading rows from JSON, JSONL and CSV.
//! - [`issue`]: one pass, or a batch in parallel.
//!
//! The core does no network and reads no clock or randomness of its own:
//! serial numbers, tokens and the signing time are arguments.

pub mod apple;
pub mod data;
pub mod issue;
pub mod model;
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
