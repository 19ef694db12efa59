//! `passforge issue`: one pass per data row, in parallel, streaming.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context as _};
use chrono::{SubsecRound as _, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use passforge::apple::{write_pkpasses, Pkpass, MAX_BUNDLE_PASSES};
use passforge::data::{self, DataFormat, Row};
use passforge::issue::{take_serial_number, IssueError, IssuedPass, Issuer, Stamp};
use passforge::model::{AuthToken, SerialNumber};
use passforge::template::{load_dir, RenderError};
use rayon::prelude::*;

use super::config::ConfigArgs;
use super::report::Reporter;
use super::zip_temp::ZipTemp;
use super::{dir_prefix, print_diagnostics, template_or_report, Outcome};

/// Arguments of `passforge issue`.
#[derive(Debug, clap::Args)]
pub(crate) struct IssueArgs {
    /// The template folder.
    #[arg(long, value_name = "DIR")]
    template: PathBuf,
    /// Rows of custom field values: a JSON object or array, JSONL, or CSV with a header.
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Data format, when the file extension does not say (.json, .jsonl, .csv).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Where Apple passes go: a folder (one <serial>.pkpass each), FILE.zip, or FILE.pkpasses (at most 10 passes).
    #[arg(
        long,
        value_name = "DIR|FILE.zip|FILE.pkpasses",
        required_unless_present_any = ["google", "check"]
    )]
    out: Option<PathBuf>,
    /// Also make Google Wallet save links: a CSV with serialNumber, objectId and saveUrl per row.
    #[arg(long, value_name = "FILE.csv")]
    google: Option<PathBuf>,
    /// Google links reference classes and objects inserted over REST instead of carrying them.
    #[arg(long, requires = "google")]
    google_skinny: bool,
    /// Issue only shard I of N (0 ≤ I < N): rows whose number minus one is I
    /// modulo N. N machines (e.g. a Kubernetes indexed Job with
    /// JOB_COMPLETION_INDEX) issue disjoint parts of one input.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Skip rows whose .pkpass already exists in the --out folder and
    /// verifies; rows without a serialNumber get one derived from the row, so
    /// a restarted job finds its earlier work. Pass it on every run of a job
    /// that may be restarted.
    #[arg(long)]
    resume: bool,
    /// Only check every row as issuing would (fields, rendered pass.json,
    /// Google mapping with --google), at render speed: nothing is signed or
    /// written. Exit 0 when every row would issue.
    #[arg(long, conflicts_with = "resume")]
    check: bool,
    /// Also write every failed row to FILE.csv (row, line, field, message;
    /// one line per problem); stderr then shows only the first 20 problems.
    #[arg(long, value_name = "FILE.csv")]
    errors: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// How a folder --out is laid out: `flat` (<serial>.pkpass) or
    /// `sharded` (ab/<serial>.pkpass, ab the first byte of the serial's
    /// SHA-256 in hex), written by one writer per worker thread, each into
    /// folders of its own: on disks where creating a file costs more than
    /// signing it (ext4 serializes creates within one folder), the faster.
    #[arg(long, value_enum, default_value = "flat")]
    layout: Layout,
    /// Also print info notes about the template.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

/// How a folder of passes is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Layout {
    /// `<dir>/<serial>.pkpass`.
    Flat,
    /// `<dir>/ab/<serial>.pkpass`, by the serial's SHA-256.
    Sharded,
}

/// The subfolder of a serial number in a sharded folder (0–255).
fn shard_of(serial: &str) -> u8 {
    openssl::sha::sha256(serial.as_bytes())[0]
}

/// Where a pass with this serial number is written in a folder.
fn pass_path(dir: &Path, serial: &str, sharded: bool) -> PathBuf {
    if sharded {
        shard_path(dir, shard_of(serial), serial)
    } else {
        dir.join(format!("{serial}.pkpass"))
    }
}

/// `<dir>/<shard in hex>/<serial>.pkpass`.
fn shard_path(dir: &Path, shard: u8, serial: &str) -> PathBuf {
    shard_dir(dir, shard).join(format!("{serial}.pkpass"))
}

/// A sharded folder's subfolder: `<dir>/<shard in hex>`.
pub(crate) fn shard_dir(dir: &Path, shard: u8) -> PathBuf {
    dir.join(format!("{shard:02x}"))
}

/// One part of a sharded input.
#[derive(Debug, Clone, Copy)]
struct Shard {
    index: usize,
    count: usize,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let bad = || format!("{s:?} is not I/N with 0 <= I < N (e.g. 0/4)");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Json,
    Jsonl,
    Csv,
    /// A Pass Builder personalization payload (protobuf), one pass.
    Pb,
}

/// How an output is shown when a run issued no pass and it was not written.
const NOTHING: &str = "not written: no pass was issued";

/// A sharded folder's writers and the subfolders made so far.
struct Sharded {
    writers: usize,
    made: Box<[bool; 256]>,
}

