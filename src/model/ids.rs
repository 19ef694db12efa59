//! Newtypes for identifiers and secrets, parsed once at the edges.

use std::fmt;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is empty.
    #[error("{kind} must not be empty")]
    Empty {
        /// Which identifier.
        kind: &'static str,
    },
    /// The string is too long.
    #[error("{kind} is {len} characters long; at most {max} are allowed")]
    TooLong {
        /// Which identifier.
        kind: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The string holds a character that is not allowed.
    #[error("{kind} {value:?} contains {ch:?}; only {allowed} are allowed")]
    BadChar {
        /// Which identifier.
        kind: &'static str,
        /// The rejected value.
        value: String,
        /// The first bad character.
        ch: char,
        /// What is allowed.
        allowed: &'static str,
    },
}

fn check(
    kind: &'static str,
    s: &str,
    max: usize,
    ok: impl Fn(char) -> bool,
    allowed: &'static str,
) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind });
    }
    let len = s.chars().count();
    if len > max {
        return Err(IdError::TooLong { kind, len, max });
    }
    if let Some(ch) = s.chars().find(|c| !ok(*c)) {
        return Err(IdError::BadChar {
            kind,
            value: s.to_owned(),
            ch,
            allowed,
        });
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// A pass serial number. It names output files, so it is limited to
    /// `A–Z a–z 0–9 . _ -`, 1 to 128 characters, not starting with `.`.
    SerialNumber
);

impl fmt::Debug for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SerialNumber({:?})", self.0)
    }
}

impl SerialNumber {
    /// Parses a serial number.
    ///
    /// # Errors
    /// When the string is empty, longer than 128 characters, starts with `.`
    /// or holds a character other than ASCII letters, digits, `.`, `_` and `-`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        const ALLOWED: &str = "ASCII letters, digits, '.', '_' and '-'";
        check(
            "serial number",
            s,
            128,
            |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'),
            ALLOWED,
        )?;
        if s.starts_with('.') {
            return Err(IdError::BadChar {
                kind: "serial number",
                value: s.to_owned(),
                ch: '.',
                allowed: "a leading '.' is not; ASCII letters, digits, '.', '_' and '-'",
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// The serial number spelled as `uuid` in its hyphenated form (always
    /// valid: hex digits and hyphens).
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(uuid.hyphenated().to_string())
    }

    /// A fresh serial number: a v7 UUID (74 random bits after the time).
    pub fn random() -> Self {
        Self::from_uuid(uuid::Uuid::now_v7())
    }
}

id_type!(
    /// An Apple Pass Type Identifier such as `pass.com.example.tickets`.
    PassTypeId
);

impl fmt::Debug for PassTypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PassTypeId({:?})", self.0)
    }
}

impl PassTypeId {
    /// Parses a pass type identifier (reverse-DNS, starting with `pass.`).
    ///
    /// # Errors
    /// When the string does not start with `pass.` or holds characters other
    /// than ASCII letters, digits, `.` and `-`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check(
            "pass type identifier",
            s,
            255,
            |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'),
            "ASCII letters, digits, '.', '-' and '_'",
        )?;
        if !s.starts_with("pass.") || s.len() <= 5 {
            return Err(IdError::BadChar {
                kind: "pass type identifier",
                value: s.to_owned(),
                ch: s.chars().next().unwrap_or(' '),
                allowed: "identifiers starting with 'pass.'",
            });
        }
        Ok(Self(s.to_owned()))
    }
}

id_type!(
    /// An Apple developer team identifier (ten letters and digits).
    TeamId
);

impl fmt::Debug for TeamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TeamId({:?})", self.0)
    }
}

impl TeamId {
    /// Parses a team identifier.
    ///
    /// # Errors
    /// When the string is empty, longer than 32 characters or not alphanumeric.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check(
            "team identifier",
            s,
            32,
            |c| c.is_ascii_alphanumeric(),
            "ASCII letters and digits",
        )?;
        Ok(Self(s.to_owned()))
    }
}

/// The per-pass `authenticationToken` a device presents to the web service.
/// A secret: its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AuthToken(String);

impl AuthToken {
    /// Parses a token: at least 16 printable ASCII characters, as Apple requires.
    ///
    /// # Errors
    /// When the token is shorter than 16 characters or holds non-printable or
    /// non-ASCII characters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check(
            "authentication token",
            s,
            512,
            |c| c.is_ascii_graphic(),
            "printable ASCII characters",
        )?;
        if s.len() < 16 {
            return Err(IdError::TooLong {
                kind: "authentication token (minimum 16)",
                len: s.len(),
                max: 16,
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// A fresh random token: the 32 hex digits of a v4 UUID (122 random
    /// bits; always valid).
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The token itself, for writing into pass.json.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_numbers_are_file_safe() {
        assert!(SerialNumber::parse("ABC-123_x.y").is_ok());
        assert!(SerialNumber::parse("").is_err());
        assert!(SerialNumber::parse("../etc").is_err());
        assert!(SerialNumber::parse(".hidden").is_err());
        assert!(SerialNumber::parse("a/b").is_err());
        assert!(SerialNumber::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn tokens_are_redacted_and_long_enough() {
        assert!(AuthToken::parse("short").is_err());
        let t = AuthToken::parse("0123456789abcdef").expect("valid token");
        assert_eq!(format!("{t:?}"), "AuthToken(<redacted>)");
        assert!(PassTypeId::parse("pass.com.example").is_ok());
        assert!(PassTypeId::parse("com.example").is_err());
        assert!(TeamId::parse("ABCDE12345").is_ok());
    }

    #[test]
    fn generated_ids_are_valid_and_fresh() {
        let (a, b) = (SerialNumber::random(), SerialNumber::random());
        assert_ne!(a, b);
        assert_eq!(SerialNumber::parse(a.as_str()).ok(), Some(a));
        let v5 = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, b"row 1");
        let s = SerialNumber::from_uuid(v5);
        assert_eq!(s.as_str(), v5.to_string());
        assert_eq!(s.as_str().matches('-').count(), 4);
        let (t, u) = (AuthToken::random(), AuthToken::random());
        assert_ne!(t, u);
        assert_eq!(t.expose().len(), 32);
        assert!(t.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(AuthToken::parse(t.expose()).ok(), Some(t));
    }
}
