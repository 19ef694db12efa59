//! Batches: 2,000 rows, resume after kill -9, shards, and byte-identical
//! output whatever the thread count.

use std::path::Path;

use crate::support::*;

fn write_rows(path: &Path, n: usize, with_serial: bool) {
    let mut w = csv::Writer::from_path(path).expect("csv");
    let mut header = vec!["attendee", "seat", "section", "doorsOpen", "price"];
    if with_serial {
        header.insert(0, "serialNumber");
    }
    w.write_record(&header).expect("header");
    for i in 0..n {
        let mut rec = vec![
            format!("Person {i}"),
            format!("A{}", i % 999 + 1),
            "GA".to_owned(),
            "2027-06-12T19:00:00+01:00".to_owned(),
            (i % 100).to_string(),
        ];
        if with_serial {
            rec.insert(0, format!("T-{i:05}"));
        }
        w.write_record(&rec).expect("row");
    }
    w.flush().expect("flush");
}

fn no_temp_files(dir: &Path) {
    let temps: Vec<String> = names_in(dir)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(temps.is_empty(), "temp files left: {temps:?}");
}

#[test]
fn two_thousand_rows_all_verify() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("rows.csv");
    write_rows(&data, 2000, true);
    let out = tmp.path().join("out");
    let o = issue_cli(
        "templates/event-ticket",
        data.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("issued 2000 passes"), "{}", stderr(&o));
    let files = pkpasses_in(&out);
    assert_eq!(files.len(), 2000);
    no_temp_files(&out);
    verify_all(&files);
}

