//! The fuzz targets' committed corpora (`fuzz/corpus/<target>/`), replayed
//! through the same `passforge::fuzzing` functions with a plain stable
//! `cargo test`: an input that once broke a parser breaks this test if the
//! fix regresses.

use crate::support::root;

/// Every input of one target's corpus (and of its crash artifacts, once
/// fixed and committed under `fuzz/regressions/<target>/`).
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in [
        root().join("fuzz/corpus").join(target),
        root().join("fuzz/regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.expect("entry").path();
            if p.is_file() {
                out.push((
                    p.display().to_string(),
                    std::fs::read(&p).expect("read input"),
                ));
            }
        }
    }
    out.sort();
    out
}

fn replay(target: &str, run: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "fuzz/corpus/{target} has inputs");
    for (name, bytes) in inputs {
        if std::panic::catch_unwind(|| run(&bytes)).is_err() {
            panic!("{target} panicked on {name}");
        }
    }
}

#[test]
fn the_template_corpus_loads_without_panics() {
    replay("template", passforge::fuzzing::template);
}

#[test]
fn the_strings_corpus_parses_without_panics() {
    replay("strings", passforge::fuzzing::strings);
}

#[test]
fn the_rows_corpus_reads_without_panics() {
    replay("rows", passforge::fuzzing::rows);
}

#[test]
fn the_pkpass_corpus_verifies_without_panics() {
    replay("pkpass", passforge::fuzzing::pkpass);
}

#[cfg(feature = "server")]
#[test]
fn the_template_zip_corpus_unpacks_without_panics() {
    replay("template_zip", passforge::fuzzing::template_zip);
}

#[cfg(feature = "server")]
#[test]
fn the_google_callback_corpus_is_refused_without_panics() {
    replay("google_callback", passforge::fuzzing::google_callback);
}

#[cfg(feature = "server")]
#[test]
fn the_passkit_corpus_gets_no_server_errors() {
    replay("passkit", passforge::fuzzing::passkit);
}
