//! Pictures of passes as Wallet shows them (feature `preview`): the front
//! and back of an Apple pass as iPhone Wallet lays out its style, and the
//! Google Wallet card of the same row, as SVG; PNG rasterized in process
//! (resvg) with a bundled font, no browser.
//!
//! Pure functions over values: a rendered `pass.json`, the template's
//! images, an optional localization, the mapped Google pass. The layout is
//! Wallet's as documented and observed (header row with logo, logo text and
//! header fields; the strip or thumbnail with the primary fields; the
//! secondary and auxiliary rows; the barcode with its alternate text at the
//! bottom), at a card width of 320 pt; text that does not fit its field is
//! cut off with an ellipsis, as Wallet does. Barcodes are drawn module by
//! module from a real encoder (rxing), so the picture scans.

mod barcode;
mod format;
mod svg;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use crate::google::GooglePass;
use crate::template::{StringsTable, Template};
use svg::Svg;

/// Why a picture could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The SVG could not be parsed (a bug: passforge wrote it).
    #[error("cannot read the picture: {0}")]
    Svg(String),
    /// The PNG could not be made.
    #[error("cannot rasterize the picture: {0}")]
    Png(String),
}

/// The card's width in points.
pub const CARD_WIDTH: f64 = 320.0;

/// Space around the card.
const MARGIN: f64 = 10.0;

/// The pictures of one pass.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The front, as Wallet shows it (SVG).
    pub front: String,
    /// The back: the back fields (SVG).
    pub back: String,
    /// The Google Wallet card of the same row (SVG), when mapped.
    pub google: Option<String>,
}

/// The images a pass can show, by base name (`logo`, `strip`, …), each the
/// sharpest of its scales, with its size in points.
#[derive(Debug, Default, Clone)]
pub struct Images {
    by_name: BTreeMap<String, Image>,
}

/// One image.
#[derive(Debug, Clone)]
struct Image {
    png: Arc<Vec<u8>>,
    width_pt: f64,
    height_pt: f64,
    /// A small copy for a blurred background, made when first drawn.
    blurred: Arc<OnceLock<Option<Arc<Vec<u8>>>>>,
}

impl Image {
    /// Its size in points scaled down (never up) to fit `max_w` × `max_h`,
    /// keeping its proportions.
    fn fit(&self, max_w: f64, max_h: f64) -> (f64, f64) {
        let scale = (max_h / self.height_pt).min(max_w / self.width_pt).min(1.0);
        (self.width_pt * scale, self.height_pt * scale)
    }
}

impl Images {
    /// The images among `files` (name → bytes): `logo.png`, `logo@2x.png`,
    /// … (the @2x is preferred, then @3x, then @1x).
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        let mut best: BTreeMap<String, (u8, Image)> = BTreeMap::new();
        for (name, bytes) in files {
            let Some(stem) = name.strip_suffix(".png") else {
                continue;
            };
            if stem.contains('/') {
                continue;
            }
            let (base, scale) = match stem.rsplit_once('@') {
                Some((b, "2x")) => (b, 2u8),
                Some((b, "3x")) => (b, 3),
                Some(_) => continue,
                None => (stem, 1),
            };
            let Some((w, h)) = png_size(bytes) else {
                continue;
            };
            let rank = match scale {
                2 => 3,
                3 => 2,
                _ => 1,
            };
            let image = Image {
                png: Arc::new(bytes.to_vec()),
                width_pt: f64::from(w) / f64::from(scale),
                height_pt: f64::from(h) / f64::from(scale),
                blurred: Arc::new(OnceLock::new()),
            };
            if best.get(base).is_none_or(|(r, _)| *r < rank) {
                best.insert(base.to_owned(), (rank, image));
            }
        }
        Self {
            by_name: best.into_iter().map(|(k, (_, i))| (k, i)).collect(),
        }
    }

    /// A template's images.
    pub fn of(template: &Template) -> Self {
        Self::from_files(
            template
                .assets()
                .iter()
                .map(|a| (a.name.as_str(), a.bytes.as_slice())),
        )
    }

    fn get(&self, name: &str) -> Option<&Image> {
        self.by_name.get(name)
    }

    /// The background image as Wallet shows it, blurred: a copy a few
    /// dozen pixels wide, which the renderer's smooth scaling spreads over
    /// the card (much cheaper than a blur filter at full size). Made once.
    fn blurred_background(&self) -> Option<Arc<Vec<u8>>> {
        let bg = self.get("background")?;
        bg.blurred
            .get_or_init(|| {
                let img =
                    image::load_from_memory_with_format(&bg.png, image::ImageFormat::Png).ok()?;
                let small = img.resize_exact(18, 22, image::imageops::FilterType::Triangle);
                let mut out = std::io::Cursor::new(Vec::new());
                small.write_to(&mut out, image::ImageFormat::Png).ok()?;
                Some(Arc::new(out.into_inner()))
            })
            .clone()
    }
}