#[test]
fn killed_batch_resumes_to_exactly_one_valid_file_per_row() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("rows.csv");
    // No serialNumber column: --resume derives serials from the rows.
    write_rows(&data, 600, false);
    let out = tmp.path().join("out");
    let args = [
        "issue",
        "--template",
        "templates/event-ticket",
        "--data",
        data.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--resume",
        "--threads",
        "1",
    ];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_passforge"))
        .args(args)
        .current_dir(root())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let n = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
        if n >= 50 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("kill -9");
    child.wait().expect("wait");
    let partial = pkpasses_in(&out).len();
    assert!(partial < 600, "the run was interrupted ({partial} files)");
    // Simulate a temp file left behind by the killed process.
    std::fs::write(
        out.join(format!(
            ".x.pkpass.tmp-{}-999999",
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .unwrap_or_default()
                .trim()
        )),
        b"partial",
    )
    .expect("write");

    let o = passforge(&root(), &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("issued {} passes", 600 - partial)) || partial == 0,
        "{err}"
    );
    assert!(
        partial == 0 || err.contains(&format!("{partial} already issued (skipped)")),
        "{err}"
    );
    let files = pkpasses_in(&out);
    assert_eq!(files.len(), 600, "exactly one file per row");
    no_temp_files(&out);
    own_verify(&files);
    shared_verify(&files[..40]);

    // A third run has nothing left to do.
    let again = passforge(&root(), &args);
    assert_eq!(code(&again), 0);
    assert!(
        stderr(&again).contains("issued 0 passes") && stderr(&again).contains("600 already issued"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn shards_cover_every_row_exactly_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("rows.csv");
    write_rows(&data, 50, true);
    let out = tmp.path().join("out");
    let mut seen = Vec::new();
    for i in 0..3 {
        let shard_dir = tmp.path().join(format!("shard{i}"));
        let shard = format!("{i}/3");
        let o = issue_cli(
            "templates/event-ticket",
            data.to_str().expect("utf8"),
            shard_dir.to_str().expect("utf8"),
            &["--shard", &shard],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let names = names_in(&shard_dir);
        assert!(
            names.len() >= 16 && names.len() <= 17,
            "{i}: {}",
            names.len()
        );
        seen.extend(names);
        // The same shard into the shared folder, as N machines would.
        let o = issue_cli(
            "templates/event-ticket",
            data.to_str().expect("utf8"),
            out.to_str().expect("utf8"),
            &["--shard", &shard],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let total = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!((total, seen.len()), (50, 50), "disjoint and complete");
    assert_eq!(names_in(&out), seen);
    // A shard with no rows leaves the folder it created in place: other
    // shards may be about to write into it.
    let two = tmp.path().join("two.csv");
    write_rows(&two, 2, true);
    let shared = tmp.path().join("shared");
    let o = issue_cli(
        "templates/event-ticket",
        two.to_str().expect("utf8"),
        shared.to_str().expect("utf8"),
        &["--shard", "2/3"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("issued 0 passes"), "{}", stderr(&o));
    assert!(shared.is_dir(), "a shard's output folder was removed");
    let bad = issue_cli(
        "templates/event-ticket",
        data.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &["--shard", "3/3"],
    );
    assert_eq!(code(&bad), 2);
}

#[test]
fn output_is_byte_identical_across_thread_counts() {
    use passforge::issue::{Issuer, Stamp};
    let template =
        passforge::template::load_dir(&root().join("templates/event-ticket")).expect("template");
    let identity = passforge::apple::test_identity::load().expect("identity");
    let issuer =
        Issuer::new(&template, &identity).web_service_url(Some("https://pf.example/apple"));
    let time = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
    let items = || -> Vec<(usize, serde_json::Map<String, serde_json::Value>, Stamp)> {
        (0..64)
            .map(|i| {
                let row = serde_json::json!({"attendee": format!("P{i}"), "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"});
                let stamp = Stamp::new(&format!("S-{i}"), &format!("token-{i:012}-abcdef"), time).expect("stamp");
                (i, row.as_object().cloned().expect("object"), stamp)
            })
            .collect()
    };
    let run = |threads: usize| -> Vec<Vec<u8>> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| issuer.issue_chunk(items()))
            .into_iter()
            .map(|(_, r)| r.expect("issued").pkpass.expect("apple").to_vec())
            .collect()
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one.len(), 64);
    assert!(one == two, "1 and 2 threads give the same bytes");
}

#[test]
fn bench_command_reports_rates_ratio_and_memory() {
    let o = passforge(
        &root(),
        &[
            "bench",
            "--rows",
            "64",
            "--rounds",
            "1",
            "--sign-seconds",
            "0.1",
            "--no-openssl-cli",
            "--threads",
            "2",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    for expected in [
        "in-process RSA-2048 sign",
        "passes/s (1 thread) =",
        "% of the sign rate",
        "passes/s (2 threads) =",
        "x one thread",
        "in memory, no files",
        "folder create rate",
        "files/s (2 threads",
        "of min(sign rate x threads, create rate)",
        "peak RSS",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // The sharded layout measures its own create rate and output.
    let o = passforge(
        &root(),
        &[
            "bench",
            "--rows",
            "300",
            "--rounds",
            "1",
            "--sign-seconds",
            "0.1",
            "--no-openssl-cli",
            "--threads",
            "2",
            "--layout",
            "sharded",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("no signing, sharded)") && out.contains("passes/s (2 threads) ="),
        "{out}"
    );
}

#[test]
fn temps_a_killed_run_left_beside_a_zip_bundle_or_csv_are_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let host: String = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("hostname")
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    // What kill -9 leaves while a .zip, a bundle and a Google CSV are being
    // written (pid 999999 is not running), beside files that are not ours to
    // remove: another name, another machine's job.
    let stale = [
        format!(".passes.zip.tmp-{host}-999999"),
        format!(".passes.pkpasses.tmp-{host}-999999"),
        format!(".links.csv.tmp-{host}-999999"),
    ];
    let others = [
        format!(".notes.txt.tmp-{host}-999999"),
        ".passes.zip.tmp-otherhost-999999".to_owned(),
        "passes.zip.tmp-keep".to_owned(),
    ];
    for name in stale.iter().chain(&others) {
        std::fs::write(tmp.path().join(name), b"partial").expect("write");
    }
    let links = tmp.path().join("links.csv");
    let google = google_flags(&links);
    for out in ["passes.zip", "passes.pkpasses"] {
        let o = issue_cli(
            "templates/event-ticket",
            "templates/event-ticket/sample.csv",
            tmp.path().join(out).to_str().expect("utf8"),
            &google,
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let expected = if out == "passes.zip" { 2 } else { 1 };
        assert!(
            stderr(&o).contains(&format!(
                "removed {expected} temp file(s) left by an interrupted run"
            )),
            "{}",
            stderr(&o)
        );
    }
    let names = names_in(tmp.path());
    for name in &stale {
        assert!(!names.contains(name), "{name} left behind: {names:?}");
    }
    for name in &others {
        assert!(names.contains(name), "{name} removed: {names:?}");
    }
    assert_eq!(google_csv(&links).len(), 4);
}

#[test]
fn a_write_that_fails_mid_batch_says_how_to_finish_and_resume_does() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    // A folder where row 60's pass must go: its write fails, as a full disk
    // would make it, after the rows before it were written.
    std::fs::create_dir_all(out.join("T-00059.pkpass")).expect("mkdir");
    let data = tmp.path().join("rows.csv");
    write_rows(&data, 120, true);
    // Row 10 is bad: the errors file still lists it though the run stops.
    let text = std::fs::read_to_string(&data).expect("read");
    std::fs::write(&data, text.replacen("Person 9,", ",", 1)).expect("write");
    let errors = tmp.path().join("errors.csv");
    let o = issue_cli(
        "templates/event-ticket",
        data.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &["--errors", errors.to_str().expect("utf8")],
    );
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(err.contains("T-00059.pkpass"), "names the file: {err}");
    assert!(
        err.contains(&format!(
            "the rows that failed before it are listed in {}",
            errors.display()
        )),
        "{err}"
    );
    let listed = std::fs::read_to_string(&errors).expect("errors file");
    assert!(
        listed.contains("10,11,attendee,required field is missing"),
        "{listed}"
    );
    assert!(
        err.contains("fix that and run the same command with --resume to issue only the rest"),
        "says what to do next: {err}"
    );
    no_temp_files(&out);
    let written: Vec<_> = pkpasses_in(&out)
        .into_iter()
        .filter(|f| f.is_file())
        .collect();
    assert!(
        (1..120).contains(&written.len()),
        "stopped part-way: {}",
        written.len()
    );
    verify_all(&written);

    // Rows without a serial number got random ones: --resume could not
    // tell them apart from rows still to issue, and the error says so.
    let random = tmp.path().join("random.csv");
    std::fs::write(
        &random,
        "serialNumber,attendee,seat,section,doorsOpen,price\n\
         ,Ada,A1,GA,2027-06-12T19:00:00+01:00,1\n\
         T-00059,Bob,A2,GA,2027-06-12T19:00:00+01:00,2\n",
    )
    .expect("write");
    let o = issue_cli(
        "templates/event-ticket",
        random.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &[],
    );
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(
        err.contains("rows without a serialNumber got random ones this run"),
        "{err}"
    );

    // Clear the way, fix row 10, drop the random-serial passes of the second
    // run, resume.
    std::fs::remove_dir(out.join("T-00059.pkpass")).expect("rmdir");
    write_rows(&data, 120, true);
    for f in pkpasses_in(&out) {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        if !name.starts_with("T-") {
            std::fs::remove_file(f).expect("remove");
        }
    }
    let o = issue_cli(
        "templates/event-ticket",
        data.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &["--resume"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("already issued (skipped)"),
        "{}",
        stderr(&o)
    );
    let files = pkpasses_in(&out);
    assert_eq!(files.len(), 120);
    no_temp_files(&out);
    verify_all(&files);
}

#[test]
fn sharded_layout_spreads_passes_over_subfolders_written_in_parallel_and_resumes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("rows.csv");
    write_rows(&data, 300, true);
    let out = tmp.path().join("out");
    let args = [
        "issue",
        "--template",
        "templates/event-ticket",
        "--data",
        data.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--layout",
        "sharded",
        "--resume",
        "--threads",
        "2",
    ];
    let o = passforge(&root(), &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("issued 300 passes"), "{}", stderr(&o));

    // Every pass in the subfolder its serial's SHA-256 names, none on top.
    let shard = |serial: &str| format!("{:02x}", openssl::sha::sha256(serial.as_bytes())[0]);
    let placed = |out: &Path| -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for sub in names_in(out) {
            let dir = out.join(&sub);
            assert!(dir.is_dir(), "only subfolders on top: {sub}");
            assert!(
                sub.len() == 2 && sub.chars().all(|c| c.is_ascii_hexdigit()),
                "{sub}"
            );
            no_temp_files(&dir);
            for name in names_in(&dir) {
                let serial = name.strip_suffix(".pkpass").expect("a .pkpass");
                assert_eq!(shard(serial), sub, "{name} in the wrong subfolder");
                files.push(dir.join(&name));
            }
        }
        files.sort();
        files
    };
    let files = placed(&out);
    assert_eq!(files.len(), 300, "one file per row");
    assert!(names_in(&out).len() > 100, "spread over many subfolders");
    own_verify(&files);
    shared_verify(&files[..10]);
    let second = std::fs::read(&files[1]).expect("read");

    // A restarted job finds its earlier passes in their subfolders; a
    // killed run's temp file in a subfolder is cleaned up.
    for f in files.iter().step_by(15) {
        std::fs::remove_file(f).expect("remove");
    }
    let sub = files[1].parent().expect("subfolder").to_path_buf();
    let stale = sub.join(format!(
        ".x.pkpass.tmp-{}-999999",
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .unwrap_or_default()
            .trim()
    ));
    std::fs::write(&stale, b"partial").expect("write");
    let o = passforge(&root(), &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("issued 20 passes") && err.contains("280 already issued (skipped)"),
        "{err}"
    );
    assert!(!stale.exists(), "the killed run's temp file was removed");
    let again = placed(&out);
    assert_eq!(again, files);
    own_verify(&again);
    assert_eq!(
        std::fs::read(&files[1]).expect("read"),
        second,
        "a skipped pass is left as it was"
    );
}
