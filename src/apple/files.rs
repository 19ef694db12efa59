//! Checks on the files of a pass other than pass.json: images (real PNGs,
//! Apple's names and sizes) and localizations (`xx.lproj/pass.strings`).
//! Shared by the template loader and the `.pkpass` verifier.

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::model::{Diagnostic, Location};
use crate::template::strings::{parse_strings, StringsTable};

const KNOWN_IMAGES: [&str; 10] = [
    "icon",
    "logo",
    "strip",
    "background",
    "thumbnail",
    "footer",
    "personalizationLogo",
    "primaryLogo",
    "secondaryLogo",
    "artwork",
];

/// The area an image fills, in points at @1x: Apple's current sizes as its
/// Pass Builder declares them (icon 38x38, logo up to 160x50, strip
/// 375x144, thumbnail 90x90, background 345x505, artwork 358x448, primary
/// logo up to 126x30, secondary logo up to 135x12, footer up to 286x15),
/// with the older published sizes Wallet still draws (icon 29x29, event
/// ticket strip 375x98, blurred background 180x220) accepted beside them.
fn max_pt(base: &str) -> Option<(u32, u32)> {
    Some(match base {
        "logo" => (160, 50),
        "thumbnail" => (90, 90),
        "background" => (345, 505),
        "footer" => (286, 15),
        "strip" => (375, 144),
        "personalizationLogo" => (150, 40),
        "primaryLogo" => (126, 30),
        "secondaryLogo" => (135, 12),
        "artwork" => (358, 448),
        _ => return None,
    })
}

/// The images each style shows (`posterGeneric` is iOS 27's poster style;
/// the poster event ticket adds its logos and artwork to `eventTicket`).
fn style_images(style: &str) -> &'static [&'static str] {
    match style {
        "boardingPass" => &["icon", "logo", "footer", "primaryLogo"],
        "coupon" => &["icon", "logo", "strip", "primaryLogo"],
        "eventTicket" => &[
            "icon",
            "logo",
            "strip",
            "background",
            "thumbnail",
            "primaryLogo",
            "secondaryLogo",
            "artwork",
        ],
        "generic" => &["icon", "logo", "thumbnail"],
        "storeCard" => &["icon", "logo", "strip", "personalizationLogo"],
        "posterGeneric" => &["icon", "logo", "primaryLogo", "background", "artwork"],
        _ => &[],
    }
}

/// What a file inside a pass is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// An image: base name (e.g. `logo`), scale (1, 2, 3) and its localization.
    Image {
        /// `icon`, `logo`, `strip`, …
        base: String,
        /// 1, 2 or 3.
        scale: u8,
        /// The `xx` of `xx.lproj/`, if localized.
        lproj: Option<String>,
    },
    /// `xx.lproj/pass.strings`.
    Strings {
        /// The language code.
        lproj: String,
    },
    /// `personalization.json` (Apple's reward-card enrollment).
    Personalization,
    /// Anything else.
    Other,
}

/// Classifies a path inside a pass (forward slashes).
pub fn classify(name: &str) -> FileKind {
    let (lproj, file) = match name.split_once('/') {
        Some((dir, file)) if !file.contains('/') => match dir.strip_suffix(".lproj") {
            Some(l) if is_lproj_name(l) => (Some(l.to_owned()), file),
            _ => return FileKind::Other,
        },
        Some(_) => return FileKind::Other,
        None => (None, name),
    };
    if file == "pass.strings" {
        return lproj.map_or(FileKind::Other, |lproj| FileKind::Strings { lproj });
    }
    if lproj.is_none() && file == "personalization.json" {
        return FileKind::Personalization;
    }
    let Some(stem) = file.strip_suffix(".png") else {
        return FileKind::Other;
    };
    let (base, scale) = match stem.rsplit_once('@') {
        Some((b, "2x")) => (b, 2),
        Some((b, "3x")) => (b, 3),
        Some(_) => return FileKind::Other,
        None => (stem, 1),
    };
    if base.is_empty() || !base.chars().all(|c| c.is_ascii_alphabetic()) {
        return FileKind::Other;
    }
    FileKind::Image {
        base: base.to_owned(),
        scale,
        lproj,
    }
}

fn is_lproj_name(l: &str) -> bool {
    if l == "Base" {
        return true;
    }
    let mut parts = l.split(['-', '_']);
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Whether a path looks like a localization folder entry at all (`*.lproj/…`).
pub(crate) fn in_lproj_dir(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(d, _)| d.ends_with(".lproj"))
}

