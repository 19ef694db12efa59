//! Rows of custom field values from JSON (one object, or an array of
//! objects), JSONL (one object per line) or CSV (a header row, then one pass
//! per row). Rows are read lazily so a batch never holds them all, a JSON
//! array included.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};

use crate::template::json::JsonStrings;

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// One JSON object, or an array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// One Pass Builder personalization payload (`.pb`, a `PassPackage`
    /// protobuf message): one row (see [`crate::passbuilder`]).
    PassBuilder,
}

impl DataFormat {
    /// Guesses the format from a file extension (`.json`, `.jsonl`/`.ndjson`,
    /// `.csv`, `.pb`).
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            "csv" => Some(Self::Csv),
            "pb" => Some(Self::PassBuilder),
            _ => None,
        }
    }
}

/// One row of input.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based record number (the header of a CSV is not counted).
    pub number: usize,
    /// 1-based line in the file where the record starts, when known.
    pub line: Option<u64>,
    /// The values by column or key.
    pub values: Map<String, Value>,
}

/// A problem with the input, at a row or for the whole file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location(*row, *line))]
pub struct DataError {
    /// The 1-based record number, or `None` for the whole file.
    pub row: Option<usize>,
    /// The 1-based line, when known.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

fn location(row: Option<usize>, line: Option<u64>) -> String {
    match (row, line) {
        (Some(r), Some(l)) => format!("row {r} (line {l}): "),
        (Some(r), None) => format!("row {r}: "),
        (None, Some(l)) => format!("line {l}: "),
        (None, None) => String::new(),
    }
}

/// Where the line ends of a CSV input are, so that a record's line is told
/// exactly. `csv::Position::line` is one short for every record after a
/// CRLF line end (BurntSushi/rust-csv#395; spreadsheets write CRLF), counts
/// no lines in CR-only files and places a record after blank lines on the
/// first of them.
#[derive(Debug, Default)]
struct LineEnds {
    /// Bytes read so far.
    read: u64,
    /// Offsets of the CR and LF bytes no record has passed yet.
    ahead: VecDeque<(u64, u8)>,
    /// Line ends (LF, CRLF or a lone CR) before `ahead`.
    passed: u64,
}

impl LineEnds {
    /// The 1-based line of a record that the CSV reader placed at byte
    /// `at` (records are asked for in order). The reader places a record on
    /// its first byte, or on the line ends it skipped before it (the LF of
    /// a CRLF, blank lines): those count as before it.
    fn line_at(&mut self, at: u64) -> u64 {
        let mut leading = at;
        while let Some(&(offset, byte)) = self.ahead.front() {
            if offset == leading {
                leading += 1;
            } else if offset > at {
                break;
            }
            self.ahead.pop_front();
            let cr_of_crlf = byte == b'\r'
                && self
                    .ahead
                    .front()
                    .is_some_and(|&(next, b)| next == offset + 1 && b == b'\n');
            if !cr_of_crlf {
                self.passed += 1;
            }
        }
        self.passed + 1
    }
}

/// A reader that notes the line ends passing through it.
struct NoteLineEnds<R> {
    inner: R,
    ends: Arc<Mutex<LineEnds>>,
}

impl<R: Read> Read for NoteLineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut ends = self.ends.lock().unwrap_or_else(PoisonError::into_inner);
        let start = ends.read;
        ends.ahead.extend(
            buf[..n]
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n' || b == b'\r')
                .map(|(i, &b)| (start + i as u64, b)),
        );
        ends.read += n as u64;
        Ok(n)
    }
}

/// How much of a CSV's first line is read to tell its delimiter.
const HEADER_SNIFF_BYTES: u64 = 64 * 1024;

/// The delimiter of a CSV whose header line is `header`: a comma, unless
/// the header has none but semicolons (what spreadsheets save where the
/// decimal separator is a comma) or tabs. Column names are field keys,
/// which hold none of these, so the header alone tells.
fn delimiter_of(header: &[u8]) -> u8 {
    [b',', b';', b'\t']
        .into_iter()
        .find(|d| header.contains(d))
        .unwrap_or(b',')
}

