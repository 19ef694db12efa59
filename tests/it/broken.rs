//! Broken templates: each problem gets a precise, located error, every
//! problem is listed, and `passforge issue` exits 2 without writing anything.

use std::path::Path;

use serde_json::json;

use crate::support::*;

fn good_pass() -> serde_json::Value {
    json!({
        "formatVersion": 1, "organizationName": "O", "description": "D",
        "backgroundColor": "rgb(10, 20, 30)",
        "generic": {"primaryFields": [{"key": "name", "label": "NAME", "value": "{{ name }}"}]}
    })
}

fn fields() -> serde_json::Value {
    json!({"name": {"type": "string"}})
}

/// Runs `validate` and `issue` on a template folder; returns validate's stderr.
fn expect_broken(dir: &Path, expected: &[&str]) -> String {
    let v = passforge(&root(), &["validate", dir.to_str().expect("utf8")]);
    let err = stderr(&v);
    assert_eq!(code(&v), 1, "validate must fail: {err}");
    for e in expected {
        assert!(err.contains(e), "missing {e:?} in:\n{err}");
    }
    let data = dir.parent().expect("parent").join("row.json");
    std::fs::write(&data, r#"{"name": "x"}"#).expect("write");
    let out = dir.parent().expect("parent").join("out");
    let o = issue_cli(
        dir.to_str().expect("utf8"),
        data.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 2, "issue must exit 2: {}", stderr(&o));
    assert!(stderr(&o).contains("nothing was issued"), "{}", stderr(&o));
    assert!(
        !out.exists() || names_in(&out).is_empty(),
        "nothing written"
    );
    err
}

fn template(tmp: &Path) -> std::path::PathBuf {
    let dir = tmp.join("t");
    write_template(&dir, &good_pass(), &fields());
    dir
}

#[test]
fn invalid_json_reports_line_and_column() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = template(tmp.path());
    std::fs::write(
        dir.join("pass.json"),
        "{\n  \"formatVersion\": 1,\n  \"description\" \"no colon\"\n}\n",
    )
    .expect("write");
    expect_broken(
        &dir,
        &[
            "pass.json:3:17: invalid JSON: expected `:`",
            "[json.syntax]",
        ],
    );
}

#[test]
fn missing_icon_and_non_png_image() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = template(tmp.path());
    std::fs::remove_file(dir.join("icon.png")).expect("rm");
    std::fs::remove_file(dir.join("icon@2x.png")).expect("rm");
    std::fs::write(dir.join("logo.png"), b"\xFF\xD8\xFF\xE0 this is a JPEG").expect("write");
    expect_broken(
        &dir,
        &[
            "icon.png: no valid icon.png",
            "[files.missing_icon]",
            "logo.png: not a valid PNG (a JPEG)",
            "[image.not_png]",
        ],
    );
}

#[test]
fn undeclared_placeholder_two_styles_duplicate_keys_bad_color() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("t");
    let mut pass = good_pass();
    pass["backgroundColor"] = json!("blue");
    pass["generic"]["secondaryFields"] = json!([{"key": "name", "value": "{{ nmae }}"}]);
    pass["coupon"] = json!({"primaryFields": [{"key": "c", "value": "x"}]});
    write_template(&dir, &pass, &fields());
    let err = expect_broken(
        &dir,
        &[
            "pass.json#/backgroundColor: \"blue\" is not a color",
            "pass.json#/generic/secondaryFields/0/value: placeholder `nmae` is not declared",
            "pass.json#/generic: pass.json has 2 styles (coupon, generic); keep exactly one",
            "pass.json#/generic/secondaryFields/0/key: field key \"name\" is already used at /generic/primaryFields/0",
        ],
    );
    assert!(
        err.lines().filter(|l| l.starts_with("error:")).count() >= 4,
        "every problem is listed, not only the first:\n{err}"
    );
}

#[test]
fn duplicate_json_keys_and_bad_template_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = template(tmp.path());
    std::fs::write(dir.join("template.json"), "{\"formatVersion\": 1, \"fields\": {\n  \"name\": {\"type\": \"string\"},\n  \"name\": {\"type\": \"number\"}\n}}").expect("write");
    expect_broken(&dir, &["template.json:3:", "duplicate key \"name\""]);
}

#[test]
fn bad_lproj_line_and_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = template(tmp.path());
    std::fs::create_dir_all(dir.join("de.lproj")).expect("mkdir");
    std::fs::write(
        dir.join("de.lproj/pass.strings"),
        "\"NAME\" = \"Name\";\n\"BROKEN\" \"no equals\";\n",
    )
    .expect("write");
    std::fs::create_dir_all(dir.join("not a language.lproj")).expect("mkdir");
    std::fs::write(
        dir.join("not a language.lproj/pass.strings"),
        "\"A\" = \"B\";",
    )
    .expect("write");
    expect_broken(
        &dir,
        &[
            "de.lproj/pass.strings:2: expected '=', found '\"'",
            "[strings.parse_error]",
            "not a language.lproj/pass.strings",
            "[lproj.bad_name]",
        ],
    );
}

#[test]
fn template_without_template_json_has_no_fields() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = template(tmp.path());
    std::fs::remove_file(dir.join("template.json")).expect("rm");
    // Now {{ name }} is undeclared.
    expect_broken(&dir, &["placeholder `name` is not declared"]);
}