enum Output {
    /// A folder of `.pkpass` files; `created` when this run made it (it is
    /// removed again if the run writes nothing into it). Sharded: written
    /// by `writers` threads into the 256 subfolders `made` so far.
    Dir {
        path: PathBuf,
        created: bool,
        sharded: Option<Sharded>,
    },
    Zip {
        path: PathBuf,
        tmp: PathBuf,
        zip: Box<zip::ZipWriter<ZipTemp<BufWriter<File>>>>,
    },
    Bundle {
        path: PathBuf,
        passes: Vec<(String, Vec<u8>)>,
    },
}

/// A temp name beside `path`: same folder (so rename is atomic), hidden, unique per process.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}-{}", host(), std::process::id()))
}

/// This machine's name, so that temp files of jobs on other machines sharing
/// the output folder are recognisable.
fn host() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| {
                h.trim()
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect()
            })
            .ok()
            .filter(|h: &String| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned())
    })
}

/// Finishes a file written under a temp name: syncs it and renames it to
/// `path`; on any failure (including the one in `file`) removes the temp
/// file, so nothing half-written is left. Returns `path` for the summary.
pub(crate) fn commit_temp(
    file: anyhow::Result<File>,
    tmp: &Path,
    path: &Path,
) -> anyhow::Result<String> {
    let result = file
        .and_then(|f| f.sync_all().map_err(anyhow::Error::from))
        .and_then(|()| std::fs::rename(tmp, path).map_err(anyhow::Error::from));
    if let Err(e) = result {
        let _ = std::fs::remove_file(tmp);
        return Err(e.context(format!("cannot write {}", path.display())));
    }
    Ok(path.display().to_string())
}

/// Removes the temp files that killed passforge processes of this machine
/// left beside the file `path` (a .zip, bundle or CSV being written): only
/// temps of that very name, since its folder may hold anything.
fn remove_stale_temps_of(path: &Path) -> usize {
    let (Some(name), Some(dir)) = (path.file_name(), path.parent()) else {
        return 0;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    remove_stale_temps(dir, Some(&name.to_string_lossy()))
}

/// Removes temp files left in `dir` by killed passforge processes of this
/// machine (their process id no longer runs), only those of the file named
/// `only` when given. Temp files of live processes and of other machines are
/// left alone.
fn remove_stale_temps(dir: &Path, only: Option<&str>) -> usize {
    let marker = format!(".tmp-{}-", host());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix('.')
            .and_then(|n| n.rsplit_once(&marker))
            .filter(|(target, _)| only.is_none_or(|o| o == *target))
            .map(|(_, pid)| pid.to_owned())
        else {
            continue;
        };
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| p == std::process::id() || Path::new(&format!("/proc/{p}")).exists());
        if !alive && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Writes `bytes` to `path` through a temp file and a rename, so a reader
/// (or a crash) never sees a partial file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Like [`write_atomic`], with the contents written by `write`.
fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = File::create(&tmp)
        .and_then(|mut f| write(&mut f))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Output {
    fn open(out: &Path) -> anyhow::Result<Self> {
        let ext = out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("zip") => {
                let tmp = temp_path(out);
                if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                let file = File::create(&tmp)
                    .with_context(|| format!("cannot create {}", tmp.display()))?;
                Ok(Self::Zip {
                    path: out.to_owned(),
                    tmp,
                    zip: Box::new(zip::ZipWriter::new(ZipTemp::new(BufWriter::new(file)))),
                })
            }
            Some("pkpasses") => Ok(Self::Bundle {
                path: out.to_owned(),
                passes: Vec::new(),
            }),
            Some("pkpass") => bail!(
                "--out {} names a single .pkpass; give a folder, a .zip or a .pkpasses bundle",
                out.display()
            ),
            _ if out.exists() && !out.is_dir() => bail!(
                "--out {} is an existing file, not a folder; give a folder, a .zip or a .pkpasses bundle",
                out.display()
            ),
            _ => {
                let created = !out.exists();
                std::fs::create_dir_all(out).with_context(|| {
                    format!("cannot create the output folder {}", out.display())
                })?;
                Ok(Self::Dir {
                    path: out.to_owned(),
                    created,
                    sharded: None,
                })
            }
        }
    }

    /// Removes anything half-written (after a fatal error), and the output
    /// folder if this run created it and nothing was written into it.
    fn abandon(self) {
        match self {
            Self::Zip { tmp, zip, .. } => {
                if let Some(file) = zip.get_ref() {
                    file.abandon();
                }
                drop(zip);
                let _ = std::fs::remove_file(tmp);
            }
            Self::Dir {
                path,
                created,
                sharded,
            } => {
                if created {
                    // Fails, as it should, when a folder is not empty.
                    for (i, _) in sharded
                        .iter()
                        .flat_map(|s| (0..=255u8).zip(s.made.iter()))
                        .filter(|(_, made)| **made)
                    {
                        let _ = std::fs::remove_dir(shard_dir(&path, i));
                    }
                    let _ = std::fs::remove_dir(path);
                }
            }
            Self::Bundle { .. } => {}
        }
    }
}