/// A PNG's pixel size, from its header.
fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    if !b.starts_with(b"\x89PNG\r\n\x1a\n") || b.len() < 24 {
        return None;
    }
    let w = u32::from_be_bytes(b[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(b[20..24].try_into().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

/// A localization to show a pass in: its `.lproj` name (`fr`, `pt-BR`),
/// which also picks how dates and numbers are written, and its strings.
#[derive(Debug, Clone, Copy)]
pub struct Lang<'a> {
    /// The `.lproj` folder's name.
    pub code: &'a str,
    /// Its `pass.strings`.
    pub strings: &'a StringsTable,
}

impl<'a> Lang<'a> {
    /// The template's localization `code` (one of its `.lproj` folders).
    pub fn of(template: &'a Template, code: &'a str) -> Option<Self> {
        template
            .strings()
            .get_key_value(code)
            .map(|(code, strings)| Self { code, strings })
    }
}

/// The language code of `lang` (English without one).
fn code(lang: Option<Lang<'_>>) -> &str {
    lang.map_or("en", |l| l.code)
}

/// The pictures of a rendered pass: front and back from its `pass.json`
/// (in `lang` when given), the Google card from `google`.
pub fn preview(
    pass: &Value,
    images: &Images,
    lang: Option<Lang<'_>>,
    google: Option<&GooglePass>,
) -> Preview {
    Preview {
        front: front(pass, images, lang),
        back: back(pass, lang),
        google: google.map(|g| google_card(g, images)),
    }
}

/// The pass's style key.
fn style_of(pass: &Value) -> &'static str {
    crate::apple::rules::style_of(pass).unwrap_or("generic")
}

/// The poster layouts: iOS 18's poster event ticket (asked for in
/// `preferredStyleSchemes` and drawn when its semantics are complete, as
/// Wallet does) and iOS 27's poster generic style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Poster {
    Event,
    Generic,
}

fn poster_of(pass: &Value) -> Option<Poster> {
    if pass
        .get(crate::apple::rules::POSTER_GENERIC)
        .is_some_and(Value::is_object)
    {
        return Some(Poster::Generic);
    }
    (style_of(pass) == "eventTicket" && crate::apple::rules::poster_event_ready(pass))
        .then_some(Poster::Event)
}

/// A text of the pass, localized.
fn localized(s: &str, lang: Option<Lang<'_>>) -> String {
    lang.map(|l| l.strings)
        .and_then(|t| t.iter().find(|(k, _)| k == s).map(|(_, v)| v.clone()))
        .unwrap_or_else(|| s.to_owned())
}

/// A field as shown: its label and its formatted value.
#[derive(Debug, Clone)]
struct Shown {
    label: String,
    value: String,
}

fn fields(pass: &Value, style: &str, group: &str, lang: Option<Lang<'_>>) -> Vec<Shown> {
    pass[style][group]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_object)
                .map(|f| shown(f, lang))
                .collect()
        })
        .unwrap_or_default()
}

