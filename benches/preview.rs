//! How long a picture of a pass takes (`cargo bench --bench preview`): the
//! front of the event-ticket example as SVG, and as a 2x PNG rasterized in
//! process (goal: under 50 ms on one core).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use passforge::issue::{Issuer, Stamp};
use passforge::preview::{front, png, Images};

fn bench(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let template =
        passforge::template::load_dir(&root.join("templates/event-ticket")).expect("template");
    let identity = passforge::apple::test_identity::load().expect("identity");
    let row = serde_json::json!({"attendee": "Ada Lovelace", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"});
    let stamp = Stamp::new("TICKET-1", "0123456789abcdef0123", chrono::Utc::now()).expect("stamp");
    let pass = Issuer::new(&template, &identity)
        .render(row.as_object().expect("row"), &stamp)
        .expect("render")
        .pass_json;
    let images = Images::of(&template);
    c.bench_function("front SVG", |b| {
        b.iter(|| front(black_box(&pass), &images, None))
    });
    let svg = front(&pass, &images, None);
    c.bench_function("front pixels at 2x (no PNG)", |b| {
        b.iter(|| passforge::preview::raster(black_box(&svg), 2.0).expect("pixels"))
    });
    c.bench_function("front PNG at 2x", |b| {
        b.iter(|| png(black_box(&svg), 2.0).expect("png"))
    });
    c.bench_function("front SVG + PNG", |b| {
        b.iter(|| png(&front(black_box(&pass), &images, None), 2.0).expect("png"))
    });
}

criterion_group! {
    name = preview;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(preview);