/// How a stopped run's error mentions the errors file it still wrote.
fn listed_note(listed: anyhow::Result<Option<String>>) -> String {
    match listed {
        Ok(Some(path)) => format!("; the rows that failed before it are listed in {path}"),
        Ok(None) => String::new(),
        Err(e) => format!("; and the errors file could not be written: {e:#}"),
    }
}

/// What a run stopped part-way leaves, and what finishes the job.
fn after_a_stop(output: &Sinks, random_serials: bool) -> &'static str {
    match &output.apple {
        Some(Output::Dir { .. }) if random_serials => "the passes written before it are complete, but rows without a serialNumber got random ones this run, so a re-run cannot tell which were issued: remove them, then run with --resume (which derives serial numbers from the rows)",
        Some(Output::Dir { .. }) => "the passes written before it are complete: fix that and run the same command with --resume to issue only the rest",
        _ => "nothing was written (a previous file of that name is kept)",
    }
}

#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) issued: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
    pub(crate) warnings: RowWarnings,
}

/// Rows a warning of one kind is printed for; later ones are counted.
const WARNINGS_SHOWN_PER_KIND: usize = 3;

/// Per-row warnings of a batch: each kind is printed for its first
/// [`WARNINGS_SHOWN_PER_KIND`] rows and counted after that, so a batch
/// whose every row has the same warning prints a few lines, not one per row.
#[derive(Default)]
pub(crate) struct RowWarnings {
    /// Kind → (rows with it, the last of them).
    kinds: std::collections::BTreeMap<&'static str, (usize, usize)>,
}

impl RowWarnings {
    /// Counts `warning` of row `row`; true when it should be printed.
    fn count(&mut self, row: usize, warning: &passforge::google::Warning) -> bool {
        let (n, last) = self.kinds.entry(warning.code).or_default();
        *n += 1;
        *last = row;
        *n <= WARNINGS_SHOWN_PER_KIND
    }

    /// One line per kind that had rows not printed.
    fn not_shown(&self) -> impl Iterator<Item = String> + '_ {
        self.kinds.iter().filter_map(|(code, &(n, last))| {
            let more = n.checked_sub(WARNINGS_SHOWN_PER_KIND).filter(|&m| m > 0)?;
            Some(format!(
                "warning: google: {more} more row{} had the {code} warning shown above (not printed; the last was row {last})",
                if more == 1 { "" } else { "s" }
            ))
        })
    }
}