fn shown(f: &Map<String, Value>, lang: Option<Lang<'_>>) -> Shown {
    let label = f
        .get("label")
        .and_then(Value::as_str)
        .map(|l| localized(l, lang))
        .unwrap_or_default();
    let value = match f.get("value") {
        Some(Value::String(s)) => {
            let s = localized(s, lang);
            format::date(&s, f, code(lang)).unwrap_or(s)
        }
        Some(Value::Number(n)) => format::number(n, f, code(lang)),
        _ => String::new(),
    };
    Shown { label, value }
}

/// A color of the pass, or `default`.
fn color(pass: &Value, key: &str, default: &str) -> String {
    pass.get(key)
        .and_then(Value::as_str)
        .filter(|c| c.starts_with("rgb(") || c.starts_with('#'))
        .unwrap_or(default)
        .to_owned()
}

/// The first barcode of the pass (`barcodes`, else the old `barcode`).
fn first_barcode(pass: &Value) -> Option<&Map<String, Value>> {
    match pass.get("barcodes") {
        Some(Value::Array(a)) => a.first().and_then(Value::as_object),
        _ => pass.get("barcode").and_then(Value::as_object),
    }
}

/// Draws a row of fields sharing `width` from `x`: label above value.
#[allow(clippy::too_many_arguments)]
fn row(
    svg: &mut Svg,
    fields: &[Shown],
    x: f64,
    y: f64,
    width: f64,
    value_size: f64,
    fg: &str,
    label: &str,
) {
    if fields.is_empty() {
        return;
    }
    let n = fields.len() as f64;
    let each = width / n;
    for (i, f) in fields.iter().enumerate() {
        let last = i + 1 == fields.len() && fields.len() > 1;
        let (fx, anchor) = if last {
            (x + width, "end")
        } else {
            (x + each * i as f64, "start")
        };
        let room = each - 6.0;
        svg.text(fx, y + 10.0, 9.5, label, false, anchor, &f.label, room);
        svg.text(
            fx,
            y + 12.0 + value_size,
            value_size,
            fg,
            false,
            anchor,
            &f.value,
            room,
        );
    }
}

/// The barcode (the first entry: the one the newest iOS shows), on white,
/// with its alternate text, centred at `y`; returns the `y` below it.
fn draw_barcode(body: &mut Svg, pass: &Value, w: f64, mut y: f64) -> f64 {
    if let Some(b) = first_barcode(pass) {
        let message = b.get("message").and_then(Value::as_str).unwrap_or("");
        let format = b.get("format").and_then(Value::as_str).unwrap_or("");
        if let Some(code) = barcode::encode(format, message) {
            let (cw, ch) = code.size_pt();
            let alt = b.get("altText").and_then(Value::as_str);
            let box_w = cw + 20.0;
            let box_h = ch + 20.0 + if alt.is_some() { 16.0 } else { 0.0 };
            let bx = (w - box_w) / 2.0;
            y += 6.0;
            body.barcode_box(bx, y, box_w, box_h, 6.0);
            code.draw(body, bx + 10.0, y + 10.0);
            if let Some(alt) = alt {
                body.text(
                    w / 2.0,
                    y + 10.0 + ch + 13.0,
                    11.0,
                    "rgb(0, 0, 0)",
                    false,
                    "middle",
                    alt,
                    box_w - 8.0,
                );
            }
            y += box_h + 6.0;
        }
    }
    y
}

