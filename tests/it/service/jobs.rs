//! Batch jobs: chunks over instances, item errors, zips, lease take-over.

use super::*;

// ---- batch jobs ----

async fn wait_job(h: &Harness, key: &str, id: &str) -> Value {
    for _ in 0..600 {
        let (status, job) = h
            .json(Method::GET, &format!("/v1/jobs/{id}"), key, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] == "completed" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} never completed");
}

#[tokio::test]
async fn batch_job_spreads_over_instances_reports_item_errors_and_zips() {
    for sqlite in backends() {
        batch_job_on(sqlite).await;
    }
}

async fn batch_job_on(sqlite: bool) {
    let h = harness_on(None, generous(), sqlite).await;
    let key = h.key(&[Scope::Write]).await;
    let user = unique("batch");
    let n = 120;
    let items: Vec<Value> = (0..n)
        .map(|i| match i {
            5 => json!({"customFields": {"attendee": "X", "seat": "A1", "doorsOpen": "whenever"}}),
            77 => json!({"userId": user, "customFields": {"seat": "A1"}}),
            _ => json!({
                "serialNumber": format!("{user}-{i:03}"),
                "userId": user,
                "customFields": {"attendee": format!("Guest {i}"), "seat": format!("R{i}"), "doorsOpen": "2027-06-12T19:00:00+01:00"}
            }),
        })
        .collect();

    // Validation first.
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes/batch",
            &key,
            Some(json!({"templateId": "nope", "items": [1]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = p["errors"].to_string();
    assert!(
        text.contains("/templateId") && text.contains("/items/0"),
        "{p}"
    );

    // Queued while no instance runs workers; download refused until completed.
    let (status, job) = h
        .json(
            Method::POST,
            "/v1/passes/batch",
            &key,
            Some(json!({"templateId": "event-ticket", "items": items})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], "queued");
    assert_eq!(job["total"], n);
    let id = job["id"].as_str().expect("id").to_owned();
    let (status, _, _) = h
        .send(
            Method::GET,
            &format!("/v1/jobs/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Two instances share the work.
    let second = instance(&h.db_url).await;
    let (server_a, stop_a) = serve(&h.state);
    let (server_b, stop_b) = serve(&second);
    let job = wait_job(&h, &key, &id).await;
    assert_eq!(job["succeeded"], n - 2, "{job}");
    assert_eq!(job["failed"], 2);
    assert_eq!(job["progress"], 1.0);
    let errors = job["errors"].as_array().expect("errors");
    assert_eq!(errors[0]["index"], 5);
    assert!(
        errors[0]["errors"]
            .to_string()
            .contains("/items/5/customFields/doorsOpen"),
        "{job}"
    );
    assert_eq!(errors[1]["index"], 77);
    assert!(
        errors[1]["errors"]
            .to_string()
            .contains("/items/77/customFields/attendee"),
        "{job}"
    );

    let (_, page) = h
        .json(
            Method::GET,
            &format!("/v1/passes?userId={user}&limit=100"),
            &key,
            None,
        )
        .await;
    assert_eq!(page["data"].as_array().expect("data").len(), 100);
    assert_eq!(page["hasMore"], true);

    let (status, headers, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/jobs/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    assert_eq!(zip.len(), n - 2);
    let out = h.dir.join("job");
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut files = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let name = f.name().expect("name").into_owned();
        assert!(
            name.starts_with(&user) && name.ends_with(".pkpass"),
            "{name}"
        );
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).expect("read");
        files.push(write_pkpass(&out, &name, &data));
    }
    own_verify(&files);
    shared_verify(&files[..6]);
    // The zip holds the bytes signed when each pass was created (by either
    // instance), not new signatures: the same bytes a download serves.
    assert_eq!(
        super::signed::served(&h.state)[2],
        0,
        "nothing was signed again for the zip"
    );
    let (_, first) = h
        .json(
            Method::GET,
            &format!("/v1/passes?userId={user}&limit=1"),
            &key,
            None,
        )
        .await;
    let first = &first["data"][0];
    let (_, downloaded) =
        super::signed::download(&second, first["id"].as_str().expect("id"), &key).await;
    let name = format!("{}.pkpass", first["serialNumber"].as_str().expect("serial"));
    let member = files
        .iter()
        .find(|f| f.file_name().is_some_and(|n| n == name.as_str()))
        .expect("in the zip");
    assert_eq!(std::fs::read(member).expect("read"), downloaded);

    stop_a.send(()).expect("stop");
    stop_b.send(()).expect("stop");
    server_a.await.expect("join").expect("served");
    server_b.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_chunk_of_a_dead_instance_is_taken_over() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let items: Vec<Value> = (0..3)
        .map(|i| json!({"customFields": {"attendee": format!("G{i}"), "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"}}))
        .collect();
    let (_, job) = h
        .json(
            Method::POST,
            "/v1/passes/batch",
            &key,
            Some(json!({"templateId": "event-ticket", "items": items})),
        )
        .await;
    let id = job["id"].as_str().expect("id").to_owned();
    // An instance claimed the chunk and died: its lease ran out a minute ago.
    let expired = chrono::Utc::now().timestamp_millis() - 60_000;
    let claimed = h
        .db_execute(
            "UPDATE job_chunks SET status = 'running', claimed_by = $1, claimed_until = $2, \
             attempts = attempts + 1 WHERE job_id = $3",
            vec![
                DbArg::Text("dead-instance".into()),
                DbArg::Int(expired),
                DbArg::Text(id.clone()),
            ],
        )
        .await;
    assert_eq!(claimed, 1);
    let (server, stop) = serve(&h.state);
    let job = wait_job(&h, &key, &id).await;
    assert_eq!(job["succeeded"], 3, "{job}");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}