pub(crate) fn run(args: &IssueArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let threads = super::worker_threads(args.threads);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")?;
    // The certificates and the template load side by side (the template's
    // images are decoded and deflated on the pool too): most of a small
    // batch's time is this start-up.
    let (signing, template) =
        pool.install(|| rayon::join(|| args.config.apple(), || load_dir(&args.template)));
    let signing = signing?;
    let google = args
        .google
        .as_ref()
        .map(|_| args.config.google())
        .transpose()?;
    let template = template_or_report(
        &args.template,
        template,
        args.verbose,
        "; nothing was issued",
    )?;
    print_diagnostics(
        template.diagnostics().iter(),
        &dir_prefix(&args.template),
        args.verbose,
    );
    print_diagnostics(
        &template.identity_warnings(
            signing.identity.pass_type_id().as_str(),
            signing.identity.team_id().as_str(),
        ),
        &dir_prefix(&args.template),
        args.verbose,
    );

    let rows = if args.data.is_dir() {
        // A folder of Pass Builder personalization payloads, one pass each.
        data::passbuilder_folder(&args.data)
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.data.display()))?
    } else {
        let format = match args.format {
            Some(Format::Json) => DataFormat::Json,
            Some(Format::Jsonl) => DataFormat::Jsonl,
            Some(Format::Csv) => DataFormat::Csv,
            Some(Format::Pb) => DataFormat::PassBuilder,
            None => DataFormat::from_path(&args.data).with_context(|| {
                format!(
                    "cannot tell the format of {} from its extension; use --format json|jsonl|csv|pb",
                    args.data.display()
                )
            })?,
        };
        let file = File::open(&args.data)
            .with_context(|| format!("cannot open the data file {}", args.data.display()))?;
        data::rows(file, format).map_err(|e| anyhow::anyhow!("{}: {e}", args.data.display()))?
    };
    // A column that does not fit the template fails every row: say so once.
    if let Some(columns) = rows.columns() {
        let problems = template.schema().check_columns(columns);
        if !problems.is_empty() {
            for p in &problems {
                eprintln!(
                    "error: {}: line 1 (the CSV header): {p}",
                    args.data.display()
                );
            }
            // Every row fails: exit 1, as when each row is reported.
            eprintln!(
                "error: the columns of {} do not fit template {:?}: every row would fail; nothing was issued",
                args.data.display(),
                template.id()
            );
            return Ok(Outcome::PartialFailure);
        }
    }

    let issuer = Issuer::new(&template, &signing.identity)
        .web_service_url(signing.web_service_url.as_deref())
        .apple(args.out.is_some())
        .google(google.as_ref())
        .google_skinny(args.google_skinny);
    let signing_time = Utc::now().trunc_subsecs(0);

    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template(if args.check {
            "{spinner} {pos} rows checked ({rate}, {elapsed})"
        } else {
            "{spinner} {pos} passes issued ({rate}, {elapsed})"
        })
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        ),
    );
    let mut output = if args.check {
        Sinks::open(None, None)?
    } else {
        Sinks::open(args.out.as_deref(), args.google.as_deref())?
    };
    if args.layout == Layout::Sharded {
        output = output.sharded(super::worker_threads(args.threads));
    }
    if args.shard.is_some() {
        // Other shards may be about to write into the same folder: it stays,
        // even empty, whatever this shard issues.
        output.keep_folder();
    }
    let mut stats = Stats::default();
    let google_links = args.google.is_some();
    let resume_dir = match (&output.apple, args.resume) {
        (Some(Output::Dir { path, sharded, .. }), true) => Some((path.clone(), sharded.is_some())),
        (_, true) => {
            output.abandon();
            bail!("--resume needs a folder for --out (a .zip or .pkpasses is only written when the run ends)");
        }
        _ => None,
    };
    let removed = match &output.apple {
        Some(Output::Dir {
            path: dir, sharded, ..
        }) => {
            remove_stale_temps(dir, None)
                + if sharded.is_some() {
                    (0..=255u8)
                        .map(|i| remove_stale_temps(&shard_dir(dir, i), None))
                        .sum()
                } else {
                    0
                }
        }
        Some(Output::Zip { path, .. } | Output::Bundle { path, .. }) => remove_stale_temps_of(path),
        None => 0,
    } + match (&args.google, args.check) {
        (Some(links), false) => remove_stale_temps_of(links),
        _ => 0,
    } + args.errors.as_deref().map_or(0, remove_stale_temps_of);
    if removed > 0 {
        eprintln!("removed {removed} temp file(s) left by an interrupted run");
    }
    let reporter = match Reporter::open(&pb, args.errors.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            output.abandon();
            return Err(e);
        }
    };
    let in_shard = |row: usize| args.shard.is_none_or(|s| (row - 1) % s.count == s.index);
    // Serial numbers seen so far, as 128-bit digests: a few bytes per row
    // instead of the strings, so a million-row batch stays small.
    let mut serials: HashMap<u128, usize> = HashMap::new();
    let chunk_size = CHUNK_PER_THREAD * threads;
    let mut rows = rows.peekable();
    let mut data_error = None;
    let mut random_serials = false;
    let next_chunk = || -> Option<Vec<WorkItem>> {
        if data_error.is_some() || rows.peek().is_none() {
            return None;
        }
        let mut items: Vec<WorkItem> = Vec::with_capacity(chunk_size);
        for row in rows.by_ref().take(chunk_size) {
            let Row {
                number,
                line,
                mut values,
            } = match row {
                Ok(r) if !in_shard(r.number) => continue,
                Err(e) if e.row.is_some_and(|n| !in_shard(n)) => continue,
                Ok(r) => r,
                Err(e) if e.row.is_none() => {
                    // The input cannot be read further: the rows read so far
                    // are issued, then the run stops (and says so once, at
                    // the end).
                    data_error = Some(anyhow::anyhow!("{}: {e}", args.data.display()));
                    break;
                }
                Err(e) => {
                    stats.failed += 1;
                    reporter.data_error(&e);
                    continue;
                }
            };
            let serial = match take_serial_number(&mut values) {
                Ok(Some(s)) => s,
                Ok(None) if args.resume => derived_serial(template.id(), number, &values),
                Ok(None) => {
                    random_serials = true;
                    SerialNumber::random()
                }
                Err(e) => {
                    stats.failed += 1;
                    reporter.issue_error(
                        number,
                        line,
                        &IssueError::Render(RenderError::Fields(vec![e])),
                    );
                    continue;
                }
            };
            let digest = serial_digest(&serial);
            if let Some(first) = serials.get(&digest) {
                stats.failed += 1;
                let e = passforge::template::FieldError {
                    field: "serialNumber".into(),
                    message: format!(
                        "{serial} is already used by row {first}; serial numbers must be unique"
                    ),
                };
                reporter.issue_error(
                    number,
                    line,
                    &IssueError::Render(RenderError::Fields(vec![e])),
                );
                continue;
            }
            serials.insert(digest, number);
            let stamp = Stamp {
                serial_number: serial,
                authentication_token: AuthToken::random(),
                signing_time,
            };
            items.push(WorkItem {
                at: (number, line),
                fields: values,
                stamp,
                resumed: false,
            });
        }
        if let Some((dir, sharded)) = &resume_dir {
            pool.install(|| {
                items.par_iter_mut().for_each(|item| {
                    item.resumed = already_issued(dir, &item.stamp.serial_number, *sharded);
                });
            });
            stats.skipped += items.iter().filter(|item| item.resumed).count();
            if !google_links {
                // Nothing left to make for them.
                items.retain(|item| !item.resumed);
            }
        }
        Some(items)
    };
    let pipeline = if args.check {
        check_pipeline(&pool, &issuer, output, &reporter, next_chunk)
    } else {
        run_pipeline(&pool, &issuer, output, &pb, &reporter, next_chunk)
    };
    let (output, written) = match pipeline {
        Ok(r) => r,
        Err(failed) => {
            let (output, e) = *failed;
            let next = after_a_stop(&output, random_serials);
            output.abandon();
            // The rows that failed before the stop are still listed.
            let listed = reporter.finish();
            return Err(anyhow::anyhow!("{e:#}; {next}{}", listed_note(listed)));
        }
    };
    if let Some(e) = data_error {
        let next = if args.check {
            "the rows after it were not checked"
        } else if written.issued > 0 {
            after_a_stop(&output, random_serials)
        } else {
            "nothing was issued"
        };
        output.abandon();
        let listed = reporter.finish();
        return Err(anyhow::anyhow!("{e:#}; {next}{}", listed_note(listed)));
    }
    stats.issued += written.issued;
    stats.failed += written.failed;
    pb.finish_and_clear();
    let listed = match reporter.finish() {
        Ok(Some(path)) => format!(" (listed in {path})"),
        Ok(None) => String::new(),
        Err(e) => {
            output.abandon();
            return Err(e);
        }
    };
    for line in written.warnings.not_shown() {
        eprintln!("{line}");
    }
    let shard = args
        .shard
        .map_or_else(String::new, |s| format!(" (shard {}/{})", s.index, s.count));
    let secs = started.elapsed().as_secs_f64();
    if args.check {
        eprintln!(
            "checked {} row{}{shard}: {} would issue, {} would fail{listed}; nothing was signed or written ({secs:.2} s, {threads} thread{})",
            stats.issued + stats.failed,
            if stats.issued + stats.failed == 1 { "" } else { "s" },
            stats.issued,
            stats.failed,
            if threads == 1 { "" } else { "s" },
        );
        return Ok(if stats.failed == 0 {
            Outcome::Success
        } else {
            Outcome::PartialFailure
        });
    }
    let where_to = output.finish(signing_time, written.issued)?;
    let skipped = match stats.skipped {
        0 => String::new(),
        n => format!(
            "; {n} already issued (skipped{})",
            if google_links {
                "; their Google links signed again"
            } else {
                ""
            }
        ),
    };
    eprintln!(
        "issued {} pass{} to {where_to}{shard}; {} row{} failed{listed}{skipped} ({secs:.2} s, {threads} thread{})",
        stats.issued,
        if stats.issued == 1 { "" } else { "es" },
        stats.failed,
        if stats.failed == 1 { "" } else { "s" },
        if threads == 1 { "" } else { "s" },
    );
    Ok(if stats.failed == 0 {
        Outcome::Success
    } else {
        Outcome::PartialFailure
    })
}

