//! Templates: listing and problems, the watched folder, zip uploads and replacement.

use super::*;

#[tokio::test]
async fn templates_show_schema_problems_and_images() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("member");
    write_template(
        &good,
        &json!({
            "formatVersion": 1, "passTypeIdentifier": "pass.x", "teamIdentifier": "T", "serialNumber": "x",
            "organizationName": "Org", "description": "Member card",
            "generic": {"primaryFields": [{"key": "name", "label": "NAME", "value": "{{ name }}"}]}
        }),
        &json!({"name": {"type": "string", "required": true}}),
    );
    let bad = dir.path().join("broken");
    write_template(
        &bad,
        &json!({"formatVersion": 1, "description": "x", "generic": {"primaryFields": [{"key": "a", "value": "{{ missing }}"}]}}),
        &json!({}),
    );
    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    let key = h.key(&[Scope::Read]).await;
    let (status, list) = h.json(Method::GET, "/v1/templates", &key, None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, ["broken", "member"]);

    let (_, t) = h
        .json(Method::GET, "/v1/templates/member", &key, None)
        .await;
    assert_eq!(t["status"], "ready");
    assert_eq!(t["appleStyle"], "generic");
    assert_eq!(t["googleType"], "generic");
    assert_eq!(t["fieldsSchema"]["required"], json!(["name"]), "{t}");

    let (_, t) = h
        .json(Method::GET, "/v1/templates/broken", &key, None)
        .await;
    assert_eq!(t["status"], "invalid");
    let problems = t["problems"].to_string();
    assert!(problems.contains("missing"), "{problems}");
    let (status, _) = h
        .json(Method::GET, "/v1/templates/nothing", &key, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let writer = h.key(&[Scope::Write]).await;
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &writer,
            Some(json!({"templateId": "broken", "customFields": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    // Images are public (Google fetches them); other files are not served.
    let (status, headers, bytes) = h
        .send(Method::GET, "/templates/member/icon.png", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(bytes, std::fs::read(good.join("icon.png")).expect("icon"));
    let (status, _, _) = h
        .send(Method::GET, "/templates/member/pass.json", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn member_pass(label: &str) -> Value {
    json!({
        "formatVersion": 1, "passTypeIdentifier": "pass.x", "teamIdentifier": "T", "serialNumber": "x",
        "organizationName": "Org", "description": "Member card",
        "generic": {"primaryFields": [{"key": "name", "label": label, "value": "{{ name }}"}]}
    })
}

/// Polls `GET /v1/templates/{id}` until `done` holds (the watcher reloads
/// about 200 ms after the last change; this waits up to 10 s on a busy machine).
async fn wait_for_template(
    h: &Harness,
    key: &str,
    id: &str,
    done: impl Fn(StatusCode, &Value) -> bool,
) -> Value {
    for _ in 0..200 {
        let (status, t) = h
            .json(Method::GET, &format!("/v1/templates/{id}"), key, None)
            .await;
        if done(status, &t) {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("template {id} never reached the expected state");
}

#[tokio::test]
async fn templates_folder_is_watched_and_a_bad_edit_keeps_the_live_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fields = json!({"name": {"type": "string", "required": true}});
    write_template(&dir.path().join("member"), &member_pass("NAME"), &fields);
    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    h.state.watch_templates().expect("watch");
    let key = h.key(&[Scope::Write]).await;

    // A folder dropped in goes live.
    write_template(&dir.path().join("club"), &member_pass("MEMBER"), &fields);
    wait_for_template(&h, &key, "club", |s, t| {
        s == StatusCode::OK && t["status"] == "ready"
    })
    .await;

    // An invalid edit: problems shown, the previous version still issues.
    std::fs::write(
        dir.path().join("member/pass.json"),
        "{\"formatVersion\": 1, \"generic\": ",
    )
    .expect("write");
    let t = wait_for_template(&h, &key, "member", |_, t| t["status"] == "stale").await;
    assert!(
        !t["problems"].as_array().expect("problems").is_empty(),
        "{t}"
    );
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "member", "customFields": {"name": "Ada"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");

    // Fixed: the new version is live.
    write_template(
        &dir.path().join("member"),
        &member_pass("MEMBER NAME"),
        &fields,
    );
    wait_for_template(&h, &key, "member", |_, t| t["status"] == "ready").await;
    let (_, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "member", "customFields": {"name": "Ada"}})),
        )
        .await;
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{}/download", p["id"].as_str().expect("id")),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["generic"]["primaryFields"][0]["label"], "MEMBER NAME");

    // Removed: gone.
    std::fs::remove_dir_all(dir.path().join("club")).expect("remove");
    wait_for_template(&h, &key, "club", |s, _| s == StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn template_upload_replace_attacks_and_delete() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    let admin = h.key(&[Scope::Admin]).await;
    let generic = root().join("templates/generic");

    let (status, _) = put_zip(
        &h,
        &h.key(&[Scope::Write]).await,
        "club",
        zip_folder(&generic, "generic/"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, t) = put_zip(&h, &admin, "club", zip_folder(&generic, "generic/")).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert!(dir.path().join("club/pass.json").is_file());
    let (_, t) = h
        .json(Method::GET, "/v1/templates/club", &admin, None)
        .await;
    assert_eq!(t["status"], "ready", "{t}");
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &admin,
            Some(json!({"templateId": "club", "customFields": {"name": "Ada", "memberSince": "2020-01-01"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{}/download", pass["id"].as_str().expect("id")),
            Some(("x-api-key", &admin)),
            None,
        )
        .await;
    let file = write_pkpass(&h.dir, "uploaded.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // Replace (no wrapping folder this time): 200, and nothing left beside.
    let (status, _) = put_zip(&h, &admin, "club", zip_folder(&generic, "")).await;
    assert_eq!(status, StatusCode::OK);
    let before = listing(dir.path());
    assert_eq!(before, ["club"]);
    let pass_json_before = std::fs::read(dir.path().join("club/pass.json")).expect("read");

    // Attacks and bad templates: 422, nothing written, the live version kept.
    let mut slip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    slip.start_file("pass.json", zip::write::SimpleFileOptions::default())
        .expect("start");
    slip.write_all(b"{}").expect("write");
    slip.start_file(
        "../../escaped.txt",
        zip::write::SimpleFileOptions::default(),
    )
    .expect("start");
    slip.write_all(b"owned").expect("write");
    let slip = slip.finish().expect("zip").into_inner();

    let mut link = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    link.add_symlink(
        "icon.png",
        "/etc/passwd",
        zip::write::SimpleFileOptions::default(),
    )
    .expect("symlink");
    let link = link.finish().expect("zip").into_inner();

    let mut bomb = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    bomb.start_file(
        "pass.json",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .expect("start");
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..17 {
        bomb.write_all(&zeros).expect("write");
    }
    let bomb = bomb.finish().expect("zip").into_inner();
    assert!(
        bomb.len() < 1024 * 1024,
        "a small archive that unpacks to 17 MB"
    );

    let invalid = {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file("pass.json", zip::write::SimpleFileOptions::default())
            .expect("start");
        z.write_all(br#"{"formatVersion": 1, "description": "x", "generic": {"primaryFields": [{"key": "a", "value": "{{ nope }}"}]}}"#)
            .expect("write");
        z.finish().expect("zip").into_inner()
    };
    for (what, body, needle) in [
        ("zip-slip", slip, "../../escaped.txt"),
        ("symlink", link, "symbolic"),
        ("zip bomb", bomb, "bytes"),
        ("invalid template", invalid, "nope"),
        ("not a zip", b"hello".to_vec(), "not a zip"),
    ] {
        let (status, p) = put_zip(&h, &admin, "club", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {p}");
        assert!(p.to_string().contains(needle), "{what}: {p}");
        assert_eq!(listing(dir.path()), before, "{what}: nothing written");
        assert_eq!(
            std::fs::read(dir.path().join("club/pass.json")).expect("read"),
            pass_json_before,
            "{what}"
        );
    }
    assert!(!dir
        .path()
        .parent()
        .expect("parent")
        .join("escaped.txt")
        .exists());
    let (status, _) = put_zip(&h, &admin, ".hidden", zip_folder(&generic, "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Delete: refused while a pass uses it, then forced.
    let (status, p) = h
        .json(Method::DELETE, "/v1/templates/club", &admin, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    let (status, _) = h
        .json(
            Method::DELETE,
            "/v1/templates/club?force=true",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    let (status, _) = h
        .json(Method::GET, "/v1/templates/club", &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_start_after_an_interrupted_upload_puts_the_template_back_and_clears_leftovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generic = root().join("templates/generic");
    let at = |name: &str| dir.path().join(name);
    let tag = |c: char| c.to_string().repeat(32);
    // Killed between its two renames: `club` moved aside, the new version
    // not yet in place.
    copy_dir(&generic, &at(&format!(".replaced-{}-club", tag('a'))));
    // Landed, but killed before the old version was removed.
    copy_dir(&generic, &at("kept"));
    std::fs::write(at("kept/marker.txt"), "new").expect("write");
    copy_dir(&generic, &at(&format!(".replaced-{}-kept", tag('b'))));
    // A killed upload's staging folder, one of an upload that may still be
    // running in another instance, and a killed deletion's files.
    let stale = at(&format!(".upload-{}", tag('c')));
    copy_dir(&generic, &stale);
    std::fs::File::open(&stale)
        .expect("open")
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .expect("set mtime");
    copy_dir(&generic, &at(&format!(".upload-{}", tag('d'))));
    copy_dir(&generic, &at(&format!(".deleted-{}", tag('e'))));
    // Hidden folders passforge did not make are not its to touch.
    std::fs::create_dir(at(".git")).expect("mkdir");
    std::fs::create_dir(at(".upload-mine")).expect("mkdir");

    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    assert_eq!(
        listing(dir.path()),
        [
            ".git".to_owned(),
            format!(".upload-{}", tag('d')),
            ".upload-mine".to_owned(),
            "club".to_owned(),
            "kept".to_owned()
        ]
    );
    assert_eq!(
        std::fs::read_to_string(at("kept/marker.txt")).expect("read"),
        "new",
        "the version that landed stays"
    );
    let admin = h.key(&[Scope::Admin]).await;
    for id in ["club", "kept"] {
        let (status, t) = h
            .json(Method::GET, &format!("/v1/templates/{id}"), &admin, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{id}: {t}");
        assert_eq!(t["status"], "ready", "{id}: {t}");
    }
}

#[tokio::test]
async fn a_template_designed_as_json_issues_passes_and_a_merge_patch_re_versions_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    let admin = h.key(&[Scope::Admin]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    let (_server, _stop) = serve(&h.state);
    subscribe(&h, &admin, &url, &["template.created", "template.updated"]).await;
    let design = json!({
        "name": "VIP Event Ticket", "description": "Backstage access", "passType": "eventTicket",
        "organizationName": "Passforge Live", "backgroundColor": "#1f2937", "foregroundColor": "#ffffff",
        "labelColor": "#9ca3af", "logoText": "Passforge Live",
        "fields": [
            {"key": "customerName", "label": "Guest Name", "placement": "secondary", "type": "string", "required": true},
            {"key": "tier", "label": "Tier", "placement": "header", "type": "enum", "enum": ["VIP", "Crew"], "default": "VIP"}
        ],
        "barcode": {"format": "qr"}
    });
    let (status, t) = h
        .json(Method::POST, "/v1/templates", &admin, Some(design.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert_eq!(t["id"], "vip-event-ticket");
    assert_eq!(t["status"], "ready");
    assert_eq!(t["fieldsSchema"]["required"], json!(["customerName"]));
    for file in [
        "pass.json",
        "template.json",
        "design.json",
        "icon@2x.png",
        "logo.png",
    ] {
        assert!(
            dir.path().join("vip-event-ticket").join(file).is_file(),
            "{file}"
        );
    }
    let (status, again) = h
        .json(Method::POST, "/v1/templates", &admin, Some(design))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // Every problem of a bad design in one 422.
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/templates",
            &admin,
            Some(json!({"name": "Bad", "passType": "eventTicket", "organizationName": "O",
                "backgroundColor": "navy", "fields": [{"key": "a", "placement": "middle"}, {"key": "a"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let problems = p["errors"].to_string();
    for at in ["/backgroundColor", "/fields/0/placement", "/fields/1/key"] {
        assert!(problems.contains(at), "{at}: {p}");
    }

    // A pass from it, with a label override, verifies.
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &admin,
            Some(json!({"templateId": "vip-event-ticket",
                "customFields": {"customerName": {"value": "Ada Lovelace", "label": "VIP GUEST"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    shared_validate_google(&[pass["googleSaveUrl"].as_str().expect("google").to_owned()]);
    let id = pass["id"].as_str().expect("id").to_owned();
    let bytes = download(&h, &id, &admin).await;
    let file = write_pkpass(&h.dir, "designed.pkpass", &bytes);
    shared_verify(&[file]);
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["backgroundColor"], "rgb(31, 41, 55)");
    assert_eq!(
        pj["eventTicket"]["secondaryFields"][0]["label"],
        "VIP GUEST"
    );
    assert_eq!(
        pj["eventTicket"]["secondaryFields"][0]["value"],
        "Ada Lovelace"
    );

    // Images are added with a zip (replacing the generated icon); anything
    // but an image of a pass is refused by name.
    let images = tempfile::tempdir().expect("tempdir");
    let own_icon = std::fs::read(root().join("templates/coupon/icon.png")).expect("icon");
    std::fs::write(images.path().join("icon.png"), &own_icon).expect("write");
    std::fs::copy(
        root().join("templates/event-ticket/thumbnail@2x.png"),
        images.path().join("thumbnail@2x.png"),
    )
    .expect("copy");
    let (status, t) = put_zip(
        &h,
        &admin,
        "vip-event-ticket/images",
        zip_folder(images.path(), ""),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    let folder = dir.path().join("vip-event-ticket");
    assert!(folder.join("thumbnail@2x.png").is_file());
    std::fs::write(images.path().join("notes.txt"), "hello").expect("write");
    let (status, p) = put_zip(
        &h,
        &admin,
        "vip-event-ticket/images",
        zip_folder(images.path(), ""),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(p["errors"].to_string().contains("notes.txt"), "{p}");
    let (_, after_images) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &admin, None)
        .await;
    assert_eq!(
        after_images["version"], 2,
        "new images, new version: {after_images}"
    );

    // A merge patch changes the design; the pass gets a new version.
    let (status, _, body) = h
        .send(
            Method::PATCH,
            "/v1/templates/vip-event-ticket",
            Some(("x-api-key", &admin)),
            Some(json!({"backgroundColor": "#111827", "logoText": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (_, after) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &admin, None)
        .await;
    assert_eq!(after["version"], 3, "{after}");
    assert_eq!(
        std::fs::read(folder.join("icon.png")).expect("icon"),
        own_icon,
        "an uploaded image outlives a patch"
    );
    assert!(folder.join("thumbnail@2x.png").is_file());
    let patched = download(&h, &id, &admin).await;
    shared_verify(&[write_pkpass(&h.dir, "patched.pkpass", &patched)]);
    let pj: Value = serde_json::from_slice(&zip_member(&patched, "pass.json")).expect("pass.json");
    assert_eq!(pj["backgroundColor"], "rgb(17, 24, 39)");
    assert!(pj.get("logoText").is_none(), "null removes a member");
    let (status, p) = h
        .json(
            Method::PATCH,
            "/v1/templates/vip-event-ticket",
            &admin,
            Some(json!({"passType": "ticket"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(p["errors"].to_string().contains("/passType"), "{p}");
    let (status, _) = h
        .json(
            Method::PATCH,
            "/v1/templates/generic",
            &admin,
            Some(json!({"name": "x"})),
        )
        .await;
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::NOT_FOUND,
        "a folder template is changed by uploading it: {status}"
    );

    // A zip replaces the design with a folder: no more patches.
    std::fs::remove_file(folder.join("design.json")).expect("rm");
    let (status, _) = put_zip(&h, &admin, "vip-event-ticket", zip_folder(&folder, "")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = h
        .json(
            Method::PATCH,
            "/v1/templates/vip-event-ticket",
            &admin,
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");

    // Both changes were announced.
    let got = receiver
        .wait(2, &|v: &Value| v["data"]["id"] == "vip-event-ticket")
        .await;
    let types: Vec<&str> = got.iter().filter_map(|(_, v)| v["type"].as_str()).collect();
    assert!(
        types.contains(&"template.created") && types.contains(&"template.updated"),
        "{types:?}"
    );
}

/// A pass's current file.
async fn download(h: &Harness, id: &str, key: &str) -> Vec<u8> {
    let (status, _, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    bytes
}
