//! `passforge preview`: pictures of one pass as Wallet shows it — the
//! front, the back and the Google Wallet card — from a template and a row,
//! as PNG (or SVG for a `.svg` name), no browser needed.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use passforge::issue::Issuer;
use passforge::preview::{png, preview, Images, Lang};
use passforge::template::{load_dir, PassOverrides};

use super::config::ConfigArgs;
use super::{stamp_for, template_or_report, Outcome};

/// Arguments of `passforge preview`.
#[derive(Debug, clap::Args)]
pub(crate) struct PreviewArgs {
    /// The template folder.
    #[arg(long, value_name = "DIR")]
    template: PathBuf,
    /// One row of custom field values: a JSON object, or a CSV file (its
    /// first row); default: the first row of the template's sample.csv or
    /// sample.jsonl, else no values.
    #[arg(long, value_name = "ROW")]
    data: Option<PathBuf>,
    /// The front, as a PNG (or SVG when the name ends in .svg).
    #[arg(long, value_name = "FRONT.png")]
    out: PathBuf,
    /// The back (its back fields).
    #[arg(long, value_name = "BACK.png")]
    back: Option<PathBuf>,
    /// The Google Wallet card of the same row.
    #[arg(long, value_name = "GOOGLE.png")]
    google: Option<PathBuf>,
    /// Show the pass in this localization (the template's `xx.lproj`).
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
    #[command(flatten)]
    config: ConfigArgs,
}

/// The row to draw.
fn row(args: &PreviewArgs) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let Some(path) = &args.data else {
        return passforge::data::sample_rows(&args.template, 1)
            .map(|rows| rows.into_iter().next().unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("{}: {e}", args.template.display()));
    };
    let format = passforge::data::DataFormat::from_path(path)
        .with_context(|| format!("{}: use a .json, .jsonl or .csv file", path.display()))?;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut rows = passforge::data::rows(file, format)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    match rows.next() {
        Some(Ok(r)) => Ok(r.values),
        Some(Err(e)) => bail!("{}: {e}", path.display()),
        None => bail!("{} holds no row", path.display()),
    }
}

/// Writes `bytes` to `path` through a temp file and a rename.
fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// The picture of `svg` for `path`: SVG text for `.svg`, else a 2× PNG.
fn picture(path: &Path, svg: &str) -> anyhow::Result<Vec<u8>> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
    {
        Ok(svg.as_bytes().to_vec())
    } else {
        Ok(png(svg, 2.0)?)
    }
}

pub(crate) fn run(args: &PreviewArgs) -> anyhow::Result<Outcome> {
    let template = template_or_report(&args.template, load_dir(&args.template), false, "")?;
    let signing = args.config.apple()?;
    let google = if args.google.is_some() {
        Some(args.config.google()?)
    } else {
        None
    };
    let mut row = row(args)?;
    let stamp = stamp_for(&mut row)?;
    let issuer = Issuer::new(&template, &signing.identity)
        .web_service_url(signing.web_service_url.as_deref())
        .apple(false)
        .google(google.as_ref());
    let rendered = issuer
        .render(&row, &stamp)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let google_pass = match &google {
        Some(_) => Some(
            issuer
                .google_pass(&row, &stamp, &PassOverrides::default())
                .map_err(|e| anyhow::anyhow!("google: {e}"))?,
        ),
        None => None,
    };
    let lang = match &args.lang {
        Some(lang) => Some(Lang::of(&template, lang).with_context(|| {
            format!(
                "the template has no {lang}.lproj (it has: {})",
                template
                    .strings()
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?),
        None => None,
    };
    let pictures = preview(
        &rendered.pass_json,
        &Images::of(&template),
        lang,
        google_pass.as_ref(),
    );
    write(&args.out, &picture(&args.out, &pictures.front)?)?;
    println!("{}", args.out.display());
    if let Some(back) = &args.back {
        write(back, &picture(back, &pictures.back)?)?;
        println!("{}", back.display());
    }
    if let (Some(path), Some(svg)) = (&args.google, &pictures.google) {
        write(path, &picture(path, svg)?)?;
        println!("{}", path.display());
    }
    Ok(Outcome::Success)
}
