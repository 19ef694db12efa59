//! Plain data shared by every layer: identifiers and diagnostics.
//!
//! This module owns no IO, no clock and no randomness; everything here is a
//! value that can be built and compared in a unit test.

pub(crate) mod diag;
mod ids;

pub use diag::{Diagnostic, Diagnostics, Location, Severity};

/// Lower-case hex of `bytes` (digests, random ids).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
pub use ids::{AuthToken, IdError, PassTypeId, SerialNumber, TeamId};