/// A row's (or the document's) JSON syntax error, at its line: `first` is
/// the line the parsed text starts on.
fn invalid_json(e: &serde_json::Error, first: u64, row: Option<usize>) -> DataError {
    let message = e.to_string();
    let message = crate::template::json::strip_position(&message);
    DataError {
        row,
        line: Some(first + e.line().saturating_sub(1) as u64),
        message: format!("invalid JSON at column {}: {message}", e.column()),
    }
}

/// Row `number`, starting on `line`, from the JSON text of one object.
fn json_row(text: &[u8], number: usize, line: u64) -> Result<Row, DataError> {
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(values)) => Ok(Row {
            number,
            line: Some(line),
            values,
        }),
        Ok(_) => Err(DataError {
            row: Some(number),
            line: Some(line),
            message: "expected a JSON object of field values".to_owned(),
        }),
        Err(e) => Err(invalid_json(&e, line, Some(number))),
    }
}

/// Skips white space (and a UTF-8 byte-order mark at the start) and peeks
/// at the first byte of content, with its line.
fn skip_to_content(reader: &mut impl BufRead) -> std::io::Result<(Option<u8>, u64)> {
    let mut line = 1;
    // Byte by byte: a reader may hand out fewer bytes than the mark's three.
    let bom = [0xEF_u8, 0xBB, 0xBF];
    let mut matched = 0;
    while let (Some(&want), Some(&got)) = (bom.get(matched), reader.fill_buf()?.first()) {
        if got != want {
            if matched > 0 {
                // A broken mark: refused as content.
                return Ok((Some(got), line));
            }
            break;
        }
        reader.consume(1);
        matched += 1;
    }
    loop {
        let Some(&b) = reader.fill_buf()?.first() else {
            return Ok((None, line));
        };
        if !b.is_ascii_whitespace() {
            return Ok((Some(b), line));
        }
        if b == b'\n' {
            line += 1;
        }
        reader.consume(1);
    }
}

/// What a [`JsonArray`] expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The first element, or `]`.
    First,
    /// `,` or `]` after an element.
    CommaOrEnd,
    /// An element after a comma.
    Element,
    /// Only white space: the closing `]` has been read.
    Closed,
    /// Nothing: the array has ended (or cannot be read further).
    Done,
}

/// The rows of a JSON array of objects, read one element at a time: each
/// element's extent is found by following its nesting and strings, and it
/// is parsed alone, so a batch of a million rows never holds more than one.
struct JsonArray<R> {
    reader: R,
    /// The line of the next byte.
    line: u64,
    expect: Expect,
    number: usize,
    element: Vec<u8>,
}

impl<R: BufRead> JsonArray<R> {
    /// Reads the elements after the opening `[` (on line `line`).
    fn new(reader: R, line: u64) -> Self {
        Self {
            reader,
            line,
            expect: Expect::First,
            number: 0,
            element: Vec::new(),
        }
    }

