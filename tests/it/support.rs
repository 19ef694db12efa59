//! Shared helpers: paths, running the built binary, and checking passes with
//! both the project's own verifier and the independent one in ../shared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use passforge::apple::parse_cert;
use passforge::apple::verify::{verify_bundle, verify_pkpass, VerifyOptions};

/// The example templates in `templates/`, one per Apple style.
pub(crate) const EXAMPLE_TEMPLATES: [&str; 9] = [
    "event-ticket",
    "boarding-pass",
    "store-card",
    "coupon",
    "generic",
    "poster-event-ticket",
    "semantic-boarding-pass",
    "poster-generic",
    "rewards-card",
];

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared`, beside the repository.
pub(crate) fn shared() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared"))
}

/// `../shared/<rel>` if it is there. Where it is missing this says plainly
/// that the external check was not run, and returns `None`, unless
/// PASSFORGE_REQUIRE_SHARED is set (CI sets it), which makes it a failure.
pub(crate) fn shared_path(rel: &str) -> Option<PathBuf> {
    let path = shared().join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("PASSFORGE_REQUIRE_SHARED").is_none(),
        "{} is missing and PASSFORGE_REQUIRE_SHARED is set",
        path.display()
    );
    eprintln!(
        "NOTE: external check NOT run: {} is missing (clone the project beside shared/)",
        path.display()
    );
    None
}

/// The test CA that stands in for Apple's WWDR.
pub(crate) fn test_ca() -> PathBuf {
    root().join("certs-example/wwdr-ca.pem")
}

/// Runs the built `passforge` binary with `args` in `cwd`.
pub(crate) fn passforge(cwd: &Path, args: &[&str]) -> Output {
    passforge_env(cwd, args, &[])
}

/// Runs the binary with extra environment variables (and no inherited PASSFORGE_*).
pub(crate) fn passforge_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_passforge"));
    cmd.args(args).current_dir(cwd);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PASSFORGE_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run passforge")
}

/// Stderr as text.
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Stdout as text.
pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The exit code.
pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// Checks every file with passforge's own verifier (manifest hashes, the
/// signature with OpenSSL, chain to the test CA, Apple's rules): no errors.
pub(crate) fn own_verify(files: &[PathBuf]) {
    let ca = parse_cert(&std::fs::read(test_ca()).expect("read CA"), "CA").expect("CA");
    let opts = VerifyOptions {
        now: chrono::Utc::now(),
        ignore_expiry: false,
        ca: Some(ca),
    };
    for f in files {
        let bytes = std::fs::read(f).expect("read pass");
        let reports = if f.extension().is_some_and(|e| e == "pkpasses") {
            verify_bundle(&bytes, &opts)
        } else {
            vec![(String::new(), verify_pkpass(&bytes, &opts))]
        };
        for (member, r) in reports {
            let errors: Vec<String> = r
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect();
            assert!(errors.is_empty(), "{}{member}: {errors:#?}", f.display());
            if member.is_empty() || member != "(bundle)" {
                assert!(r.signing_time.is_some(), "{}: no signingTime", f.display());
            }
        }
    }
}

/// Runs `../shared/apple/verify_pkpass.py --ca <test CA> --json` on the files
/// and asserts 0 errors (see [`shared_path`] for a missing shared/).
pub(crate) fn shared_verify(files: &[PathBuf]) {
    let Some(script) = shared_path("apple/verify_pkpass.py") else {
        return;
    };
    // Each pass costs the verifier an openssl subprocess: run two at a time.
    let chunk_size = files.len().div_ceil(2).clamp(1, 500);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk_size)
            .map(|chunk| scope.spawn(|| verify_chunk(&script, chunk)))
            .collect();
        for h in handles {
            h.join().expect("verifier thread");
        }
    });
}

fn verify_chunk(script: &Path, chunk: &[PathBuf]) {
    let mut cmd = Command::new("python3");
    cmd.arg(script)
        .arg("--json")
        .arg("--ca")
        .arg(test_ca())
        .args(chunk);
    let out = cmd.output().expect("run verify_pkpass.py");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verifier output is not JSON ({e}): {}\n{}",
            stdout(&out),
            stderr(&out)
        )
    });
    let problems: Vec<String> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .flat_map(|f| {
            let file = f["file"].as_str().unwrap_or("").to_owned();
            f["issues"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|i| i["severity"] == "ERROR")
                .map(move |i| format!("{file}: {} {} {}", i["code"], i["location"], i["message"]))
        })
        .collect();
    assert_eq!(
        report["errors"], 0,
        "verify_pkpass.py found errors: {problems:#?}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "verify_pkpass.py failed: {}",
        stderr(&out)
    );
    assert_eq!(report["files"].as_array().map(Vec::len), Some(chunk.len()));
}

/// Both verifiers.
pub(crate) fn verify_all(files: &[PathBuf]) {
    assert!(!files.is_empty(), "no files to verify");
    own_verify(files);
    shared_verify(files);
}

/// The `.pkpass` files in a folder, sorted.
pub(crate) fn pkpasses_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read out dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pkpass"))
        .collect();
    v.sort();
    v
}

/// Every file name in a folder (to spot leftovers), sorted.
pub(crate) fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Reads one member of a ZIP.
pub(crate) fn zip_member(bytes: &[u8], name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut f = z.by_name(name).expect("member");
    let mut out = Vec::new();
    f.read_to_end(&mut out).expect("read member");
    out
}

/// The pass.json of a .pkpass file.
pub(crate) fn pass_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&zip_member(
        &std::fs::read(path).expect("read"),
        "pass.json",
    ))
    .expect("pass.json is strict JSON")
}

/// Writes a small template folder: pass.json, template.json and the generic example's icons.
pub(crate) fn write_template(dir: &Path, pass: &serde_json::Value, fields: &serde_json::Value) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(
        dir.join("pass.json"),
        serde_json::to_vec_pretty(pass).expect("json"),
    )
    .expect("write");
    std::fs::write(
        dir.join("template.json"),
        serde_json::to_vec_pretty(&serde_json::json!({"formatVersion": 1, "fields": fields}))
            .expect("json"),
    )
    .expect("write");
    for icon in ["icon.png", "icon@2x.png"] {
        std::fs::copy(root().join("templates/generic").join(icon), dir.join(icon))
            .expect("copy icon");
    }
}

/// Runs `../shared/google/validate_gwallet.py` on each save URL or JWT with
/// the test service account and asserts 0 errors (see [`shared_path`]).
pub(crate) fn shared_validate_google(tokens: &[String]) {
    let Some(script) = shared_path("google/validate_gwallet.py") else {
        return;
    };
    for t in tokens {
        let out = Command::new("python3")
            .arg(&script)
            .arg("--json")
            .arg(t)
            .arg(root().join("certs-example/google-service-account.json"))
            .output()
            .expect("run validate_gwallet.py");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "validator output is not JSON ({e}): {}\n{}",
                stdout(&out),
                stderr(&out)
            )
        });
        assert_eq!(
            report["errors"],
            serde_json::json!([]),
            "validate_gwallet.py errors for {}…",
            &t[..t.len().min(80)]
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

/// The claims of a save JWT, after checking its RS256 signature with the
/// public half of the test service account's key (passforge's own check).
pub(crate) fn google_claims(url_or_jwt: &str) -> serde_json::Value {
    let jwt = url_or_jwt.rsplit('/').next().expect("jwt");
    let sa: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("certs-example/google-service-account.json")).expect("read key"),
    )
    .expect("json");
    let key = openssl::pkey::PKey::private_key_from_pem(
        sa["private_key"].as_str().expect("pem").as_bytes(),
    )
    .expect("key");
    let public = key.public_key_to_pem().expect("public pem");
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&["google"]);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    let data = jsonwebtoken::decode::<serde_json::Value>(
        jwt,
        &jsonwebtoken::DecodingKey::from_rsa_pem(&public).expect("decoding key"),
        &v,
    )
    .expect("signature verifies");
    data.claims
}

/// `--google <links> --public-url …`: Google save links into the CSV `links`.
pub(crate) fn google_flags(links: &Path) -> [&str; 4] {
    [
        "--google",
        links.to_str().expect("utf8"),
        "--public-url",
        "https://passforge.example.com",
    ]
}

/// The rows of a CSV written by `passforge issue --google`.
pub(crate) fn google_csv(path: &Path) -> Vec<(String, String, String)> {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    assert_eq!(
        r.headers().expect("headers").iter().collect::<Vec<_>>(),
        ["serialNumber", "objectId", "saveUrl"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            (rec[0].to_owned(), rec[1].to_owned(), rec[2].to_owned())
        })
        .collect()
}

/// Runs `passforge issue --template T --data D --out O [extra…]` in the repository root.
pub(crate) fn issue_cli(template: &str, data: &str, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "issue",
        "--template",
        template,
        "--data",
        data,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    passforge(&root(), &args)
}

/// Copies a folder tree.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}
