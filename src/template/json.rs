//! Reading JSON the way Apple's parser does: strict JSON, plus a tolerated
//! trailing comma (Apple's own BoardingPass sample has one) and a UTF-8 BOM,
//! each reported as a warning. Output is always written as strict JSON.

use crate::model::{Diagnostic, Location};

/// Parses `bytes` as a JSON value, tolerating trailing commas and a BOM.
///
/// Returns the value and the warnings, or the syntax error with its line and
/// column.
pub(crate) fn parse_lenient(
    file: &str,
    bytes: &[u8],
) -> Result<(serde_json::Value, Vec<Diagnostic>), Diagnostic> {
    let mut warnings = Vec::new();
    let mut bytes = bytes;
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        warnings.push(Diagnostic::warning(
            file,
            Location::LineColumn(1, 1),
            "json.bom",
            "file starts with a UTF-8 byte order mark; it is ignored",
        ));
        bytes = rest;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = line_col(bytes, e.valid_up_to());
            return Err(Diagnostic::error(
                file,
                Location::LineColumn(line, col),
                "json.encoding",
                "file is not valid UTF-8; save it as UTF-8",
            ));
        }
    };
    match from_str_no_dups(text) {
        Ok(v) => Ok((v, warnings)),
        Err(first) => {
            let (fixed, commas) = blank_trailing_commas(text);
            if !commas.is_empty() {
                if let Ok(v) = from_str_no_dups(&fixed) {
                    for offset in commas {
                        let (line, col) = line_col(text.as_bytes(), offset);
                        warnings.push(Diagnostic::warning(
                            file,
                            Location::LineColumn(line, col),
                            "json.trailing_comma",
                            "trailing comma: Apple's parser accepts it, strict JSON does not; remove it",
                        ));
                    }
                    return Ok((v, warnings));
                }
            }
            Err(Diagnostic::error(
                file,
                Location::LineColumn(first.line(), first.column()),
                "json.syntax",
                format!("invalid JSON: {}", strip_position(&first.to_string())),
            ))
        }
    }
}

/// Parses strict JSON into a value, rejecting duplicate object keys (which
/// serde_json would otherwise resolve silently by keeping the last).
fn from_str_no_dups(text: &str) -> Result<serde_json::Value, serde_json::Error> {
    let NoDups(v) = serde_json::from_str(text)?;
    Ok(v)
}

/// A JSON value whose deserialization fails on a duplicate key, so that the
/// error carries serde_json's line and column.
struct NoDups(serde_json::Value);

impl<'de> serde::Deserialize<'de> for NoDups {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDupsVisitor).map(NoDups)
    }
}

struct NoDupsVisitor;

impl<'de> serde::de::Visitor<'de> for NoDupsVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        serde_json::Number::from_f64(v)
            .map(serde_json::Value::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(NoDups(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(serde_json::Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate key {key:?} in one object; keep only one"
                )));
            }
            let NoDups(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(serde_json::Value::Object(out))
    }
}

/// serde_json appends " at line L column C"; we report the location separately.
pub(crate) fn strip_position(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}

/// Follows the strings of JSON text byte by byte (escapes included), for
/// scanners that look at its structure without parsing it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct JsonStrings {
    inside: bool,
    escaped: bool,
}

impl JsonStrings {
    /// Takes the next byte; true when it belongs to a string, its quotes
    /// included.
    pub(crate) fn step(&mut self, b: u8) -> bool {
        if self.inside {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.inside = false;
            }
            true
        } else {
            self.inside = b == b'"';
            self.inside
        }
    }

    /// Whether the bytes so far end inside a string.
    pub(crate) fn open(&self) -> bool {
        self.inside
    }
}

/// Replaces every comma that is followed (after white space) by `}` or `]`
/// with a space, outside strings, keeping every other byte where it was so
/// positions stay meaningful. Returns the new text and the commas' offsets.
fn blank_trailing_commas(text: &str) -> (String, Vec<usize>) {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut commas = Vec::new();
    let mut strings = JsonStrings::default();
    for (i, &b) in bytes.iter().enumerate() {
        if strings.step(b) || b != b',' {
            continue;
        }
        let next = bytes[i + 1..]
            .iter()
            .find(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'));
        if matches!(next, Some(b'}' | b']')) {
            out[i] = b' ';
            commas.push(i);
        }
    }
    // Only an ASCII comma was replaced by an ASCII space, so this stays UTF-8.
    (String::from_utf8_lossy(&out).into_owned(), commas)
}

/// The 1-based line and column of a byte offset.
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_comma_is_a_warning() {
        let (v, w) = parse_lenient("pass.json", b"{\"a\": [1, 2,],\n \"b\": \",}\",\n}")
            .expect("lenient parse");
        assert_eq!(v["a"], serde_json::json!([1, 2]));
        assert_eq!(v["b"], ",}");
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].location, Location::LineColumn(1, 12));
        assert_eq!(w[1].location, Location::LineColumn(2, 11));
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = parse_lenient("pass.json", b"{\n  \"a\": 1\n  \"b\": 2\n}").expect_err("invalid");
        assert_eq!(e.code, "json.syntax");
        assert_eq!(e.location, Location::LineColumn(3, 3));
    }

    #[test]
    fn duplicate_keys_are_errors_with_position() {
        let e = parse_lenient("template.json", b"{\n \"a\": 1,\n \"a\": 2}").expect_err("dup");
        assert!(e.message.contains("duplicate key \"a\""), "{e}");
        assert!(matches!(e.location, Location::LineColumn(3, _)), "{e}");
    }

    #[test]
    fn bom_is_tolerated() {
        let (v, w) = parse_lenient("x.json", b"\xEF\xBB\xBF{}").expect("parse");
        assert!(v.is_object());
        assert_eq!(w[0].code, "json.bom");
    }
}
