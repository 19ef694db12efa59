//! Per-row failures of a batch: printed to stderr and, with `--errors
//! FILE.csv`, written to a CSV (`row,line,field,message`, one line per
//! problem) that a job can act on. With the file, stderr shows the first
//! [`SHOWN_WITH_FILE`] problems and then only a count, so a million bad rows
//! do not print a million lines.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use indicatif::ProgressBar;
use passforge::data::DataError;
use passforge::issue::IssueError;
use passforge::template::RenderError;

use super::issue::TempCsv;

/// Problems printed to stderr when they all go to an errors file too.
pub(crate) const SHOWN_WITH_FILE: usize = 20;

/// The errors CSV being written, and the first write that failed (the
/// file is then not committed).
struct ErrorsCsv {
    csv: TempCsv,
    failed: Option<anyhow::Error>,
}

/// Where a batch's row failures go.
pub(crate) struct Reporter {
    pb: ProgressBar,
    file: Option<Mutex<ErrorsCsv>>,
    /// Problem lines seen so far (printed or not).
    lines: AtomicUsize,
}

impl Reporter {
    /// Prints every problem (no errors file), or the first few and writes
    /// them all to `errors`.
    ///
    /// # Errors
    /// When the errors file's temp file cannot be created.
    pub(crate) fn open(pb: &ProgressBar, errors: Option<&Path>) -> anyhow::Result<Self> {
        let file = match errors {
            None => None,
            Some(path) => Some(Mutex::new(ErrorsCsv {
                csv: TempCsv::create(path, &["row", "line", "field", "message"])?,
                failed: None,
            })),
        };
        Ok(Self {
            pb: pb.clone(),
            file,
            lines: AtomicUsize::new(0),
        })
    }

    /// Reports one problem of row `row`: `field` is empty when the problem
    /// is not one field's.
    fn problem(&self, row: usize, line: Option<u64>, field: &str, message: &str) {
        let n = self.lines.fetch_add(1, Ordering::Relaxed);
        if self.file.is_none() || n < SHOWN_WITH_FILE {
            let at = match line {
                Some(l) => format!("row {row} (line {l})"),
                None => format!("row {row}"),
            };
            let what = if field.is_empty() {
                message.to_owned()
            } else {
                format!("field `{field}`: {message}")
            };
            self.pb.suspend(|| eprintln!("error: {at}: {what}"));
        }
        if let Some(file) = &self.file {
            let mut f = file.lock().unwrap_or_else(PoisonError::into_inner);
            if f.failed.is_none() {
                let line = line.map_or_else(String::new, |l| l.to_string());
                if let Err(e) = f.csv.write(&[&row.to_string(), &line, field, message]) {
                    f.failed = Some(e);
                }
            }
        }
    }

    /// Shows `n` rows done on the progress bar (`--check`).
    pub(crate) fn progress(&self, n: u64) {
        self.pb.set_position(n);
    }

    /// Reports why a row could not be issued, one problem per line.
    pub(crate) fn issue_error(&self, row: usize, line: Option<u64>, err: &IssueError) {
        match err {
            IssueError::Render(RenderError::Fields(errs)) => {
                for e in errs {
                    self.problem(row, line, &e.field, &e.message);
                }
            }
            IssueError::Render(RenderError::Invalid(diags)) => {
                for d in diags.iter() {
                    self.problem(row, line, "", &format!("the rendered pass is invalid: {d}"));
                }
            }
            other => self.problem(row, line, "", &other.to_string()),
        }
    }

    /// Reports a row the data file itself got wrong (e.g. a short CSV row).
    pub(crate) fn data_error(&self, e: &DataError) {
        self.problem(e.row.unwrap_or(0), e.line, "", &e.message);
    }

    /// Says how many problems stderr did not show, and commits the errors
    /// file when there is one: with no failed row it holds only its header,
    /// so an earlier run's list never outlives the problems. Returns the
    /// file's path when it lists any row.
    ///
    /// # Errors
    /// When the errors file could not be written.
    pub(crate) fn finish(self) -> anyhow::Result<Option<String>> {
        let lines = self.lines.into_inner();
        let Some(file) = self.file else {
            return Ok(None);
        };
        let ErrorsCsv { csv, failed } = file.into_inner().unwrap_or_else(PoisonError::into_inner);
        if lines > SHOWN_WITH_FILE {
            eprintln!(
                "error: {} more problem line(s) not shown; all {lines} are in {}",
                lines - SHOWN_WITH_FILE,
                csv.path().display()
            );
        }
        if let Some(e) = failed {
            let e = e.context(format!("cannot write {}", csv.path().display()));
            csv.abandon();
            return Err(e);
        }
        let written = csv.commit()?;
        Ok((lines > 0).then_some(written))
    }
}