/// A semantic tag's text.
fn semantic<'v>(pass: &'v Value, key: &str) -> Option<&'v str> {
    pass.get("semantics")
        .and_then(|s| s.get(key))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The front of a poster pass: the background image full bleed (darkened
/// under the header unless `suppressHeaderDarkening`), the primary logo,
/// then the event's semantics (name, date, venue, seats) or the poster
/// generic's header, primary and footer fields, and the barcode on the
/// footer colour.
fn poster_front(pass: &Value, images: &Images, lang: Option<Lang<'_>>, kind: Poster) -> String {
    let bg = color(pass, "backgroundColor", "rgb(0, 0, 0)");
    let fg = color(pass, "foregroundColor", "rgb(255, 255, 255)");
    let label = color(pass, "labelColor", &fg);
    let footer_bg = color(pass, "footerBackgroundColor", &bg);
    let w = CARD_WIDTH;
    let pad = 14.0;
    let art_h = 300.0;
    let mut body = Svg::new();
    let dark = pass.get("suppressHeaderDarkening").and_then(Value::as_bool) != Some(true);
    if dark {
        body.shade(0.0, 0.0, w, 64.0, 0.35);
    }
    // Header: the primary logo (or the logo), and the header field.
    let style = match kind {
        Poster::Generic => crate::apple::rules::POSTER_GENERIC,
        Poster::Event => "eventTicket",
    };
    if let Some(logo) = images.get("primaryLogo").or_else(|| images.get("logo")) {
        let (lw, lh) = logo.fit(126.0, 30.0);
        body.image(
            pad,
            16.0 + (30.0 - lh) / 2.0,
            lw,
            lh,
            &logo.png,
            "xMidYMid meet",
        );
    } else if let Some(text) = pass
        .get("eventLogoText")
        .or_else(|| pass.get("logoText"))
        .and_then(Value::as_str)
    {
        body.text(
            pad,
            36.0,
            16.0,
            &fg,
            true,
            "start",
            &localized(text, lang),
            w / 2.0,
        );
    }
    if let Some(f) = fields(pass, style, "headerFields", lang).first() {
        body.text(
            w - pad,
            26.0,
            9.5,
            &label,
            false,
            "end",
            &f.label,
            w / 2.0 - pad,
        );
        body.text(
            w - pad,
            44.0,
            15.0,
            &fg,
            false,
            "end",
            &f.value,
            w / 2.0 - pad,
        );
    }
    let mut lines: Vec<(String, f64, bool, String)> = Vec::new();
    match kind {
        Poster::Event => {
            if let Some(name) = semantic(pass, "eventName") {
                lines.push((localized(name, lang), 26.0, true, fg.clone()));
            }
            let when = semantic(pass, "eventStartDate").and_then(|d| {
                let style = serde_json::json!({"dateStyle": "PKDateStyleMedium", "timeStyle": "PKDateStyleShort"});
                style
                    .as_object()
                    .and_then(|s| format::date(d, s, lang.map_or("en", |l| l.code)))
            });
            if let Some(when) = when {
                lines.push((when, 13.0, false, fg.clone()));
            }
            let venue: Vec<&str> = ["venueName", "venueRoom"]
                .iter()
                .filter_map(|k| semantic(pass, k))
                .collect();
            if !venue.is_empty() {
                lines.push((venue.join(" · "), 13.0, false, label.clone()));
            }
        }
        Poster::Generic => {
            for f in fields(pass, style, "primaryFields", lang).iter().take(4) {
                lines.push((f.label.clone(), 10.0, false, label.clone()));
                lines.push((f.value.clone(), 20.0, true, fg.clone()));
            }
        }
    }
    // The text sits on the lower part of the artwork, its last line 18 pt
    // above the artwork's bottom.
    let text_h: f64 = lines.iter().map(|(_, size, _, _)| size + 6.0).sum();
    let mut ty = (art_h - 18.0 - text_h).max(70.0);
    for (text, size, bold, fill) in &lines {
        ty += size + 6.0;
        body.text(pad, ty, *size, fill, *bold, "start", text, w - 2.0 * pad);
    }
    if let (Poster::Event, Some(logo)) = (kind, images.get("secondaryLogo")) {
        let (lw, lh) = logo.fit(135.0, 12.0);
        body.image(w - pad - lw, 70.0, lw, lh, &logo.png, "xMidYMid meet");
    }

    // The footer: seats, or the footer field; then the barcode. Drawn
    // after its colour, which is only known in height once it is laid out.
    let mut foot = Svg::new();
    let mut fy = art_h + 12.0;
    match kind {
        Poster::Event => {
            let seats: Vec<Shown> = pass
                .get("semantics")
                .and_then(|s| s.get("seats"))
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .map(|seat| {
                    [
                        ("SECTION", "seatSection"),
                        ("ROW", "seatRow"),
                        ("SEAT", "seatNumber"),
                    ]
                    .iter()
                    .filter_map(|(l, k)| {
                        seat.get(*k).and_then(Value::as_str).map(|v| Shown {
                            label: (*l).to_owned(),
                            value: v.to_owned(),
                        })
                    })
                    .collect()
                })
                .unwrap_or_default();
            if !seats.is_empty() {
                row(&mut foot, &seats, pad, fy, w - 2.0 * pad, 15.0, &fg, &label);
                fy += 40.0;
            }
        }
        Poster::Generic => {
            if let Some(f) = fields(pass, style, "footerFields", lang).first() {
                row(
                    &mut foot,
                    std::slice::from_ref(f),
                    pad,
                    fy,
                    w - 2.0 * pad,
                    15.0,
                    &fg,
                    &label,
                );
                fy += 40.0;
            }
        }
    }
    fy = draw_barcode(&mut foot, pass, w, fy);
    let h = fy + 8.0;
    body.rect(0.0, art_h, w, h - art_h, &footer_bg, 0.0);
    body.group(0.0, 0.0, &foot);

    let mut out = Svg::new();
    out.rect(MARGIN, MARGIN, w, h, &bg, 12.0);
    if let Some(art) = images.get("background").or_else(|| images.get("artwork")) {
        out.poster_image(MARGIN, MARGIN, w, art_h, 12.0, &art.png);
    }
    out.group(MARGIN, MARGIN, &body);
    out.finish(w + 2.0 * MARGIN, h + 2.0 * MARGIN)
}

/// The front of a pass as iPhone Wallet lays out its style.
pub fn front(pass: &Value, images: &Images, lang: Option<Lang<'_>>) -> String {
    if let Some(kind) = poster_of(pass) {
        return poster_front(pass, images, lang, kind);
    }
    let style = style_of(pass);
    let bg = color(pass, "backgroundColor", "rgb(255, 255, 255)");
    let fg = color(pass, "foregroundColor", "rgb(0, 0, 0)");
    let label = color(pass, "labelColor", &fg);
    let w = CARD_WIDTH;
    let pad = 12.0;
    let mut body = Svg::new();
    let mut y = pad;

    // Header: logo, logo text, header fields at the right.
    let mut logo_right = pad;
    if let Some(logo) = images.get("logo") {
        let (lw, lh) = logo.fit(130.0, 40.0);
        body.image(
            pad,
            y + (40.0 - lh) / 2.0,
            lw,
            lh,
            &logo.png,
            "xMidYMid meet",
        );
        logo_right = pad + lw + 8.0;
    }
    let header = fields(pass, style, "headerFields", lang);
    let header_width: f64 = header
        .iter()
        .map(|f| svg::text_width(&f.value, 16.0).max(svg::text_width(&f.label, 9.5)) + 10.0)
        .sum::<f64>()
        .min(w - logo_right - pad);
    if let Some(text) = pass.get("logoText").and_then(Value::as_str) {
        let room = w - pad - header_width - logo_right - 6.0;
        body.text(
            logo_right,
            y + 26.0,
            16.0,
            &fg,
            true,
            "start",
            &localized(text, lang),
            room,
        );
    }
    let mut hx = w - pad;
    for f in header.iter().rev() {
        let fw = svg::text_width(&f.value, 16.0).max(svg::text_width(&f.label, 9.5));
        let room = (hx - logo_right).max(40.0);
        body.text(hx, y + 11.0, 9.5, &label, false, "end", &f.label, room);
        body.text(hx, y + 31.0, 16.0, &fg, false, "end", &f.value, room);
        hx -= fw + 10.0;
    }
    y += 48.0;

    // The primary fields: on the strip, beside the thumbnail, or with the
    // transit glyph between them.
    let primary = fields(pass, style, "primaryFields", lang);
    let strip = matches!(style, "coupon" | "storeCard" | "eventTicket")
        .then(|| images.get("strip"))
        .flatten();
    if let Some(strip) = strip {
        let h = if style == "eventTicket" { 84.0 } else { 123.0 };
        body.image(0.0, y, w, h, &strip.png, "xMidYMid slice");
        if let Some(f) = primary.first() {
            body.text(
                pad,
                y + 20.0,
                11.0,
                &label,
                false,
                "start",
                &f.label,
                w - 2.0 * pad,
            );
            body.text(
                pad,
                y + h - 16.0,
                34.0,
                &fg,
                false,
                "start",
                &f.value,
                w - 2.0 * pad,
            );
        }
        y += h + 10.0;
    } else if style == "boardingPass" {
        let glyph = match pass["boardingPass"]["transitType"].as_str() {
            Some("PKTransitTypeAir") => "✈",
            Some("PKTransitTypeTrain") => "🚆",
            Some("PKTransitTypeBus") => "🚌",
            Some("PKTransitTypeBoat") => "⛴",
            _ => "→",
        };
        let half = (w - 2.0 * pad) / 2.0 - 24.0;
        if let Some(f) = primary.first() {
            body.text(pad, y + 12.0, 10.0, &label, false, "start", &f.label, half);
            body.text(pad, y + 50.0, 36.0, &fg, false, "start", &f.value, half);
        }
        if let Some(f) = primary.get(1) {
            body.text(
                w - pad,
                y + 12.0,
                10.0,
                &label,
                false,
                "end",
                &f.label,
                half,
            );
            body.text(w - pad, y + 50.0, 36.0, &fg, false, "end", &f.value, half);
        }
        body.text(w / 2.0, y + 44.0, 26.0, &fg, false, "middle", glyph, 48.0);
        y += 66.0;
    } else {
        let thumb = matches!(style, "generic" | "eventTicket")
            .then(|| images.get("thumbnail"))
            .flatten();
        let mut room = w - 2.0 * pad;
        let mut height: f64 = 56.0;
        if let Some(t) = thumb {
            let (tw, th) = t.fit(72.0, 72.0);
            body.image(w - pad - tw, y, tw, th, &t.png, "xMidYMid meet");
            room -= tw + 8.0;
            height = height.max(th);
        }
        if let Some(f) = primary.first() {
            body.text(pad, y + 12.0, 10.0, &label, false, "start", &f.label, room);
            body.text(pad, y + 44.0, 28.0, &fg, false, "start", &f.value, room);
        }
        y += height + 10.0;
    }

    // Secondary and auxiliary rows (a boarding pass shows its auxiliary
    // fields first).
    let secondary = fields(pass, style, "secondaryFields", lang);
    let auxiliary = fields(pass, style, "auxiliaryFields", lang);
    let rows = if style == "boardingPass" {
        [auxiliary, secondary]
    } else {
        [secondary, auxiliary]
    };
    for r in rows.iter().filter(|r| !r.is_empty()) {
        row(&mut body, r, pad, y, w - 2.0 * pad, 15.0, &fg, &label);
        y += 40.0;
    }

    if style == "boardingPass" {
        if let Some(footer) = images.get("footer") {
            let scale = (w - 2.0 * pad) / footer.width_pt.max(1.0);
            let (fw, fh) = (
                footer.width_pt * scale.min(1.0),
                footer.height_pt * scale.min(1.0),
            );
            body.image((w - fw) / 2.0, y, fw, fh, &footer.png, "xMidYMid meet");
            y += fh + 8.0;
        }
    }

    y = draw_barcode(&mut body, pass, w, y);
    let h = y + pad;

    let mut out = Svg::new();
    out.rect(MARGIN, MARGIN, w, h, &bg, 12.0);
    if style == "eventTicket" {
        if let Some(small) = images.blurred_background() {
            out.clip_image(MARGIN, MARGIN, w, h, 12.0, &small);
        }
    }
    out.group(MARGIN, MARGIN, &body);
    out.finish(w + 2.0 * MARGIN, h + 2.0 * MARGIN)
}

/// The back of a pass: its back fields, label above value.
pub fn back(pass: &Value, lang: Option<Lang<'_>>) -> String {
    let style = style_of(pass);
    let w = CARD_WIDTH;
    let pad = 14.0;
    let mut body = Svg::new();
    let mut y = pad + 4.0;
    let org = pass
        .get("organizationName")
        .and_then(Value::as_str)
        .map(|o| localized(o, lang))
        .unwrap_or_default();
    body.text(
        pad,
        y + 14.0,
        16.0,
        "rgb(0, 0, 0)",
        true,
        "start",
        &org,
        w - 2.0 * pad,
    );
    y += 28.0;
    for f in fields(pass, style, "backFields", lang) {
        body.text(
            pad,
            y + 11.0,
            11.0,
            "rgb(110, 110, 115)",
            false,
            "start",
            &f.label,
            w - 2.0 * pad,
        );
        y += 16.0;
        for line in svg::wrap(&f.value, 13.0, w - 2.0 * pad) {
            body.text(
                pad,
                y + 13.0,
                13.0,
                "rgb(0, 0, 0)",
                false,
                "start",
                &line,
                w - 2.0 * pad,
            );
            y += 17.0;
        }
        y += 10.0;
    }
    let h = y + pad;
    let mut out = Svg::new();
    out.rect(MARGIN, MARGIN, w, h, "rgb(242, 242, 247)", 12.0);
    out.group(MARGIN, MARGIN, &body);
    out.finish(w + 2.0 * MARGIN, h + 2.0 * MARGIN)
}

/// A Google localized string (`{defaultValue: {value}}`) or plain string.
fn gtext(v: &Value) -> Option<String> {
    v.get("defaultValue")
        .and_then(|d| d.get("value"))
        .or(Some(v))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The Google Wallet card of a mapped pass: issuer, title, header, hero
/// image, text modules and barcode, on the object's background color.
pub fn google_card(g: &GooglePass, images: &Images) -> String {
    let (class, object) = (&g.class, &g.object);
    let pick = |keys: &[(&Value, &str)]| {
        keys.iter()
            .find_map(|(v, k)| v.get(*k).and_then(gtext).filter(|s| !s.is_empty()))
    };
    let bg = object
        .get("hexBackgroundColor")
        .or_else(|| class.get("hexBackgroundColor"))
        .and_then(Value::as_str)
        .unwrap_or("#4285f4")
        .to_owned();
    let fg = if svg::is_dark(&bg) {
        "rgb(255, 255, 255)"
    } else {
        "rgb(32, 33, 36)"
    };
    let issuer = pick(&[
        (class, "issuerName"),
        (class, "localizedIssuerName"),
        (object, "cardTitle"),
    ])
    .unwrap_or_default();
    let title = pick(&[
        (class, "eventName"),
        (class, "programName"),
        (class, "title"),
        (object, "header"),
        (object, "cardTitle"),
    ])
    .or_else(|| {
        class["flightHeader"]["flightNumber"]
            .as_str()
            .map(|n| format!("Flight {n}"))
    })
    .unwrap_or_default();
    let holder = pick(&[
        (object, "ticketHolderName"),
        (object, "passengerName"),
        (object, "accountName"),
        (object, "subheader"),
    ]);
    let w = CARD_WIDTH;
    let pad = 16.0;
    let mut body = Svg::new();
    let mut y = pad;
    if let Some(logo) = images.get("logo").or_else(|| images.get("icon")) {
        body.circle_image(pad + 16.0, y + 16.0, 16.0, &logo.png);
    }
    body.text(
        pad + 42.0,
        y + 21.0,
        14.0,
        fg,
        false,
        "start",
        &issuer,
        w - 2.0 * pad - 42.0,
    );
    y += 44.0;
    body.text(
        pad,
        y + 22.0,
        22.0,
        fg,
        true,
        "start",
        &title,
        w - 2.0 * pad,
    );
    y += 34.0;
    if let Some(h) = holder {
        body.text(pad, y + 14.0, 14.0, fg, false, "start", &h, w - 2.0 * pad);
        y += 24.0;
    }
    let modules: Vec<Shown> = object["textModulesData"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| Shown {
                    label: m["header"].as_str().unwrap_or("").to_owned(),
                    value: m["body"].as_str().unwrap_or("").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    for chunk in modules.chunks(2) {
        row(&mut body, chunk, pad, y, w - 2.0 * pad, 14.0, fg, fg);
        y += 40.0;
    }
    if let Some(b) = object.get("barcode").and_then(Value::as_object) {
        let message = b.get("value").and_then(Value::as_str).unwrap_or("");
        let format = match b.get("type").and_then(Value::as_str) {
            Some("QR_CODE") => "PKBarcodeFormatQR",
            Some("PDF_417") => "PKBarcodeFormatPDF417",
            Some("AZTEC") => "PKBarcodeFormatAztec",
            Some("CODE_128") => "PKBarcodeFormatCode128",
            Some("EAN_13") => "PKBarcodeFormatEAN13",
            Some("CODE_39") => "PKBarcodeFormatCode39",
            Some("CODABAR") => "PKBarcodeFormatCodabar",
            Some("ITF_14") => "PKBarcodeFormatI2of5",
            _ => "",
        };
        if let Some(code) = barcode::encode(format, message) {
            let (cw, ch) = code.size_pt();
            let alt = b.get("alternateText").and_then(Value::as_str);
            let box_w = cw + 24.0;
            let box_h = ch + 24.0 + if alt.is_some() { 16.0 } else { 0.0 };
            let bx = (w - box_w) / 2.0;
            y += 4.0;
            body.barcode_box(bx, y, box_w, box_h, 8.0);
            code.draw(&mut body, bx + 12.0, y + 12.0);
            if let Some(alt) = alt {
                body.text(
                    w / 2.0,
                    y + 12.0 + ch + 13.0,
                    11.0,
                    "rgb(32, 33, 36)",
                    false,
                    "middle",
                    alt,
                    box_w - 8.0,
                );
            }
            y += box_h + 8.0;
        }
    }
    let hero = images
        .get("strip")
        .map(|s| (s, w * s.height_pt / s.width_pt.max(1.0)));
    let h = y + pad + hero.map_or(0.0, |(_, hh)| hh);
    let mut out = Svg::new();
    out.rect(MARGIN, MARGIN, w, h, &bg, 16.0);
    out.group(MARGIN, MARGIN, &body);
    if let Some((strip, hh)) = hero {
        out.image(MARGIN, MARGIN + h - hh, w, hh, &strip.png, "xMidYMid slice");
    }
    out.finish(w + 2.0 * MARGIN, h + 2.0 * MARGIN)
}

/// The font database with the bundled fonts, made once.
fn fonts() -> Arc<resvg::usvg::fontdb::Database> {
    static DB: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(include_bytes!("../../assets/fonts/DejaVuSans.ttf").to_vec());
        db.load_font_data(include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf").to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        Arc::new(db)
    })
    .clone()
}

/// The pixels of an SVG picture at `scale` (2.0 for a Retina-sharp
/// picture), premultiplied RGBA.
///
/// # Errors
/// [`PreviewError`] when the SVG cannot be read.
pub fn raster(svg: &str, scale: f32) -> Result<resvg::tiny_skia::Pixmap, PreviewError> {
    let options = resvg::usvg::Options {
        fontdb: fonts(),
        ..resvg::usvg::Options::default()
    };
    let tree =
        resvg::usvg::Tree::from_str(svg, &options).map_err(|e| PreviewError::Svg(e.to_string()))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| PreviewError::Png("empty picture".into()))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| PreviewError::Png("cannot allocate the picture".into()))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}

/// A PNG of an SVG picture at `scale` (2.0 for a Retina-sharp picture).
///
/// # Errors
/// [`PreviewError`] when the SVG cannot be read or the PNG written.
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>, PreviewError> {
    let pixmap = raster(svg, scale)?;
    // Fast deflate: a picture made on request, to look at, not an asset to
    // keep (tiny-skia's own encoder compresses hard and slowly).
    let rgba: Vec<u8> = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Fast,
            image::codecs::png::FilterType::Sub,
        ),
        &rgba,
        pixmap.width(),
        pixmap.height(),
        image::ExtendedColorType::Rgba8,
    )
    .map_err(|e| PreviewError::Png(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests;
