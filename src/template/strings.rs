//! `xx.lproj/pass.strings`: Apple's "key" = "value"; format, in UTF-8 or
//! UTF-16 with a byte order mark. Parsed to validate it and to feed Google's
//! `translatedValues`; the bytes themselves are packaged unchanged.

use crate::model::{Diagnostic, Location};

/// The entries of one pass.strings file, in file order.
pub type StringsTable = Vec<(String, String)>;

/// Decodes and parses a pass.strings file.
///
/// Returns the entries and any warnings, or every error found (with lines).
pub(crate) fn parse_strings(file: &str, bytes: &[u8]) -> (StringsTable, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let text = match decode(bytes) {
        Ok(t) => t,
        Err(msg) => {
            diags.push(Diagnostic::error(
                file,
                Location::File,
                "strings.encoding",
                msg,
            ));
            return (Vec::new(), diags);
        }
    };
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
    };
    let mut entries: StringsTable = Vec::new();
    loop {
        if let Err(msg) = p.skip_trivia() {
            diags.push(Diagnostic::error(
                file,
                Location::Line(p.line),
                "strings.parse_error",
                msg,
            ));
            break;
        }
        if p.peek().is_none() {
            break;
        }
        let line = p.line;
        match p.entry() {
            Ok((k, v)) => {
                if entries.iter().any(|(e, _)| *e == k) {
                    diags.push(Diagnostic::warning(
                        file,
                        Location::Line(line),
                        "strings.duplicate_key",
                        format!("key {k:?} appears more than once; the last value wins"),
                    ));
                    entries.retain(|(e, _)| *e != k);
                }
                entries.push((k, v));
            }
            Err(msg) => {
                diags.push(Diagnostic::error(
                    file,
                    Location::Line(p.line),
                    "strings.parse_error",
                    format!("{msg}; each entry must look like \"key\" = \"value\";"),
                ));
                break;
            }
        }
    }
    (entries, diags)
}

fn decode(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |b: &[u8], le: bool| -> Result<String, String> {
        if !b.len().is_multiple_of(2) {
            return Err("UTF-16 file has an odd number of bytes".to_owned());
        }
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| "invalid UTF-16".to_owned())
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if rest.len() >= 2 && (rest[0] == 0 || rest[1] == 0) {
        return Err(
            "looks like UTF-16 without a byte order mark; save it as UTF-8 or UTF-16 with a BOM"
                .to_owned(),
        );
    }
    String::from_utf8(rest.to_vec())
        .map_err(|_| "not valid UTF-8; save it as UTF-8 or UTF-16 with a BOM".to_owned())
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_trivia(&mut self) -> Result<(), String> {
        loop {
            match (self.peek(), self.chars.get(self.pos + 1).copied()) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while !matches!(self.peek(), None | Some('\n')) {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    let start = self.line;
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            None => {
                                return Err(format!(
                                    "comment opened on line {start} is never closed"
                                ))
                            }
                            Some('*') if self.peek() == Some('/') => {
                                self.bump();
                                break;
                            }
                            Some(_) => {}
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn expect(&mut self, want: char) -> Result<(), String> {
        self.skip_trivia()?;
        match self.peek() {
            Some(c) if c == want => {
                self.bump();
                Ok(())
            }
            Some(c) => Err(format!("expected '{want}', found '{c}'")),
            None => Err(format!("expected '{want}', found the end of the file")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_trivia()?;
        match self.peek() {
            Some('"') => {}
            Some(c) => return Err(format!("expected a quoted string, found '{c}'")),
            None => return Err("expected a quoted string, found the end of the file".to_owned()),
        }
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None => return Err("string is never closed".to_owned()),
                Some('"') => return Ok(s),
                Some('\\') => match self.bump() {
                    Some('n') => s.push('\n'),
                    Some('t') => s.push('\t'),
                    Some('r') => s.push('\r'),
                    Some('0') => s.push('\0'),
                    Some(c @ ('"' | '\\' | '\'')) => s.push(c),
                    Some('U' | 'u') => {
                        let hex: String = (0..4).filter_map(|_| self.bump()).collect();
                        let ch = u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("bad unicode escape \\U{hex}"))?;
                        s.push(ch);
                    }
                    Some(c) => return Err(format!("unknown escape \\{c}")),
                    None => return Err("string is never closed".to_owned()),
                },
                Some(c) => s.push(c),
            }
        }
    }

    fn entry(&mut self) -> Result<(String, String), String> {
        let key = self.string()?;
        self.expect('=')?;
        let value = self.string()?;
        self.expect(';')?;
        Ok((key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utf8_with_comments_and_escapes() {
        let src =
            "/* header */\n\"EVENT\" = \"Événement\";\n// c\n\"Q\" = \"say \\\"hi\\\"\\n\";\n";
        let (e, d) = parse_strings("fr.lproj/pass.strings", src.as_bytes());
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            e,
            vec![
                ("EVENT".into(), "Événement".into()),
                ("Q".into(), "say \"hi\"\n".into())
            ]
        );
    }

    #[test]
    fn parses_utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "\"A\" = \"b\";".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let (e, d) = parse_strings("x", &bytes);
        assert!(d.is_empty());
        assert_eq!(e, vec![("A".into(), "b".into())]);
    }

    #[test]
    fn bad_line_is_reported_with_its_number() {
        let (_, d) = parse_strings("de.lproj/pass.strings", b"\"A\" = \"b\";\n\"C\" \"d\";\n");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "strings.parse_error");
        assert_eq!(d[0].location, Location::Line(2));
        let (_, d) = parse_strings("x", b"\"A\" = \"b\"\n");
        assert_eq!(d[0].code, "strings.parse_error");
        let (_, d) = parse_strings("x", b"\0A\0=");
        assert_eq!(d[0].code, "strings.encoding");
    }
}
