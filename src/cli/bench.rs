//! `passforge bench`: the throughput benchmark. Issues passes from a template
//! at one thread and at every core, measures OpenSSL's bare RSA signing rate
//! in the same run, and prints the ratios and the peak memory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use chrono::{SubsecRound as _, Utc};
use passforge::issue::{Issuer, Stamp};
use passforge::template::load_dir;
use serde_json::{Map, Value};

use super::config::ConfigArgs;
use super::Outcome;

/// Arguments of `passforge bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// The template to issue from; rows are its sample.csv, repeated.
    #[arg(long, value_name = "DIR", default_value = "templates/event-ticket")]
    template: PathBuf,
    /// Passes per measurement.
    #[arg(long, default_value_t = 4000)]
    rows: usize,
    /// Threads for the parallel measurement (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Also sign a Google save JWT for every pass.
    #[arg(long)]
    google: bool,
    /// Measurement rounds; the best of each is reported (the machine may be shared).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds of bare signing per round for the in-process sign rate.
    #[arg(long, default_value_t = 2.0)]
    sign_seconds: f64,
    /// Do not run `openssl speed -seconds 3 rsa2048` (compare with the in-process rate only).
    #[arg(long)]
    no_openssl_cli: bool,
    /// Folder to write passes into (default: a temp folder, in /dev/shm when it exists).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// The folder's layout, as `issue --layout`: `sharded` measures both the
    /// folder's create rate and folder output in 256 subfolders, one writer
    /// per thread.
    #[arg(long, value_enum, default_value = "flat")]
    layout: super::issue::Layout,
    #[command(flatten)]
    config: ConfigArgs,
}

fn sample_rows(template: &Path, n: usize) -> anyhow::Result<Vec<Map<String, Value>>> {
    let csv = template.join("sample.csv");
    let mut base: Vec<Map<String, Value>> = Vec::new();
    if csv.exists() {
        for row in
            passforge::data::rows(std::fs::File::open(&csv)?, passforge::data::DataFormat::Csv)
                .map_err(|e| anyhow::anyhow!("{}: {e}", csv.display()))?
        {
            let mut row = row.map_err(|e| anyhow::anyhow!("{}: {e}", csv.display()))?;
            row.values.remove("serialNumber");
            base.push(row.values);
        }
    }
    if base.is_empty() {
        base.push(Map::new());
    }
    Ok((0..n).map(|i| base[i % base.len()].clone()).collect())
}

/// The process's peak resident set size in MiB (Linux).
pub(crate) fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// `openssl speed -seconds 3 rsa2048` sign/s, on one core or (with
/// `-multi`) on `processes` at once, if the CLI is there.
fn openssl_speed(processes: usize) -> Option<f64> {
    let mut cmd = std::process::Command::new("openssl");
    cmd.args(["speed", "-seconds", "3"]);
    if processes > 1 {
        cmd.args(["-multi", &processes.to_string()]);
    }
    let out = cmd.arg("rsa2048").output().ok()?;
    parse_openssl_speed(&String::from_utf8_lossy(&out.stdout))
}

/// The sign/s column of `openssl speed rsa2048`'s summary line
/// (`rsa 2048 bits 0.000278s 0.000015s 3593.3 65550.0`).
fn parse_openssl_speed(text: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.starts_with("rsa 2048 bits"))?;
    line.split_whitespace().nth(5)?.parse().ok()
}

