//! Rows of custom field values from JSON (one object, or an array of
//! objects), JSONL (one object per line) or CSV (a header row, then one pass
//! per row). Rows are read lazily so a batch never holds them all.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// One JSON object, or an array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
}

impl DataFormat {
    /// Guesses the format from a file extension (`.json`, `.jsonl`/`.ndjson`, `.csv`).
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            "csv" => Some(Self::Csv),
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

/// A lazy iterator over rows; each item is a row or that row's error.
pub type Rows = Box<dyn Iterator<Item = Result<Row, DataError>> + Send>;

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
        DataFormat::Json => {
            let v: Value =
                serde_json::from_reader(BufReader::new(reader)).map_err(|e| DataError {
                    row: None,
                    line: Some(e.line() as u64),
                    message: format!("invalid JSON: {e}"),
                })?;
            let items = match v {
                Value::Object(m) => vec![Value::Object(m)],
                Value::Array(items) => items,
                _ => {
                    return Err(whole(
                        "the JSON data must be one object or an array of objects".to_owned(),
                    ))
                }
            };
            Ok(Box::new(items.into_iter().enumerate().map(
                |(i, v)| match v {
                    Value::Object(values) => Ok(Row {
                        number: i + 1,
                        line: None,
                        values,
                    }),
                    _ => Err(DataError {
                        row: Some(i + 1),
                        line: None,
                        message: "expected a JSON object of field values".to_owned(),
                    }),
                },
            )))
        }
        DataFormat::Jsonl => {
            let mut number = 0;
            let lines = BufReader::new(reader).lines().enumerate();
            Ok(Box::new(lines.filter_map(move |(i, line)| {
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
                if text.trim().is_empty() {
                    return None;
                }
                number += 1;
                let row = Some(number);
                Some(match serde_json::from_str::<Value>(&text) {
                    Ok(Value::Object(values)) => Ok(Row {
                        number,
                        line: Some(line_no),
                        values,
                    }),
                    Ok(_) => Err(DataError {
                        row,
                        line: Some(line_no),
                        message: "expected a JSON object of field values".to_owned(),
                    }),
                    Err(e) => Err(DataError {
                        row,
                        line: Some(line_no),
                        message: format!("invalid JSON at column {}: {e}", e.column()),
                    }),
                })
            })))
        }
        DataFormat::Csv => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(false)
                .from_reader(reader);
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
            Ok(Box::new(rdr.into_records().map(move |rec| {
                number += 1;
                match rec {
                    Ok(rec) => {
                        let line = rec.position().map(csv::Position::line);
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
                        let line = e.position().map(csv::Position::line);
                        let message = match e.kind() {
                            csv::ErrorKind::UnequalLengths {
                                expected_len, len, ..
                            } => format!("has {len} columns; the header has {expected_len}"),
                            _ => format!("cannot read: {e}"),
                        };
                        Err(DataError {
                            row: Some(number),
                            line,
                            message,
                        })
                    }
                }
            })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
