//! One pass from a template and a row, as the README and the crate's
//! documentation show: `cargo run --example issue_one [OUT.pkpass]` writes
//! `TICKET-0001.pkpass` (or OUT) from `templates/event-ticket`, signed with
//! the TEST-ONLY identity in `certs-example/` (Wallet will not open it; use
//! your own Pass Type ID certificate with `SigningIdentity::from_pem`).

use std::path::{Path, PathBuf};

use passforge::apple::test_identity;
use passforge::{load_dir, AuthToken, Issuer, Stamp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("TICKET-0001.pkpass"), PathBuf::from);

    let template = load_dir(&root.join("templates/event-ticket"))?;
    let identity = test_identity::load()?;
    let issuer = Issuer::new(&template, &identity);
    let row = serde_json::json!({
        "attendee": "Ada Lovelace",
        "seat": "A1",
        "doorsOpen": "2027-06-12T19:00:00+01:00",
    });
    let fields = row.as_object().ok_or("the row is not an object")?;
    let stamp = Stamp::new(
        "TICKET-0001",
        AuthToken::random().expose(),
        chrono::Utc::now(),
    )?;
    let pass = issuer.issue(fields, &stamp)?;
    let pkpass = pass.pkpass.ok_or("no .pkpass was issued")?;

    // Through a temp file and a rename: never a partial pass.
    let tmp = out.with_extension("pkpass.tmp");
    pkpass.write_to(&mut std::fs::File::create(&tmp)?)?;
    std::fs::rename(&tmp, &out)?;
    println!("{}", out.display());
    Ok(())
}