pub(crate) fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let signing = args.config.apple()?;
    let google = if args.google {
        Some(args.config.google()?)
    } else {
        None
    };
    let template = load_dir(&args.template).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rows = sample_rows(&args.template, args.rows)?;
    let threads = super::worker_threads(args.threads);
    let sharded = args.layout == super::issue::Layout::Sharded;
    let issuer = Issuer::new(&template, &signing.identity)
        .web_service_url(signing.web_service_url.as_deref())
        .google(google.as_ref());
    let base = match &args.out_dir {
        Some(d) => d.clone(),
        None => {
            let parent = if Path::new("/dev/shm").is_dir() {
                PathBuf::from("/dev/shm")
            } else {
                std::env::temp_dir()
            };
            tempfile_dir(&parent)?
        }
    };
    eprintln!(
        "benchmark: {} passes of {} per measurement, {} round(s), writing to {}",
        args.rows,
        template.id(),
        args.rounds,
        base.display()
    );

    let sign_rate = |d: Duration| -> anyhow::Result<f64> {
        let digest = [7u8; 32];
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < d {
            signing.identity.sign_digest_for_benchmark(&digest)?;
            n += 1;
        }
        Ok(n as f64 / start.elapsed().as_secs_f64())
    };
    let issue_rate = |t: usize, round: usize| -> anyhow::Result<f64> {
        let dir = base.join(format!("t{t}-r{round}"));
        std::fs::create_dir_all(&dir)?;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build()?;
        let time = Utc::now().trunc_subsecs(0);
        // Rows' warnings (e.g. long Google links) are the same every round
        // and say nothing about speed.
        let mut sinks = super::issue::Sinks::open(Some(&dir), None)?.without_warnings();
        if sharded {
            sinks = sinks.sharded(t);
        }
        let pb = indicatif::ProgressBar::hidden();
        let reporter = super::report::Reporter::open(&pb, None)?;
        let mut chunks = rows.chunks(super::issue::CHUNK_PER_THREAD * t).enumerate();
        let mut bad = None;
        let next = || {
            let (c, chunk) = chunks.next()?;
            let items: Result<Vec<super::issue::WorkItem>, _> = chunk
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let n = c * super::issue::CHUNK_PER_THREAD * t + i;
                    Stamp::new(
                        &format!("BENCH-{n:07}"),
                        &format!("{:032x}", n as u128 * 7919 + 1),
                        time,
                    )
                    .map(|stamp| super::issue::WorkItem {
                        at: (n + 1, None),
                        fields: r.clone(),
                        stamp,
                        resumed: false,
                    })
                })
                .collect();
            match items {
                Ok(items) => Some(items),
                Err(e) => {
                    bad = Some(e);
                    None
                }
            }
        };
        let start = Instant::now();
        let (sinks, stats) = super::issue::run_pipeline(
            &pool, &issuer, sinks, &pb, &reporter, next,
        )
        .map_err(|failed| {
            let (sinks, e) = *failed;
            sinks.abandon();
            e
        })?;
        if let Some(e) = bad {
            return Err(e.into());
        }
        if stats.failed > 0 || stats.issued != rows.len() {
            bail!("{} of {} passes failed", stats.failed, rows.len());
        }
        drop(sinks);
        let rate = rows.len() as f64 / start.elapsed().as_secs_f64();
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clean {}", dir.display()))?;
        Ok(rate)
    };

    // The same passes built in memory and dropped: how signing scales with
    // threads when no file is written (the writer's page-cache copies share
    // the cores in the measurement above).
    let memory_rate = |t: usize| -> anyhow::Result<f64> {
        use rayon::prelude::*;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build()?;
        let time = Utc::now().trunc_subsecs(0);
        let start = Instant::now();
        let failed = pool.install(|| {
            rows.par_iter()
                .enumerate()
                .filter(|(n, r)| {
                    let stamp = Stamp::new(
                        &format!("MEM-{n:07}"),
                        &format!("{:032x}", *n as u128 * 7919 + 1),
                        time,
                    );
                    stamp.map_or(true, |s| issuer.issue(r, &s).is_err())
                })
                .count()
        });
        if failed > 0 {
            bail!("{failed} passes failed");
        }
        Ok(rows.len() as f64 / start.elapsed().as_secs_f64())
    };

    // The output folder's own limit: files of a pass's size created and
    // written, with no signing, by `t` threads (on ext4 creating a file
    // costs more than signing a pass; on tmpfs far less).
    let pass_bytes = {
        let stamp = Stamp::new("SIZE-0000001", &format!("{:032x}", 1), Utc::now())?;
        issuer
            .issue(rows.first().context("no sample rows")?, &stamp)?
            .pkpass
            .map_or(0, |p| p.to_vec().len())
    };
    let create_rate = |t: usize, round: usize| -> anyhow::Result<f64> {
        use rayon::prelude::*;
        let dir = base.join(format!("create-t{t}-r{round}"));
        std::fs::create_dir_all(&dir)?;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build()?;
        let body = vec![0x5a_u8; pass_bytes];
        let start = Instant::now();
        if sharded {
            // As `issue --layout sharded` writes: thread w creates in the
            // subfolders whose number is w modulo t.
            pool.install(|| {
                (0..t).into_par_iter().try_for_each(|w| {
                    (0..rows.len())
                        .filter(|n| n % 256 % t == w)
                        .try_for_each(|n| {
                            let sub = super::issue::shard_dir(&dir, (n % 256) as u8);
                            if n < 256 {
                                std::fs::create_dir_all(&sub)?;
                            }
                            std::fs::write(sub.join(format!("CREATE-{n:07}.pkpass")), &body)
                        })
                })
            })?;
        } else {
            pool.install(|| {
                (0..rows.len()).into_par_iter().try_for_each(|n| {
                    std::fs::write(dir.join(format!("CREATE-{n:07}.pkpass")), &body)
                })
            })?;
        }
        let rate = rows.len() as f64 / start.elapsed().as_secs_f64();
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clean {}", dir.display()))?;
        Ok(rate)
    };

    let (mut best_sign, mut best_one, mut best_n) = (0f64, 0f64, 0f64);
    let (mut create_one, mut create_n) = (0f64, 0f64);
    let (mut mem_one, mut mem_n) = (0f64, 0f64);
    for round in 0..args.rounds.max(1) {
        mem_one = mem_one.max(memory_rate(1)?);
        if threads > 1 {
            mem_n = mem_n.max(memory_rate(threads)?);
        }
        best_sign = best_sign.max(sign_rate(Duration::from_secs_f64(
            args.sign_seconds.max(0.05),
        ))?);
        best_one = best_one.max(issue_rate(1, round)?);
        create_one = create_one.max(create_rate(1, round)?);
        if threads > 1 {
            best_n = best_n.max(issue_rate(threads, round)?);
            create_n = create_n.max(create_rate(threads, round)?);
        }
        eprintln!("round {}: sign {best_sign:.0}/s, 1 thread {best_one:.0}/s, {threads} threads {best_n:.0}/s (best so far)", round + 1);
    }
    let (cli, cli_multi) = if args.no_openssl_cli {
        (None, None)
    } else {
        (
            openssl_speed(1),
            (threads > 1).then(|| openssl_speed(threads)).flatten(),
        )
    };
    if args.out_dir.is_none() {
        let _ = std::fs::remove_dir_all(&base);
    }
    let signatures = if args.google { 2.0 } else { 1.0 };
    let reference = cli.unwrap_or(best_sign);
    let what = if args.google {
        "Apple + Google"
    } else {
        "Apple only"
    };
    println!(
        "template                      {} ({} KB of images)",
        template.id(),
        template
            .assets()
            .iter()
            .map(|a| a.bytes.len())
            .sum::<usize>()
            / 1024
    );
    match cli {
        Some(c) => println!("openssl speed rsa2048         {c:>8.0} sign/s (1 core)"),
        None => println!("openssl speed rsa2048         (not run)"),
    }
    if let Some(m) = cli_multi {
        println!(
            "openssl speed -multi {threads:<2}       {m:>8.0} sign/s ({threads} cores) = {:.2}x one core",
            cli.map_or(f64::NAN, |c| m / c)
        );
    }
    println!("in-process RSA-2048 sign      {best_sign:>8.0} sign/s (1 thread)");
    println!("passforge {what:<19} {best_one:>8.0} passes/s (1 thread) = {:.0}% of the sign rate per signature", 100.0 * best_one * signatures / reference);
    if threads > 1 {
        let of_multi = cli_multi.map_or_else(String::new, |m| {
            format!(
                "; {:.0}% of openssl speed -multi {threads} per signature",
                100.0 * best_n * signatures / m
            )
        });
        println!(
            "passforge {what:<19} {best_n:>8.0} passes/s ({threads} threads) = {:.2}x one thread{of_multi}",
            best_n / best_one
        );
    }
    // Folder output against the lower of its two limits: signing on the
    // threads it has, and the folder's own create rate.
    let sign_limit = |t: usize| {
        let per_core = reference / signatures;
        if t > 1 {
            cli_multi.map_or(per_core * t as f64, |m| m / signatures)
        } else {
            per_core
        }
    };
    for (t, issued, created) in std::iter::once((1, best_one, create_one))
        .chain((threads > 1).then_some((threads, best_n, create_n)))
    {
        let limit = sign_limit(t).min(created);
        let bound = if created < sign_limit(t) {
            "file creation"
        } else {
            "signing"
        };
        println!(
            "folder create rate            {created:>8.0} files/s ({t} thread{}, {} KB each, no signing{})",
            if t == 1 { "" } else { "s" },
            pass_bytes / 1024,
            if sharded { ", sharded" } else { "" }
        );
        println!(
            "folder output                 {issued:>8.0} passes/s ({t} thread{}) = {:.0}% of min(sign rate x threads, create rate) = {limit:.0}/s, bound by {bound}",
            if t == 1 { "" } else { "s" },
            100.0 * issued / limit
        );
    }
    println!("in memory, no files           {mem_one:>8.0} passes/s (1 thread)");
    if threads > 1 {
        println!(
            "in memory, no files           {mem_n:>8.0} passes/s ({threads} threads) = {:.2}x one thread",
            mem_n / mem_one
        );
    }
    if let Some(rss) = peak_rss_mib() {
        println!("peak RSS                      {rss:>8.1} MiB");
    }
    Ok(Outcome::Success)
}

fn tempfile_dir(parent: &Path) -> anyhow::Result<PathBuf> {
    let dir = parent.join(format!("passforge-bench-{}", std::process::id()));
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::parse_openssl_speed;

    #[test]
    fn reads_the_sign_rate_of_openssl_speed() {
        let one = "version: 3.0.x\n                  sign    verify    sign/s verify/s\nrsa 2048 bits 0.000278s 0.000015s   3593.3  65550.0\n";
        assert_eq!(parse_openssl_speed(one), Some(3593.3));
        let multi = "Forked child 0\n+R1:10779:2048:3.00\nrsa 2048 bits 0.000146s 0.000008s   6871.3 126099.3\n";
        assert_eq!(parse_openssl_speed(multi), Some(6871.3));
        assert_eq!(parse_openssl_speed("openssl: command not found"), None);
    }
}