/// A row ready to issue.
pub(crate) struct WorkItem {
    /// Row number and, for CSV input, its line.
    pub(crate) at: (usize, Option<u64>),
    /// The row's field values.
    pub(crate) fields: serde_json::Map<String, serde_json::Value>,
    /// Serial number, token and signing time.
    pub(crate) stamp: Stamp,
    /// Its `.pkpass` exists and verifies (`--resume`): only its Google save
    /// link is made again, so the Google CSV still lists every row.
    pub(crate) resumed: bool,
}

/// The results of one chunk, in row order.
pub(crate) type ChunkResult = Vec<((usize, Option<u64>), Result<Finished, IssueError>)>;

/// Buffers of the passes' own bytes handed back by the writer for the
/// workers to reuse: each buffer stays with the process instead of being
/// allocated on a worker and freed on the writer, a pattern under which
/// glibc's heap grew with the row count. At most [`Buffers::KEEP`] are kept.
#[derive(Default)]
pub(crate) struct Buffers(std::sync::Mutex<Vec<Vec<u8>>>);

impl Buffers {
    const KEEP: usize = 1024;

    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut v| v.pop())
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    fn give(&self, buf: Vec<u8>) {
        if let Ok(mut v) = self.0.lock() {
            if v.len() < Self::KEEP {
                v.push(buf);
            }
        }
    }
}

/// What the writer needs of an issued pass. The rendered tree and field
/// values are dropped on the signing thread that made them: freeing their many
/// small allocations on the writer thread made glibc's heap grow with the row
/// count (about 0.8 KB per row).
pub(crate) struct Finished {
    serial_number: SerialNumber,
    pkpass: Option<Pkpass>,
    google: Option<passforge::issue::GoogleSave>,
    /// Issued by an earlier run: only its Google link was made again.
    resumed: bool,
}

impl Finished {
    fn new(p: IssuedPass, resumed: bool) -> Self {
        Self {
            serial_number: p.serial_number,
            pkpass: p.pkpass,
            google: p.google,
            resumed,
        }
    }
}

/// Rows per worker thread in one chunk. At most four chunks are alive at
/// once (being signed, two queued, being written), which bounds memory.
pub(crate) const CHUNK_PER_THREAD: usize = 32;