/// An error when `name` sits in a `*.lproj` folder whose name is not a
/// language code.
pub(crate) fn lproj_name_problem(name: &str) -> Option<Diagnostic> {
    let dir = name.split_once('/')?.0;
    let lang = dir.strip_suffix(".lproj")?;
    (!is_lproj_name(lang)).then(|| {
        Diagnostic::error(
            name,
            Location::File,
            "lproj.bad_name",
            format!("{dir:?} is not a localization folder name; use a language code such as en.lproj or pt-BR.lproj"),
        )
    })
}

/// The result of checking a pass's files.
#[derive(Debug, Default)]
pub struct FileReport {
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
    /// Parsed localizations by language code.
    pub strings: BTreeMap<String, StringsTable>,
}

/// (localization, base name) of an image.
type ImageKey = (Option<String>, String);
/// (file name, width, height) of one scale of an image.
type ImageSize = (String, u32, u32);

fn sniff_format(b: &[u8]) -> &'static str {
    if b.starts_with(b"\xFF\xD8\xFF") {
        "a JPEG"
    } else if b.starts_with(b"GIF8") {
        "a GIF"
    } else if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        "a WebP"
    } else if b.starts_with(b"BM") {
        "a BMP"
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        "a damaged PNG"
    } else {
        "not an image"
    }
}

/// Why an image of `w`×`h` px does not fit the shape of its slot, if it
/// does not: strips, backgrounds and footers fill an area of a fixed shape
/// (more than 15% off is cropped or squeezed visibly); a thumbnail may be
/// from 2:3 to 3:2.
fn aspect_problem(base: &str, style: Option<&str>, w: u32, h: u32) -> Option<String> {
    if w == 0 || h == 0 {
        return None;
    }
    let ratio = f64::from(w) / f64::from(h);
    let shapes: &[(u32, u32)] = match base {
        "strip" if style == Some("eventTicket") => &[(375, 144), (375, 98)],
        "strip" => &[(375, 144)],
        "background" => &[(345, 505), (180, 220)],
        "artwork" => &[(358, 448)],
        "footer" => &[(286, 15)],
        "thumbnail" => {
            return (!(2.0 / 3.0 - 0.01..=1.5 + 0.01).contains(&ratio)).then(|| {
                format!("{w}x{h} px ({ratio:.2}:1); Wallet shows thumbnails from 2:3 to 3:2 (90x90 pt at most) and crops the rest")
            });
        }
        _ => return None,
    };
    let off = |(sw, sh): (u32, u32)| (ratio / (f64::from(sw) / f64::from(sh)) - 1.0).abs();
    let (sw, sh) = shapes[0];
    let want = f64::from(sw) / f64::from(sh);
    shapes.iter().all(|s| off(*s) > 0.15).then(|| {
        format!("{w}x{h} px ({ratio:.2}:1); Wallet shows a {base} in a {sw}x{sh} pt area ({want:.2}:1), so this one is cropped or squeezed: make it {sw}x{sh} pt (@2x {}x{} px)", sw * 2, sh * 2)
    })
}

/// Checks images and localizations. `style` is the pass style when known.
pub fn check_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    style: Option<&str>,
) -> FileReport {
    check_files_for(files, style, false)
}