    fn byte(&mut self) -> std::io::Result<Option<u8>> {
        let b = self.reader.fill_buf()?.first().copied();
        if let Some(b) = b {
            self.reader.consume(1);
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }

    /// Ends the rows with a problem of the document itself.
    fn fatal(&mut self, message: String) -> Option<Result<Row, DataError>> {
        self.expect = Expect::Done;
        Some(Err(DataError {
            row: None,
            line: Some(self.line),
            message,
        }))
    }

    /// After the closing `]`: only white space may follow.
    fn end(&mut self) -> Option<Result<Row, DataError>> {
        self.expect = Expect::Done;
        loop {
            match self.byte() {
                Ok(None) => return None,
                Ok(Some(b)) if b.is_ascii_whitespace() => {}
                Ok(Some(_)) => {
                    return self.fatal("text after the JSON array's closing `]`".to_owned())
                }
                Err(e) => return self.fatal(format!("cannot read: {e}")),
            }
        }
    }
}

impl<R: BufRead> Iterator for JsonArray<R> {
    type Item = Result<Row, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Up to the element's first byte.
        let first = loop {
            match self.expect {
                Expect::Done => return None,
                Expect::Closed => return self.end(),
                _ => {}
            }
            let b = match self.byte() {
                Ok(Some(b)) => b,
                Ok(None) => {
                    return self.fatal(format!(
                        "the JSON array ends without its closing `]` (after {} row(s))",
                        self.number
                    ))
                }
                Err(e) => return self.fatal(format!("cannot read: {e}")),
            };
            match (self.expect, b) {
                (_, b) if b.is_ascii_whitespace() => {}
                (Expect::First | Expect::CommaOrEnd, b']') => return self.end(),
                (Expect::CommaOrEnd, b',') => self.expect = Expect::Element,
                (Expect::CommaOrEnd, _) => {
                    return self.fatal(format!(
                        "invalid JSON: expected `,` or `]` after row {}",
                        self.number
                    ))
                }
                (Expect::Element, b']') => {
                    return self.fatal("invalid JSON: a comma before the closing `]`".to_owned())
                }
                _ => break b,
            }
        };
        let line = self.line;
        self.number += 1;
        self.element.clear();
        self.element.push(first);
        let mut strings = JsonStrings::default();
        strings.step(first);
        let mut depth = u32::from(matches!(first, b'{' | b'['));
        self.expect = Expect::CommaOrEnd;
        // A scalar ends at the first `,`, `]` or white space; anything else
        // when its nesting closes.
        let scalar = depth == 0 && !strings.open();
        while depth > 0 || strings.open() || scalar {
            let b = match self.byte() {
                Ok(Some(b)) => b,
                Ok(None) if scalar => break,
                Ok(None) => {
                    return self.fatal(format!("the JSON array ends inside row {}", self.number))
                }
                Err(e) => return self.fatal(format!("cannot read: {e}")),
            };
            if strings.step(b) {
                // Inside a string: nothing structural.
            } else if scalar && (b == b',' || b == b']' || b.is_ascii_whitespace()) {
                self.expect = match b {
                    b',' => Expect::Element,
                    b']' => Expect::Closed,
                    _ => Expect::CommaOrEnd,
                };
                break;
            } else {
                match b {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            self.element.push(b);
        }
        Some(json_row(&self.element, self.number, line))
    }
}

/// A lazy iterator over rows; each item is a row or that row's error.
pub struct Rows {
    columns: Option<Vec<String>>,
    iter: Box<dyn Iterator<Item = Result<Row, DataError>> + Send>,
}

impl Rows {
    fn new(
        columns: Option<Vec<String>>,
        iter: impl Iterator<Item = Result<Row, DataError>> + Send + 'static,
    ) -> Self {
        Self {
            columns,
            iter: Box::new(iter),
        }
    }