/// Issues chunks on the pool while a writer thread delivers the previous
/// chunk's passes (files, ZIP entries, CSV lines): writing never holds up the
/// signing workers, and at most two chunks wait in between, so memory stays
/// flat whatever the row count. Returns the sinks (to finish) and the
/// writer's counts, or the sinks (to abandon) and the first write error.
pub(crate) fn run_pipeline(
    pool: &rayon::ThreadPool,
    issuer: &Issuer<'_>,
    mut sinks: Sinks,
    pb: &ProgressBar,
    reporter: &Reporter,
    mut next_chunk: impl FnMut() -> Option<Vec<WorkItem>>,
) -> Result<(Sinks, Stats), Box<(Sinks, anyhow::Error)>> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<ChunkResult>(2);
    let buffers = &Buffers::default();
    // Rows an earlier run issued get their Google link only.
    let google_only = &issuer.apple(false);
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let mut stats = Stats::default();
            for results in rx {
                if let Err(e) = sinks.deliver(results, pb, reporter, &mut stats, buffers) {
                    return Err(Box::new((sinks, e)));
                }
            }
            Ok((sinks, stats))
        });
        while let Some(items) = next_chunk() {
            let results: ChunkResult = pool.install(|| {
                items
                    .into_par_iter()
                    .map(|item| {
                        let result = if item.resumed {
                            google_only.issue_into(&item.fields, &item.stamp, Vec::new())
                        } else {
                            issuer.issue_into(&item.fields, &item.stamp, buffers.take())
                        };
                        (item.at, result.map(|p| Finished::new(p, item.resumed)))
                    })
                    .collect()
            });
            if tx.send(results).is_err() {
                break; // the writer failed; its error is returned below
            }
        }
        drop(tx);
        writer
            .join()
            .unwrap_or_else(|_| panic!("the writer thread panicked"))
    })
}

/// `--check`: every row checked on the pool as issuing would check it, in
/// order, with failures reported like an issuing run's; nothing is signed
/// or written.
fn check_pipeline(
    pool: &rayon::ThreadPool,
    issuer: &Issuer<'_>,
    sinks: Sinks,
    reporter: &Reporter,
    mut next_chunk: impl FnMut() -> Option<Vec<WorkItem>>,
) -> Result<(Sinks, Stats), Box<(Sinks, anyhow::Error)>> {
    let mut stats = Stats::default();
    while let Some(items) = next_chunk() {
        let results: Vec<_> = pool.install(|| {
            items
                .into_par_iter()
                .map(|item| (item.at, issuer.check(&item.fields, &item.stamp)))
                .collect()
        });
        for ((row, line), r) in results {
            match r {
                Ok(()) => stats.issued += 1,
                Err(e) => {
                    stats.failed += 1;
                    reporter.issue_error(row, line, &e);
                }
            }
        }
        reporter.progress((stats.issued + stats.failed) as u64);
    }
    Ok((sinks, stats))
}

/// Where issued passes go: Apple files and/or the Google CSV.
pub(crate) struct Sinks {
    apple: Option<Output>,
    google: Option<GoogleCsv>,
    /// Whether rows' warnings are printed (they are counted either way).
    print_warnings: bool,
}

impl Sinks {
    pub(crate) fn open(out: Option<&Path>, google: Option<&Path>) -> anyhow::Result<Self> {
        let apple = out.map(Output::open).transpose()?;
        let google = match google.map(GoogleCsv::open).transpose() {
            Ok(g) => g,
            Err(e) => {
                if let Some(a) = apple {
                    a.abandon();
                }
                return Err(e);
            }
        };
        Ok(Self {
            apple,
            google,
            print_warnings: true,
        })
    }

    /// Lays a folder output out in 256 subfolders written by `writers`
    /// threads (see [`Layout::Sharded`]); other outputs are unchanged.
    pub(crate) fn sharded(mut self, writers: usize) -> Self {
        if let Some(Output::Dir { sharded, .. }) = &mut self.apple {
            *sharded = Some(Sharded {
                writers: writers.max(1),
                made: Box::new([false; 256]),
            });
        }
        self
    }

    /// Counts rows' warnings without printing them.
    pub(crate) fn without_warnings(mut self) -> Self {
        self.print_warnings = false;
        self
    }

    /// Keeps the output folder even if this run created it and writes
    /// nothing into it.
    fn keep_folder(&mut self) {
        if let Some(Output::Dir { created, .. }) = &mut self.apple {
            *created = false;
        }
    }

    pub(crate) fn abandon(self) {
        if let Some(a) = self.apple {
            a.abandon();
        }
        if let Some(g) = self.google {
            g.abandon();
        }
    }

