//! Plain data shared by every layer: identifiers and diagnostics.
//!
//! This module owns no IO, no clock and no randomness; everything here is a
//! value that can be built and compared in a unit test.

pub(crate) mod diag;
mod ids;

pub use diag::{Diagnostic, Diagnostics, Location, Severity};

/// Lower-case hex of `bytes` (digests, random ids).
pub fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}
pub use ids::{AuthToken, IdError, PassTypeId, SerialNumber, TeamId};
