//! Criterion benches for each step of issuing one pass from the example
//! event-ticket template: render, manifest, sign, zip, the Google class,
//! object and save JWT, and the whole pass.
//!
//! `cargo bench --bench issue`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use passforge::apple::manifest::{manifest_json, sha1_hex};
use passforge::apple::{assemble_pkpass, build_pkpass, test_identity};
use passforge::issue::{Issuer, Stamp};
use passforge::template::{load_dir, RenderInput};

fn benches(c: &mut Criterion) {
    let template =
        load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/event-ticket").as_ref())
            .expect("template");
    let identity = test_identity::load().expect("identity");
    let time = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
    let stamp = Stamp::new("BENCH-1", "0123456789abcdef0123456789abcdef", time).expect("stamp");
    let row = serde_json::json!({"attendee": "Ada Lovelace", "seat": "A1", "section": "VIP", "doorsOpen": "2027-06-12T19:00:00+01:00", "price": 120});
    let fields = row.as_object().expect("object").clone();
    let input = RenderInput {
        fields: &fields,
        serial_number: &stamp.serial_number,
        authentication_token: &stamp.authentication_token,
        web_service_url: Some("https://passes.example.com/apple"),
        pass_type_identifier: identity.pass_type_id(),
        team_identifier: identity.team_id(),
        overrides: None,
    };
    let rendered = template.render(&input).expect("render");
    let pass_json = serde_json::to_vec(&rendered.pass_json).expect("json");
    let pass_sha = sha1_hex(&pass_json);
    let manifest = manifest_json(
        std::iter::once(("pass.json", pass_sha.as_str())).chain(
            template
                .assets()
                .iter()
                .map(|a| (a.name.as_str(), a.sha1_hex.as_str())),
        ),
    );
    let signature = identity.sign_manifest(&manifest, time).expect("sign");

    c.bench_function("render", |b| {
        b.iter(|| template.render(black_box(&input)).expect("render"))
    });
    c.bench_function("serialize pass.json", |b| {
        b.iter(|| serde_json::to_vec(black_box(&rendered.pass_json)).expect("json"))
    });
    c.bench_function("manifest", |b| {
        b.iter(|| {
            let sha = sha1_hex(black_box(&pass_json));
            manifest_json(
                std::iter::once(("pass.json", sha.as_str())).chain(
                    template
                        .assets()
                        .iter()
                        .map(|a| (a.name.as_str(), a.sha1_hex.as_str())),
                ),
            )
        })
    });
    c.bench_function("sign (CMS over manifest.json)", |b| {
        b.iter(|| {
            identity
                .sign_manifest(black_box(&manifest), time)
                .expect("sign")
        })
    });
    c.bench_function("bare RSA-2048 signature", |b| {
        b.iter(|| {
            identity
                .sign_digest_for_benchmark(black_box(&[7u8; 32]))
                .expect("sign")
        })
    });
    c.bench_function("zip", |b| {
        b.iter(|| {
            assemble_pkpass(
                black_box(&pass_json),
                template.packed_assets(),
                &[],
                &manifest,
                &signature,
                time,
                Vec::new(),
            )
            .expect("zip")
        })
    });
    c.bench_function("package (manifest + sign + zip)", |b| {
        b.iter(|| {
            build_pkpass(
                black_box(&pass_json),
                template.packed_assets(),
                &[],
                &identity,
                time,
                Vec::new(),
            )
            .expect("pkpass")
        })
    });
    let issuer =
        Issuer::new(&template, &identity).web_service_url(Some("https://passes.example.com/apple"));
    c.bench_function("whole pass (render + package)", |b| {
        b.iter(|| issuer.issue(black_box(&fields), &stamp).expect("issue"))
    });
    let google = passforge::google::GoogleConfig {
        issuer_id: passforge::google::IssuerId::parse(
            passforge::google::test_service_account::ISSUER_ID,
        )
        .expect("issuer"),
        service_account: passforge::google::test_service_account::load().expect("key"),
        origins: vec![],
        public_url: Some("https://passes.example.com".into()),
    };
    let mapped = passforge::google::map_pass(&rendered, &template, &google).expect("Google object");
    c.bench_function("Google class and object (map)", |b| {
        b.iter(|| {
            passforge::google::map_pass(black_box(&rendered), &template, &google).expect("map")
        })
    });
    c.bench_function(
        "Google save JWT (one RSA-2048 signature and its JSON)",
        |b| {
            b.iter(|| {
                passforge::google::save_jwt(black_box(&mapped), &google, time, false).expect("jwt")
            })
        },
    );
    let both = issuer.google(Some(&google));
    c.bench_function("whole pass, Apple + Google", |b| {
        b.iter(|| both.issue(black_box(&fields), &stamp).expect("issue"))
    });
}

criterion_group! {
    name = issue;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(issue);