    fn deliver(
        &mut self,
        results: ChunkResult,
        pb: &ProgressBar,
        reporter: &Reporter,
        stats: &mut Stats,
        buffers: &Buffers,
    ) -> anyhow::Result<()> {
        let mut ok = Vec::with_capacity(results.len());
        for ((row, line), r) in results {
            match r {
                Ok(p) => {
                    if let Some(g) = &p.google {
                        for w in &g.save.warnings {
                            if stats.warnings.count(row, w) && self.print_warnings {
                                pb.suspend(|| eprintln!("warning: row {row}: google: {w}"));
                            }
                        }
                    }
                    ok.push(p);
                }
                Err(e) => {
                    stats.failed += 1;
                    reporter.issue_error(row, line, &e);
                }
            }
        }
        if let Some(out) = &mut self.apple {
            out.deliver(&ok)?;
        }
        if let Some(g) = &mut self.google {
            g.deliver(&ok)?;
        }
        let issued = ok.iter().filter(|p| !p.resumed).count();
        stats.issued += issued;
        pb.inc(issued as u64);
        for p in ok {
            if let Some(pkpass) = p.pkpass {
                buffers.give(pkpass.into_buffer());
            }
        }
        Ok(())
    }

    /// Commits every output, given how many passes this run issued: an
    /// output that would hold none (a .zip or bundle with no pass, a Google
    /// CSV with no line) is not written and any previous file is kept.
    fn finish(self, signing_time: chrono::DateTime<Utc>, issued: usize) -> anyhow::Result<String> {
        let google = self.google;
        let apple = match self.apple {
            Some(a) => match a.finish(signing_time, issued) {
                Ok(w) => Some(w),
                Err(e) => {
                    if let Some(g) = google {
                        g.abandon();
                    }
                    return Err(e);
                }
            },
            None => None,
        };
        let google = google.map(GoogleCsv::finish).transpose()?;
        Ok(match (apple, google) {
            (Some(a), Some(g)) => format!("{a} and Google links to {g}"),
            (Some(a), None) => a,
            (None, Some(g)) => format!("Google links in {g}"),
            (None, None) => "nowhere".to_owned(),
        })
    }
}

/// Writes passes into a sharded folder: each writer thread takes the
/// subfolders whose number is its own modulo the writers, so no two create
/// files in the same folder.
fn deliver_sharded(dir: &Path, sharded: &mut Sharded, ok: &[Finished]) -> anyhow::Result<()> {
    let passes: Vec<(u8, &Finished, &Pkpass)> = apple_passes(ok)
        .map(|(p, pkpass)| (shard_of(p.serial_number.as_str()), p, pkpass))
        .collect();
    for (shard, _, _) in &passes {
        let made = &mut sharded.made[usize::from(*shard)];
        if !*made {
            let sub = shard_dir(dir, *shard);
            std::fs::create_dir_all(&sub)
                .with_context(|| format!("cannot create {}", sub.display()))?;
            *made = true;
        }
    }
    let writers = sharded.writers;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let passes = &passes;
                scope.spawn(move || -> anyhow::Result<()> {
                    for (shard, p, pkpass) in passes
                        .iter()
                        .filter(|(shard, _, _)| usize::from(*shard) % writers == w)
                    {
                        let path = shard_path(dir, *shard, p.serial_number.as_str());
                        write_atomic_with(&path, |f| pkpass.write_to(f))
                            .with_context(|| format!("cannot write {}", path.display()))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a writer thread panicked")))
        })
    })
}

/// The passes that have an Apple side, with it.
fn apple_passes(ok: &[Finished]) -> impl Iterator<Item = (&Finished, &Pkpass)> {
    ok.iter()
        .filter_map(|p| p.pkpass.as_ref().map(|pkpass| (p, pkpass)))
}

impl Output {
    fn deliver(&mut self, ok: &[Finished]) -> anyhow::Result<()> {
        match self {
            Self::Dir {
                path: dir,
                sharded: None,
                ..
            } => {
                for (p, pkpass) in apple_passes(ok) {
                    let path = pass_path(dir, p.serial_number.as_str(), false);
                    write_atomic_with(&path, |f| pkpass.write_to(f))
                        .with_context(|| format!("cannot write {}", path.display()))?;
                }
            }
            Self::Dir {
                path: dir,
                sharded: Some(sharded),
                ..
            } => deliver_sharded(dir, sharded, ok)?,
            Self::Zip { zip, tmp, path } => {
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored);
                let context = || {
                    format!(
                        "cannot write {} (through its temp file {})",
                        path.display(),
                        tmp.display()
                    )
                };
                for (p, pkpass) in apple_passes(ok) {
                    zip.start_file(format!("{}.pkpass", p.serial_number), opts)
                        .with_context(context)?;
                    pkpass.write_to(zip.as_mut()).with_context(context)?;
                }
            }
            Self::Bundle { path, passes } => {
                for (p, pkpass) in apple_passes(ok) {
                    if passes.len() == MAX_BUNDLE_PASSES {
                        bail!("a .pkpasses bundle holds at most {MAX_BUNDLE_PASSES} passes and the data has more; nothing was written to {} (use a folder or a .zip for --out)", path.display());
                    }
                    passes.push((format!("{}.pkpass", p.serial_number), pkpass.to_vec()));
                }
            }
        }
        Ok(())
    }

    fn finish(self, signing_time: chrono::DateTime<Utc>, issued: usize) -> anyhow::Result<String> {
        if issued == 0 {
            let shown = match &self {
                Self::Dir { path, created, .. } if !created => {
                    return Ok(path.display().to_string())
                }
                Self::Dir { path, .. } | Self::Zip { path, .. } | Self::Bundle { path, .. } => {
                    format!("{} ({NOTHING})", path.display())
                }
            };
            self.abandon();
            return Ok(shown);
        }
        match self {
            Self::Dir { path, .. } => Ok(path.display().to_string()),
            Self::Zip { path, tmp, zip } => {
                let file = zip
                    .finish()
                    .map_err(anyhow::Error::from)
                    .and_then(|w| w.into_inner().map_err(anyhow::Error::from))
                    .and_then(|w| w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error())));
                commit_temp(file, &tmp, &path)
            }
            Self::Bundle { path, passes } => {
                let bytes =
                    write_pkpasses(std::io::Cursor::new(Vec::new()), &passes, signing_time)?
                        .into_inner();
                write_atomic(&path, &bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok(path.display().to_string())
            }
        }
    }
}