    /// The CSV header's column names (trimmed, byte-order mark removed),
    /// known before any row is read; `None` for JSON and JSONL, whose rows
    /// each name their fields.
    pub fn columns(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }
}

impl Iterator for Rows {
    type Item = Result<Row, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.iter.next()
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

/// The first `limit` rows of a template folder's sample file
/// (`sample.csv`, else `sample.jsonl`: the sample names the loader keeps
/// out of passes); none when it has neither.
///
/// # Errors
/// The file's name and what is wrong, when it cannot be read or a row is
/// malformed.
pub fn sample_rows(template_dir: &Path, limit: usize) -> Result<Vec<Map<String, Value>>, String> {
    for (name, format) in [
        ("sample.csv", DataFormat::Csv),
        ("sample.jsonl", DataFormat::Jsonl),
    ] {
        let Ok(file) = std::fs::File::open(template_dir.join(name)) else {
            continue;
        };
        return rows(file, format)
            .map_err(|e| format!("{name}: {e}"))?
            .take(limit)
            .map(|r| r.map(|r| r.values).map_err(|e| format!("{name}: {e}")))
            .collect();
    }
    Ok(Vec::new())
}

/// Rows from a folder of Pass Builder personalization payloads: one row
/// per `*.pb` file, in file-name order, each read when its row is; a
/// payload that cannot be read or decoded is that row's error, naming the
/// file.
///
/// # Errors
/// A [`DataError`] for the whole input when the folder cannot be listed or
/// holds no `.pb` file.
pub fn passbuilder_folder(dir: &Path) -> Result<Rows, DataError> {
    let whole = |message: String| DataError {
        row: None,
        line: None,
        message,
    };
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| whole(format!("cannot list {}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pb")))
        .collect();
    if files.is_empty() {
        return Err(whole(format!(
            "{} holds no .pb personalization payload",
            dir.display()
        )));
    }
    files.sort();
    let rows = files.into_iter().enumerate().map(|(i, path)| {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let error = |message: String| DataError {
            row: Some(i + 1),
            line: None,
            message: format!("{name}: {message}"),
        };
        let payload = std::fs::read(&path).map_err(|e| error(format!("cannot read: {e}")))?;
        let values = crate::passbuilder::row(&payload).map_err(error)?;
        Ok(Row {
            number: i + 1,
            line: None,
            values,
        })
    });
    Ok(Rows::new(None, rows))
}

/// Opens rows from a reader.
///
/// # Errors
/// A [`DataError`] for the whole input: a CSV header that cannot be read, or
/// JSON that is neither an object nor an array of objects.
pub fn rows<R: Read + Send + 'static>(reader: R, format: DataFormat) -> Result<Rows, DataError> {
    let whole = |message: String| DataError {
        row: None,
        line: None,
        message,
    };
    match format {
        DataFormat::PassBuilder => {
            let mut payload = Vec::new();
            BufReader::new(reader)
                .read_to_end(&mut payload)
                .map_err(|e| whole(format!("cannot read: {e}")))?;
            let values = crate::passbuilder::row(&payload).map_err(|e| DataError {
                row: Some(1),
                line: None,
                message: format!("personalization payload: {e}"),
            })?;
            Ok(Rows::new(
                None,
                std::iter::once(Ok(Row {
                    number: 1,
                    line: None,
                    values,
                })),
            ))
        }
        DataFormat::Json => {
            let mut reader = BufReader::new(reader);
            let (first, line) =
                skip_to_content(&mut reader).map_err(|e| whole(format!("cannot read: {e}")))?;
            match first {
                Some(b'[') => {
                    reader.consume(1);
                    Ok(Rows::new(None, JsonArray::new(reader, line)))
                }
                Some(b'{') => {
                    let mut text = Vec::new();
                    reader
                        .read_to_end(&mut text)
                        .map_err(|e| whole(format!("cannot read: {e}")))?;
                    let values = serde_json::from_slice::<Map<String, Value>>(&text)
                        .map_err(|e| invalid_json(&e, line, None))?;
                    Ok(Rows::new(
                        None,
                        std::iter::once(Ok(Row {
                            number: 1,
                            line: Some(line),
                            values,
                        })),
                    ))
                }
                _ => Err(DataError {
                    row: None,
                    line: first.map(|_| line),
                    message: "the JSON data must be one object or an array of objects".to_owned(),
                }),
            }
        }
        DataFormat::Jsonl => {
            let mut number = 0;
            // Split on bytes, not into Strings: a line that is not UTF-8
            // fails as that row, and the lines after it are still read.
            let lines = BufReader::new(reader).split(b'\n').enumerate();
            Ok(Rows::new(
                None,
                lines.filter_map(move |(i, line)| {
                    let line_no = i as u64 + 1;
                    let text = match line {
                        Ok(t) => t,
                        Err(e) => {
                            return Some(Err(DataError {
                                row: None,
                                line: Some(line_no),
                                message: format!("cannot read: {e}"),
                            }))
                        }
                    };
                    if text.iter().all(u8::is_ascii_whitespace) {
                        return None;
                    }
                    number += 1;
                    let row = Some(number);
                    if let Err(e) = std::str::from_utf8(&text) {
                        return Some(Err(DataError {
                            row,
                            line: Some(line_no),
                            message: format!(
                                "not UTF-8 text (after its first {} bytes); save the file as UTF-8",
                                e.valid_up_to()
                            ),
                        }));
                    }
                    Some(json_row(&text, number, line_no))
                }),
            ))
        }
        DataFormat::Csv => {
            let ends = Arc::new(Mutex::new(LineEnds::default()));
            let mut reader = BufReader::new(reader);
            let mut header = Vec::new();
            reader
                .by_ref()
                .take(HEADER_SNIFF_BYTES)
                .read_until(b'\n', &mut header)
                .map_err(|e| whole(format!("cannot read the CSV header: {e}")))?;
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(false)
                .delimiter(delimiter_of(&header))
                .from_reader(NoteLineEnds {
                    inner: std::io::Cursor::new(header).chain(reader),
                    ends: Arc::clone(&ends),
                });
            let line_of = move |at: Option<&csv::Position>| {
                at.map(|p| {
                    ends.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .line_at(p.byte())
                })
            };
            let headers: Vec<String> = rdr
                .headers()
                .map_err(|e| whole(format!("cannot read the CSV header: {e}")))?
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    if i == 0 {
                        h.trim_start_matches('\u{feff}').trim().to_owned()
                    } else {
                        h.trim().to_owned()
                    }
                })
                .collect();
            if headers.is_empty() || headers.iter().any(String::is_empty) {
                return Err(DataError {
                    row: None,
                    line: Some(1),
                    message: "the CSV header has an empty column name".to_owned(),
                });
            }
            for (i, h) in headers.iter().enumerate() {
                if headers[..i].contains(h) {
                    return Err(DataError {
                        row: None,
                        line: Some(1),
                        message: format!("the CSV header names column {h:?} twice"),
                    });
                }
            }
            let mut number = 0;
            let columns = headers.clone();
            Ok(Rows::new(
                Some(columns),
                rdr.into_records().map(move |rec| {
                    number += 1;
                    match rec {
                        Ok(rec) => {
                            let line = line_of(rec.position());
                            let values = headers
                                .iter()
                                .zip(rec.iter())
                                .map(|(h, v)| (h.clone(), Value::String(v.to_owned())))
                                .collect();
                            Ok(Row {
                                number,
                                line,
                                values,
                            })
                        }
                        Err(e) => {
                            let line = line_of(e.position());
                            let message = match e.kind() {
                                csv::ErrorKind::UnequalLengths {
                                    expected_len, len, ..
                                } => format!("has {len} columns; the header has {expected_len}"),
                                csv::ErrorKind::Utf8 { err, .. } => format!(
                                    "column `{}` is not UTF-8 text (after its first {} bytes); save the file as UTF-8 (in a spreadsheet: \"CSV UTF-8\")",
                                    headers.get(err.field()).map_or("?", String::as_str),
                                    err.valid_up_to()
                                ),
                                _ => format!("cannot read: {e}"),
                            };
                            Err(DataError {
                                row: Some(number),
                                line,
                                message,
                            })
                        }
                    }
                }),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collect(src: &'static str, f: DataFormat) -> Vec<Result<Row, DataError>> {
        rows(src.as_bytes(), f).expect("opens").collect()
    }

    #[test]
    fn csv_rows_and_bad_row() {
        let r = collect(
            "\u{feff}name,seat\nAda,A1\nBob\n\"Eve, \"\"E\"\"\",C3\n",
            DataFormat::Csv,
        );
        assert_eq!(r.len(), 3);
        let first = r[0].as_ref().expect("row 1");
        assert_eq!((first.number, first.line), (1, Some(2)));
        assert_eq!(first.values["name"], "Ada");
        let e = r[1].as_ref().expect_err("short row");
        assert_eq!(
            e.to_string(),
            "row 2 (line 3): has 1 columns; the header has 2"
        );
        assert_eq!(r[2].as_ref().expect("row 3").values["name"], "Eve, \"E\"");
    }

    /// Hands out one byte per read, so line ends and values straddle reads.
    struct ByteByByte(&'static [u8]);

    impl Read for ByteByByte {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            buf[0] = *first;
            self.0 = rest;
            Ok(1)
        }
    }

    /// Each item of a JSON input as `(row, line, Ok(a) | Err(message))`,
    /// checked to be the same when the input arrives byte by byte.
    /// One item of a JSON input: row, line, and its `a` or its error.
    type Item = (Option<usize>, Option<u64>, Result<Value, String>);

    fn json_items(src: &'static str) -> Vec<Item> {
        let items = |rows: Rows| -> Vec<_> {
            rows.map(|r| match r {
                Ok(row) => (Some(row.number), row.line, Ok(row.values["a"].clone())),
                Err(e) => (e.row, e.line, Err(e.message)),
            })
            .collect()
        };
        let whole = items(rows(src.as_bytes(), DataFormat::Json).expect("opens"));
        let bytes = items(rows(ByteByByte(src.as_bytes()), DataFormat::Json).expect("opens"));
        assert_eq!(whole, bytes, "{src:?} whole and byte by byte");
        whole
    }

    #[test]
    fn a_json_array_is_read_one_row_at_a_time_with_lines() {
        let items = json_items(
            "[\n  {\"a\": 1},\n  {\"a\": \"x, ] } {\\\" [\"},\n  3,\n  {\"a\": }, {\"a\": [1, {\"b\": 2}]}\n]\n",
        );
        assert_eq!(items.len(), 5, "{items:?}");
        assert_eq!(items[0], (Some(1), Some(2), Ok(json!(1))));
        assert_eq!(items[1], (Some(2), Some(3), Ok(json!("x, ] } {\" ["))));
        assert_eq!(
            items[2],
            (
                Some(3),
                Some(4),
                Err("expected a JSON object of field values".to_owned())
            )
        );
        let (row, line, bad) = &items[3];
        assert_eq!((*row, *line), (Some(4), Some(5)));
        assert!(
            bad.as_ref()
                .expect_err("syntax")
                .starts_with("invalid JSON at column"),
            "{bad:?}"
        );
        assert_eq!(items[4], (Some(5), Some(5), Ok(json!([1, {"b": 2}]))));

        assert!(json_items("[]").is_empty());
        assert!(json_items(" \n[ ]\n ").is_empty());
        assert_eq!(
            json_items("[{\"a\":1},2]")[1].2,
            Err("expected a JSON object of field values".to_owned())
        );
        let one = json_items("\u{feff}\n{\"a\": true}");
        assert_eq!(one, [(Some(1), Some(2), Ok(json!(true)))]);
    }

    #[test]
    fn a_broken_json_array_stops_with_what_is_wrong_where() {
        for (src, rows_before, line, message) in [
            (
                "[{\"a\":1},\n{\"a\":",
                1,
                2,
                "the JSON array ends inside row 2",
            ),
            (
                "[{\"a\":1}",
                1,
                1,
                "the JSON array ends without its closing `]` (after 1 row(s))",
            ),
            (
                "[{\"a\":1}]\nx",
                1,
                2,
                "text after the JSON array's closing `]`",
            ),
            (
                "[{\"a\":1} {\"a\":2}]",
                1,
                1,
                "invalid JSON: expected `,` or `]` after row 1",
            ),
            (
                "[{\"a\":1},\n]",
                1,
                2,
                "invalid JSON: a comma before the closing `]`",
            ),
            ("[1]x", 1, 1, "text after the JSON array's closing `]`"),
        ] {
            let items = json_items(src);
            assert_eq!(items.len(), rows_before + 1, "{src:?}: {items:?}");
            assert_eq!(
                items[rows_before],
                (None, Some(line), Err(message.to_owned())),
                "{src:?}"
            );
        }
        for src in ["3", "", "  \n", "\"rows\""] {
            let e = rows(src.as_bytes(), DataFormat::Json).expect_err("refused");
            assert!(
                e.message.contains("one object or an array of objects"),
                "{src:?}: {e}"
            );
        }
        let e = rows("{\"a\": }".as_bytes(), DataFormat::Json).expect_err("bad object");
        assert!(e.message.starts_with("invalid JSON at column"), "{e}");
    }

    #[test]
    fn csv_lines_are_right_whatever_the_line_ends() {
        let line = |r: Result<Row, DataError>| match r {
            Ok(row) => row.line,
            Err(e) => e.line,
        };
        let lines = |src: &'static str| -> Vec<Option<u64>> {
            let whole: Vec<Option<u64>> = collect(src, DataFormat::Csv)
                .into_iter()
                .map(line)
                .collect();
            let bytes: Vec<Option<u64>> = rows(ByteByByte(src.as_bytes()), DataFormat::Csv)
                .expect("opens")
                .map(line)
                .collect();
            assert_eq!(whole, bytes, "{src:?} read whole and byte by byte");
            whole
        };
        // LF, CRLF (spreadsheets), CR (old Macs), mixed, a quoted value
        // over two lines, a short row, blank lines.
        assert_eq!(lines("a,b\n1,2\n3,4\n"), [Some(2), Some(3)]);
        assert_eq!(lines("a,b\r\n1,2\r\n3,4\r\n"), [Some(2), Some(3)]);
        assert_eq!(lines("a,b\r\n1,2\n3,4\r\n5,6"), [Some(2), Some(3), Some(4)]);
        assert_eq!(
            lines("a,b\r\n\"x\r\ny\",2\r\n3\r\n5,6\r\n"),
            [Some(2), Some(4), Some(5)]
        );
        assert_eq!(lines("a,b\n\n1,2\n"), [Some(3)]);
        assert_eq!(lines("a,b\r\n\r\n1,2\r\n"), [Some(3)]);
        assert_eq!(lines("a,b\n\n\n1,2\n3,4"), [Some(4), Some(5)]);
        assert_eq!(lines("a,b\r1,2\r\r3,4\r"), [Some(2), Some(4)]);
        let short = collect("a,b\r\n1,2\r\n3\r\n", DataFormat::Csv);
        assert_eq!(
            short[1].as_ref().expect_err("short").to_string(),
            "row 2 (line 3): has 1 columns; the header has 2"
        );
    }

    #[test]
    fn text_that_is_not_utf8_names_its_column() {
        let r: Vec<_> = rows(
            &b"name,city\nAda,London\nRen\xe9e,Montr\xe9al\n"[..],
            DataFormat::Csv,
        )
        .expect("opens")
        .collect();
        assert!(r[0].is_ok());
        let e = r[1].as_ref().expect_err("latin-1");
        assert_eq!(
            e.to_string(),
            "row 2 (line 3): column `name` is not UTF-8 text (after its first 3 bytes); save the file as UTF-8 (in a spreadsheet: \"CSV UTF-8\")"
        );
    }

    #[test]
    fn semicolon_and_tab_separated_files_are_read_too() {
        for (src, d) in [
            ("name;price\r\n\"Lovelace, Ada\";1,5\r\nBob;2\r\n", ';'),
            ("name\tprice\n\"Lovelace, Ada\"\t1,5\nBob\t2\n", '\t'),
            ("name,price\n\"Lovelace, Ada\",\"1,5\"\nBob,2\n", ','),
        ] {
            let r = collect(src, DataFormat::Csv);
            assert_eq!(r.len(), 2, "{d:?}");
            let first = r[0].as_ref().expect("row 1");
            assert_eq!(first.values["name"], "Lovelace, Ada", "{d:?}");
            assert_eq!(first.values["price"], "1,5", "{d:?}");
            assert_eq!(r[1].as_ref().expect("row 2").line, Some(3), "{d:?}");
        }
        // One column: no delimiter to tell, and none needed.
        let r = collect("name\nAda\n", DataFormat::Csv);
        assert_eq!(r[0].as_ref().expect("row").values["name"], "Ada");
    }

    #[test]
    fn a_jsonl_line_that_is_not_utf8_fails_alone() {
        let r: Vec<_> = rows(
            &b"{\"a\": \"Ada\"}\r\n{\"a\": \"Ren\xe9e\"}\n{\"a\": \"Bob\"}\n"[..],
            DataFormat::Jsonl,
        )
        .expect("opens")
        .collect();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].as_ref().expect("row 1").values["a"], "Ada");
        let e = r[1].as_ref().expect_err("latin-1");
        assert_eq!((e.row, e.line), (Some(2), Some(2)), "{e}");
        assert_eq!(
            e.message,
            "not UTF-8 text (after its first 10 bytes); save the file as UTF-8"
        );
        assert_eq!(r[2].as_ref().expect("row 3").values["a"], "Bob");
    }

    #[test]
    fn jsonl_and_json() {
        let r = collect("{\"a\":1}\n\n[1]\n{bad\n", DataFormat::Jsonl);
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].as_ref().expect_err("array").row, Some(2));
        assert_eq!(r[2].as_ref().expect_err("bad").line, Some(4));
        let r = collect("[{\"a\":1},{\"a\":2}]", DataFormat::Json);
        assert_eq!(r.len(), 2);
        assert!(rows("3".as_bytes(), DataFormat::Json).is_err());
        assert!(rows("a,a\n1,2\n".as_bytes(), DataFormat::Csv).is_err());
    }
}