/// [`check_files`] for a pass that may also have iOS 27's `posterGeneric`
/// style beside `style` (its images are then shown too).
pub fn check_files_for<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    style: Option<&str>,
    poster_generic: bool,
) -> FileReport {
    let mut report = FileReport::default();
    // (lproj, base) -> scale -> (name, width, height)
    let mut images: BTreeMap<ImageKey, BTreeMap<u8, ImageSize>> = BTreeMap::new();
    // Every image is decoded whole (a damaged PNG is caught here, not on a
    // phone), which is most of a template's load time: in parallel, on the
    // current rayon pool. The diagnostics below keep the files' order.
    let files: Vec<(&str, &[u8], FileKind)> = files
        .into_iter()
        .map(|(name, bytes)| (name, bytes, classify(name)))
        .collect();
    let decoded: Vec<Option<image::ImageResult<(u32, u32)>>> = files
        .par_iter()
        .map(|(_, bytes, kind)| {
            matches!(kind, FileKind::Image { .. }).then(|| {
                image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
                    .map(|img| (img.width(), img.height()))
            })
        })
        .collect();
    for ((name, bytes, kind), decoded) in files.into_iter().zip(decoded) {
        match kind {
            FileKind::Image { base, scale, lproj } => {
                if !KNOWN_IMAGES.contains(&base.as_str()) {
                    report.diagnostics.push(Diagnostic::warning(
                        name,
                        Location::File,
                        "image.unknown_name",
                        format!(
                            "{base:?} is not a Wallet image name; Wallet ignores it (known: {})",
                            KNOWN_IMAGES.join(", ")
                        ),
                    ));
                }
                match decoded {
                    Some(Ok((width, height))) => {
                        images
                            .entry((lproj, base))
                            .or_default()
                            .insert(scale, (name.to_owned(), width, height));
                    }
                    None => {}
                    Some(Err(e)) => report.diagnostics.push(Diagnostic::error(
                        name,
                        Location::File,
                        "image.not_png",
                        format!(
                            "not a valid PNG ({}): {e}; export it as PNG",
                            sniff_format(bytes)
                        ),
                    )),
                }
            }
            FileKind::Strings { lproj } => {
                let (table, diags) = parse_strings(name, bytes);
                report.diagnostics.extend(diags);
                report.strings.insert(lproj, table);
            }
            FileKind::Personalization | FileKind::Other => {
                report.diagnostics.extend(lproj_name_problem(name));
            }
        }
    }
    let has_icon = images.contains_key(&(None, "icon".to_owned()));
    if !has_icon {
        report.diagnostics.push(Diagnostic::error("icon.png", Location::File, "files.missing_icon", "no valid icon.png, icon@2x.png or icon@3x.png at the top level; Wallet requires an icon (38x38 pt)"));
    }
    for ((_, base), scales) in &images {
        for (scale, (name, w, h)) in scales {
            let s = u32::from(*scale);
            if base == "icon" {
                if (*w, *h) != (38 * s, 38 * s) && (*w, *h) != (29 * s, 29 * s) {
                    report.diagnostics.push(Diagnostic::warning(
                        name.as_str(),
                        Location::File,
                        "image.icon_size",
                        format!("icon is {w}x{h} px; expected {0}x{0} for @{scale}x (38x38 pt; the older 29x29 pt, {1}x{1} px, is accepted too)", 38 * s, 29 * s),
                    ));
                }
            } else if let Some((mw, mh)) = max_pt(base) {
                if *w > mw * s || *h > mh * s {
                    report.diagnostics.push(Diagnostic::warning(name.as_str(), Location::File, "image.too_large", format!("{w}x{h} px exceeds the {mw}x{mh} pt area ({}x{} px at @{scale}x); Wallet scales it down", mw * s, mh * s)));
                }
            }
        }
        // The shape Wallet gives the slot: a picture of another shape is
        // cropped or squeezed on the phone.
        if let Some((_, (name, w, h))) = scales.iter().next_back() {
            if let Some(problem) = aspect_problem(base, style, *w, *h) {
                report.diagnostics.push(Diagnostic::warning(
                    name.as_str(),
                    Location::File,
                    "image.aspect_ratio",
                    problem,
                ));
            }
        }
        if let Some((_, w1, h1)) = scales.get(&1) {
            for s in [2u8, 3] {
                if let Some((name, w, h)) = scales.get(&s) {
                    let s = u32::from(s);
                    if w.abs_diff(s * w1) > s || h.abs_diff(s * h1) > s {
                        report.diagnostics.push(Diagnostic::warning(
                            name.as_str(),
                            Location::File,
                            "image.scale_mismatch",
                            format!("{w}x{h} px is not {s}x the @1x image ({w1}x{h1} px)"),
                        ));
                    }
                }
            }
        }
    }
    if let Some(style) = style {
        let mut allowed: Vec<&str> = style_images(style).to_vec();
        if poster_generic {
            allowed.extend(style_images("posterGeneric"));
            allowed.sort_unstable();
            allowed.dedup();
        }
        for ((_, base), scales) in &images {
            if KNOWN_IMAGES.contains(&base.as_str()) && !allowed.contains(&base.as_str()) {
                for (name, _, _) in scales.values() {
                    report.diagnostics.push(Diagnostic::warning(
                        name.as_str(),
                        Location::File,
                        "image.not_for_style",
                        format!(
                            "{base} images are not displayed on {style} passes (allowed: {})",
                            allowed.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::new(w, h);
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encode png");
        out.into_inner()
    }

    #[test]
    fn classifies_names() {
        assert_eq!(
            classify("icon@2x.png"),
            FileKind::Image {
                base: "icon".into(),
                scale: 2,
                lproj: None
            }
        );
        assert_eq!(
            classify("fr.lproj/logo.png"),
            FileKind::Image {
                base: "logo".into(),
                scale: 1,
                lproj: Some("fr".into())
            }
        );
        assert_eq!(
            classify("pt-BR.lproj/pass.strings"),
            FileKind::Strings {
                lproj: "pt-BR".into()
            }
        );
        assert_eq!(classify("signature-logo.png"), FileKind::Other);
        assert_eq!(classify("a/b/c.png"), FileKind::Other);
    }

    #[test]
    fn missing_icon_and_fake_png_are_errors() {
        let logo = png(160, 50);
        let r = check_files(
            [
                ("logo.png", logo.as_slice()),
                ("thumbnail.png", b"\xFF\xD8\xFFjpeg".as_slice()),
            ],
            Some("generic"),
        );
        let codes: Vec<_> = r
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.file.as_str(), d.code))
            .collect();
        assert_eq!(
            codes,
            [
                ("thumbnail.png", "image.not_png"),
                ("icon.png", "files.missing_icon")
            ]
        );
        assert!(r.diagnostics[0].message.contains("JPEG"));
    }

    #[test]
    fn images_decoded_in_parallel_are_reported_in_file_order() {
        let icon = png(29, 29);
        let mut truncated = png(90, 90);
        truncated.truncate(truncated.len() / 2);
        let files: Vec<(String, Vec<u8>)> = vec![
            ("background.png".into(), b"GIF89a".to_vec()),
            ("icon.png".into(), icon),
            ("logo.png".into(), b"not an image".to_vec()),
            ("thumbnail.png".into(), truncated),
        ];
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .expect("pool");
        let r = pool.install(|| {
            check_files(
                files.iter().map(|(n, b)| (n.as_str(), b.as_slice())),
                Some("generic"),
            )
        });
        let errors: Vec<_> = r
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.file.as_str(), d.message.split(" (").nth(1).unwrap_or("")))
            .collect();
        assert_eq!(errors.len(), 3, "{:?}", r.diagnostics);
        assert_eq!(errors[0].0, "background.png");
        assert!(errors[0].1.starts_with("a GIF"), "{errors:?}");
        assert_eq!(errors[1].0, "logo.png");
        assert!(errors[1].1.starts_with("not an image"), "{errors:?}");
        assert_eq!(errors[2].0, "thumbnail.png");
        assert!(errors[2].1.starts_with("a damaged PNG"), "{errors:?}");
    }

    #[test]
    fn images_of_the_wrong_shape_for_their_slot_are_warnings() {
        let square_strip = png(150, 150);
        let good_strip = png(375, 144);
        let tall_thumb = png(40, 90);
        let good_thumb = png(90, 90);
        let icon = png(29, 29);
        let r = check_files(
            [
                ("icon.png", icon.as_slice()),
                ("strip.png", square_strip.as_slice()),
                ("thumbnail.png", tall_thumb.as_slice()),
            ],
            Some("coupon"),
        );
        let aspect: Vec<&str> = r
            .diagnostics
            .iter()
            .filter(|d| d.code == "image.aspect_ratio")
            .map(|d| d.file.as_str())
            .collect();
        assert_eq!(
            aspect,
            ["strip.png", "thumbnail.png"],
            "{:?}",
            r.diagnostics
        );
        let r = check_files(
            [
                ("icon.png", icon.as_slice()),
                ("strip.png", good_strip.as_slice()),
                ("thumbnail.png", good_thumb.as_slice()),
            ],
            Some("coupon"),
        );
        assert!(
            !r.diagnostics.iter().any(|d| d.code == "image.aspect_ratio"),
            "{:?}",
            r.diagnostics
        );
    }

    #[test]
    fn sizes_and_scales_are_warnings() {
        let (i1, i2, big) = (png(29, 29), png(50, 50), png(400, 400));
        let r = check_files(
            [
                ("icon.png", i1.as_slice()),
                ("icon@2x.png", i2.as_slice()),
                ("strip.png", big.as_slice()),
            ],
            Some("generic"),
        );
        let codes: Vec<_> = r.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&"image.icon_size"));
        assert!(codes.contains(&"image.scale_mismatch"));
        assert!(codes.contains(&"image.too_large"));
        assert!(codes.contains(&"image.not_for_style"));
        assert!(r.diagnostics.iter().all(|d| !d.is_error()));
    }
}