/// The Google CSV: one line per issued pass (and, on `--resume`, per pass an
/// earlier run issued), written to a temp file and renamed at the end.
/// A CSV written under a temp name beside `path` and renamed into place
/// when committed (see [`commit_temp`]), so no half-written file is left.
pub(crate) struct TempCsv {
    path: PathBuf,
    tmp: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
}

impl TempCsv {
    /// Starts the temp file (creating `path`'s folder) with `header`.
    ///
    /// # Errors
    /// When the folder or the temp file cannot be made.
    pub(crate) fn create(path: &Path, header: &[&str]) -> anyhow::Result<Self> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let tmp = temp_path(path);
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut csv = Self {
            path: path.to_owned(),
            tmp,
            writer: csv::Writer::from_writer(BufWriter::new(file)),
        };
        csv.write(header)?;
        Ok(csv)
    }

    /// The file this CSV becomes.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one record.
    ///
    /// # Errors
    /// When the temp file cannot be written.
    pub(crate) fn write(&mut self, record: &[&str]) -> anyhow::Result<()> {
        self.writer
            .write_record(record)
            .with_context(|| format!("cannot write {}", self.tmp.display()))
    }

    /// Renames the finished file into place; returns its path for the summary.
    ///
    /// # Errors
    /// When it cannot be flushed, synced or renamed (the temp file is removed).
    pub(crate) fn commit(self) -> anyhow::Result<String> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{}", e.error()))
            .and_then(|w| w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error())));
        commit_temp(file, &self.tmp, &self.path)
    }

    /// Removes the temp file; any previous file at `path` is kept.
    pub(crate) fn abandon(self) {
        drop(self.writer);
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// The Google links CSV: one line per pass with a Google side.
struct GoogleCsv {
    csv: TempCsv,
    lines: usize,
}

impl GoogleCsv {
    fn open(path: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            csv: TempCsv::create(path, &["serialNumber", "objectId", "saveUrl"])?,
            lines: 0,
        })
    }

    fn deliver(&mut self, ok: &[Finished]) -> anyhow::Result<()> {
        for p in ok {
            if let Some(g) = &p.google {
                self.csv
                    .write(&[p.serial_number.as_str(), &g.object_id, &g.save.url])?;
                self.lines += 1;
            }
        }
        Ok(())
    }

    /// Commits the CSV; with no line in it, nothing is written and any
    /// previous file is kept.
    fn finish(self) -> anyhow::Result<String> {
        if self.lines == 0 {
            let shown = format!("{} ({NOTHING})", self.csv.path().display());
            self.abandon();
            return Ok(shown);
        }
        self.csv.commit()
    }

    fn abandon(self) {
        self.csv.abandon();
    }
}

/// The first 128 bits of a serial number's SHA-256.
fn serial_digest(serial: &SerialNumber) -> u128 {
    let d = openssl::sha::sha256(serial.as_str().as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&d[..16]);
    u128::from_le_bytes(first)
}

/// Whether the serial's `.pkpass` exists in `dir` (laid out flat or
/// sharded) and verifies (manifest and signature), so a resumed run can
/// skip it.
fn already_issued(dir: &Path, serial: &SerialNumber, sharded: bool) -> bool {
    let Ok(bytes) = std::fs::read(pass_path(dir, serial.as_str(), sharded)) else {
        return false;
    };
    let opts = passforge::apple::verify::VerifyOptions {
        now: Utc::now(),
        ignore_expiry: false,
        ca: None,
    };
    let report = passforge::apple::verify::verify_pkpass(&bytes, &opts);
    !report.has_errors()
        && report
            .pass_json
            .as_ref()
            .and_then(|p| p.get("serialNumber"))
            .and_then(|s| s.as_str())
            == Some(serial.as_str())
}

/// A serial number derived from the template, the row's number and its
/// values (UUID v5), so the same row gets the same serial on every run.
fn derived_serial(
    template: &str,
    row: usize,
    values: &serde_json::Map<String, serde_json::Value>,
) -> SerialNumber {
    let name = format!(
        "passforge:{template}:{row}:{}",
        serde_json::Value::Object(values.clone())
    );
    SerialNumber::from_uuid(uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        name.as_bytes(),
    ))
}
