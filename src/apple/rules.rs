//! Apple's rules for `pass.json`, checked through a typed view of the keys we
//! know while the tree itself keeps every key (Apple adds some every June).
//!
//! The same checks run on a template (where strings holding placeholders are
//! not yet checkable) and on every rendered pass.

use std::collections::HashMap;

use serde_json::Value;

use crate::model::{diag::pointer_segment, Diagnostic, Location};
use crate::template::schema::parse_datetime;

mod semantics;
#[cfg(feature = "preview")]
pub(crate) use semantics::poster_event_ready;
use semantics::EVENT_GUIDE_KEYS;
pub(crate) use semantics::{tag_kind, Kind};

const FILE: &str = "pass.json";

/// The five pass styles, in Apple's spelling.
pub const STYLES: [&str; 5] = [
    "boardingPass",
    "coupon",
    "eventTicket",
    "generic",
    "storeCard",
];
/// iOS 27's poster style, which sits beside one older style (`generic`,
/// `storeCard`, `eventTicket` or `coupon`) that earlier iOS versions show.
pub const POSTER_GENERIC: &str = "posterGeneric";
const POSTER_GENERIC_FALLBACKS: [&str; 4] = ["generic", "storeCard", "eventTicket", "coupon"];
pub(crate) const FIELD_GROUPS: [&str; 7] = [
    "headerFields",
    "primaryFields",
    "secondaryFields",
    "auxiliaryFields",
    "backFields",
    "additionalInfoFields",
    "footerFields",
];

/// The style Wallet shows on the iOS versions every pass supports: the one
/// older style key, or `posterGeneric` when it stands alone.
pub fn style_of(pass: &Value) -> Option<&'static str> {
    STYLES
        .iter()
        .copied()
        .find(|s| pass.get(*s).is_some())
        .or_else(|| pass.get(POSTER_GENERIC).map(|_| POSTER_GENERIC))
}
const TRANSIT_TYPES: [&str; 5] = [
    "PKTransitTypeAir",
    "PKTransitTypeBoat",
    "PKTransitTypeBus",
    "PKTransitTypeGeneric",
    "PKTransitTypeTrain",
];
/// The barcode formats every iOS version draws.
pub const BARCODE_FORMATS: [&str; 4] = [
    "PKBarcodeFormatQR",
    "PKBarcodeFormatPDF417",
    "PKBarcodeFormatAztec",
    "PKBarcodeFormatCode128",
];
/// The linear formats iOS 27 added; older iOS shows the next entry of
/// `barcodes` in one of [`BARCODE_FORMATS`].
pub const IOS27_BARCODE_FORMATS: [&str; 4] = [
    "PKBarcodeFormatCode39",
    "PKBarcodeFormatCodabar",
    "PKBarcodeFormatEAN13",
    "PKBarcodeFormatI2of5",
];
const COLOR_KEYS: [&str; 5] = [
    "backgroundColor",
    "foregroundColor",
    "labelColor",
    "footerBackgroundColor",
    "stripColor",
];
const BOOL_KEYS: [&str; 6] = [
    "voided",
    "sharingProhibited",
    "suppressStripShine",
    "suppressHeaderDarkening",
    "useAutomaticColors",
    "useAutomaticColor",
];
/// Top-level string keys (besides the event guide's, in `semantics.rs`).
const STRING_KEYS: [&str; 19] = [
    "logoText",
    "groupingIdentifier",
    "appLaunchURL",
    "eventLogoText",
    "changeSeatURL",
    "entertainmentURL",
    "purchaseAdditionalBaggageURL",
    "purchaseLoungeAccessURL",
    "purchaseWifiURL",
    "upgradeURL",
    "managementURL",
    "registerServiceAnimalURL",
    "reportLostBagURL",
    "requestWheelchairURL",
    "trackBagsURL",
    "transitProviderEmail",
    "transitProviderPhoneNumber",
    "transitProviderWebsiteURL",
    "logoSymbolName",
];
const OTHER_KEYS: [&str; 25] = [
    "formatVersion",
    "passTypeIdentifier",
    "teamIdentifier",
    "serialNumber",
    "organizationName",
    "description",
    "webServiceURL",
    "authenticationToken",
    "barcode",
    "barcodes",
    "beacons",
    "locations",
    "maxDistance",
    "relevantDate",
    "relevantDates",
    "expirationDate",
    "nfc",
    "semantics",
    "userInfo",
    "associatedStoreIdentifiers",
    "auxiliaryStoreIdentifiers",
    "preferredStyleSchemes",
    "upcomingPassInformation",
    "featuredActions",
    "posterGeneric",
];
const FIELD_KEYS: [&str; 16] = [
    "key",
    "value",
    "label",
    "attributedValue",
    "changeMessage",
    "dataDetectorTypes",
    "textAlignment",
    "dateStyle",
    "timeStyle",
    "isRelative",
    "ignoresTimeZone",
    "numberStyle",
    "currencyCode",
    "semantics",
    "row",
    "accessibilityLabel",
];

/// Which pass.json is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A template's pass.json: placeholders are allowed and the keys stamped at
    /// issue time (identifiers, serial number, web service) are not required.
    Template,
    /// A concrete, rendered pass.json, as it goes into a `.pkpass`.
    Pass,
}

/// Whether a string still holds a template expression.
pub(crate) fn is_dynamic(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

struct Checker {
    mode: Mode,
    out: Vec<Diagnostic>,
}

impl Checker {
    fn err(&mut self, at: &str, code: &'static str, msg: impl Into<String>) {
        self.out.push(Diagnostic::error(
            FILE,
            Location::Pointer(at.to_owned()),
            code,
            msg,
        ));
    }
    fn warn(&mut self, at: &str, code: &'static str, msg: impl Into<String>) {
        self.out.push(Diagnostic::warning(
            FILE,
            Location::Pointer(at.to_owned()),
            code,
            msg,
        ));
    }

    /// A key passforge does not know: kept and reported; a warning with the
    /// key it is probably a misspelling of (Wallet ignores it), else info.
    fn unknown_key<'k>(&mut self, at: &str, key: &str, known: impl Iterator<Item = &'k str>) {
        match nearest(key, known) {
            Some(k) => self.warn(
                at,
                "pass.misspelled_key",
                format!("`{key}` is not a key Wallet knows (it is kept, and Wallet ignores it); did you mean `{k}`?"),
            ),
            None => self.out.push(Diagnostic::info(
                FILE,
                Location::Pointer(at.to_owned()),
                "pass.unknown_key",
                format!("`{key}` is not a key passforge knows; it is kept as it is"),
            )),
        }
    }

    /// A string that can be checked now (not a placeholder in a template).
    fn concrete<'v>(&self, v: &'v Value) -> Option<&'v str> {
        match v.as_str() {
            Some(s) if self.mode == Mode::Template && is_dynamic(s) => None,
            other => other,
        }
    }

    fn date(&mut self, at: &str, v: &Value) {
        match v {
            Value::String(_) => {
                if let Some(s) = self.concrete(v) {
                    if parse_datetime(s).is_none() {
                        self.err(at, "pass.bad_date", format!("{s:?} is not a W3C date-time with a time zone (e.g. 2026-05-01T19:30:00+02:00)"));
                    }
                }
            }
            _ => self.err(at, "pass.bad_type", "a date must be a string"),
        }
    }

    fn color(&mut self, at: &str, v: &Value) {
        if !v.is_string() {
            self.err(
                at,
                "pass.bad_type",
                "a color must be a string like \"rgb(255, 255, 255)\"",
            );
            return;
        }
        let Some(s) = self.concrete(v) else { return };
        if s.starts_with('#') {
            self.warn(
                at,
                "pass.hex_color",
                format!("{s:?} is a hex color; Apple documents rgb(r, g, b)"),
            );
            return;
        }
        if parse_rgb(s).is_none() {
            self.err(
                at,
                "pass.bad_color",
                format!("{s:?} is not a color; write rgb(r, g, b) with components 0-255"),
            );
        }
    }

    fn string_key(&mut self, root: &serde_json::Map<String, Value>, key: &str, required: bool) {
        // The pointer is made only for a problem (this runs for every pass).
        let at = || format!("/{key}");
        match root.get(key) {
            None if required => self.err(&at(), "pass.missing_key", format!("`{key}` is required")),
            None => {}
            Some(Value::String(s)) if s.is_empty() && required => self.err(
                &at(),
                "pass.missing_key",
                format!("`{key}` must not be empty"),
            ),
            Some(Value::String(_)) => {}
            Some(_) => self.err(&at(), "pass.bad_type", format!("`{key}` must be a string")),
        }
    }
}

/// Checks a pass.json tree against Apple's rules and returns every problem.
pub fn check_pass_json(v: &Value, mode: Mode) -> Vec<Diagnostic> {
    let mut c = Checker {
        mode,
        out: Vec::new(),
    };
    let Some(root) = v.as_object() else {
        c.err("", "pass.not_object", "pass.json must be a JSON object");
        return c.out;
    };
    match root.get("formatVersion") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        Some(_) => c.err(
            "/formatVersion",
            "pass.format_version",
            "`formatVersion` must be the number 1",
        ),
        None => c.err(
            "/formatVersion",
            "pass.missing_key",
            "`formatVersion` is required (1)",
        ),
    }
    let stamped = mode == Mode::Pass;
    for key in ["passTypeIdentifier", "teamIdentifier", "serialNumber"] {
        c.string_key(root, key, stamped);
    }
    for key in ["organizationName", "description"] {
        c.string_key(root, key, true);
    }
    for key in STRING_KEYS.iter().chain(&EVENT_GUIDE_KEYS) {
        c.string_key(root, key, false);
    }
    for key in BOOL_KEYS {
        if let Some(v) = root.get(key) {
            if !v.is_boolean() {
                c.err(
                    &format!("/{key}"),
                    "pass.bad_type",
                    format!("`{key}` must be true or false"),
                );
            }
        }
    }
    for key in COLOR_KEYS {
        if let Some(v) = root.get(key) {
            c.color(&format!("/{key}"), v);
        }
    }
    for key in ["relevantDate", "expirationDate"] {
        if let Some(v) = root.get(key) {
            c.date(&format!("/{key}"), v);
        }
    }

    // Web service: both or neither, https, token length.
    if mode == Mode::Pass {
        match (root.get("webServiceURL"), root.get("authenticationToken")) {
            (Some(_), None) | (None, Some(_)) => c.err(
                "/webServiceURL",
                "pass.web_service_pair",
                "`webServiceURL` and `authenticationToken` must appear together",
            ),
            (Some(url), Some(tok)) => {
                match url.as_str() {
                    Some(u) if u.starts_with("https://") => {}
                    Some(u) if u.starts_with("http://") => c.warn(
                        "/webServiceURL",
                        "pass.http_web_service",
                        "webServiceURL uses http; Wallet only talks to https outside development",
                    ),
                    _ => c.err(
                        "/webServiceURL",
                        "pass.bad_url",
                        "`webServiceURL` must be an https URL",
                    ),
                }
                if tok.as_str().is_none_or(|t| t.len() < 16) {
                    c.err(
                        "/authenticationToken",
                        "pass.short_token",
                        "`authenticationToken` must be a string of at least 16 characters",
                    );
                }
            }
            (None, None) => {}
        }
    }

    // Style: exactly one of the five, optionally with iOS 27's poster style.
    let styles: Vec<&str> = STYLES
        .iter()
        .copied()
        .filter(|s| root.contains_key(*s))
        .collect();
    let poster = root.contains_key(POSTER_GENERIC);
    match styles.as_slice() {
        [] if poster => c.warn(
            &format!("/{POSTER_GENERIC}"),
            "pass.poster_fallback",
            format!("{POSTER_GENERIC} shows on iOS 27 and later only; add a generic (or storeCard, eventTicket, coupon) dictionary beside it so earlier iOS versions can add the pass"),
        ),
        [] => c.err(
            "",
            "pass.no_style",
            format!(
                "pass.json needs exactly one style key: {}",
                STYLES.join(", ")
            ),
        ),
        [one] if poster && !POSTER_GENERIC_FALLBACKS.contains(one) => c.err(
            &format!("/{one}"),
            "pass.multiple_styles",
            format!("{POSTER_GENERIC} goes beside {} (the style earlier iOS versions show), not {one}", POSTER_GENERIC_FALLBACKS.join(", ")),
        ),
        [_] => {}
        many => c.err(
            &format!("/{}", many[1]),
            "pass.multiple_styles",
            format!(
                "pass.json has {} styles ({}); keep exactly one",
                many.len(),
                many.join(", ")
            ),
        ),
    }
    // Field keys are unique across the pass, but the poster style and the
    // style it falls back to repeat the same fields, so it has its own set.
    if poster {
        check_style(&mut c, root, POSTER_GENERIC, &mut HashMap::new());
    }
    let mut keys_seen = HashMap::new();
    for style in &styles {
        check_style(&mut c, root, style, &mut keys_seen);
    }

    // Barcodes.
    if let Some(b) = root.get("barcode") {
        check_barcode(&mut c, "/barcode", b, true);
    }
    if let Some(bs) = root.get("barcodes") {
        match bs.as_array() {
            Some(items) => {
                for (i, b) in items.iter().enumerate() {
                    check_barcode(&mut c, &format!("/barcodes/{i}"), b, false);
                }
                fn format(b: &Value) -> &str {
                    b.get("format").and_then(Value::as_str).unwrap_or("")
                }
                if let Some(first) = items.first().map(format) {
                    if IOS27_BARCODE_FORMATS.contains(&first)
                        && !items[1..]
                            .iter()
                            .any(|b| BARCODE_FORMATS.contains(&format(b)))
                    {
                        c.warn(
                            "/barcodes/0/format",
                            "pass.barcode_fallback",
                            format!("{first} shows on iOS 27 and later only, and no QR, PDF417, Aztec or Code128 entry follows it: earlier iOS versions show no barcode. Add a fallback entry after it"),
                        );
                    }
                }
            }
            None => c.err("/barcodes", "pass.bad_type", "`barcodes` must be an array"),
        }
    }

    // Keys added from iOS 18 on.
    if let Some(v) = root.get("semantics") {
        c.semantics("/semantics", v);
    }
    if let Some(v) = root.get("relevantDates") {
        c.relevant_dates(v);
    }
    if let Some(v) = root.get("featuredActions") {
        c.featured_actions(v);
    }
    if let Some(v) = root.get("upcomingPassInformation") {
        c.upcoming(v);
    }
    c.style_schemes(root, styles.first().copied());
    for key in STRING_KEYS.iter().chain(&EVENT_GUIDE_KEYS) {
        if key.ends_with("URL") || key.ends_with("Website") {
            if let Some(v @ Value::String(_)) = root.get(*key) {
                c.url(&format!("/{key}"), v);
            }
        }
    }

    // Locations and beacons.
    for (key, max) in [("locations", 10), ("beacons", 10)] {
        if let Some(v) = root.get(key) {
            match v.as_array() {
                Some(items) => {
                    if items.len() > max {
                        c.err(
                            &format!("/{key}"),
                            "pass.too_many",
                            format!("at most {max} {key} are allowed; found {}", items.len()),
                        );
                    }
                    if key == "locations" {
                        for (i, loc) in items.iter().enumerate() {
                            for (coord, lim) in [("latitude", 90.0), ("longitude", 180.0)] {
                                let at = format!("/locations/{i}/{coord}");
                                match loc.get(coord) {
                                    Some(Value::Number(n))
                                        if n.as_f64().is_some_and(|x| x.abs() <= lim) => {}
                                    Some(Value::String(s))
                                        if mode == Mode::Template && is_dynamic(s) => {}
                                    _ => c.err(
                                        &at,
                                        "pass.bad_location",
                                        format!(
                                            "`{coord}` must be a number between -{lim} and {lim}"
                                        ),
                                    ),
                                }
                            }
                        }
                    }
                }
                None => c.err(
                    &format!("/{key}"),
                    "pass.bad_type",
                    format!("`{key}` must be an array"),
                ),
            }
        }
    }
    if let Some(msg) = root
        .get("nfc")
        .and_then(|n| n.get("message"))
        .and_then(Value::as_str)
    {
        if msg.len() > 64 {
            c.err(
                "/nfc/message",
                "pass.nfc_message",
                "`nfc.message` must be at most 64 bytes",
            );
        }
    }

    // Unknown keys are kept and reported.
    for key in root.keys() {
        let known = STYLES.contains(&key.as_str())
            || COLOR_KEYS.contains(&key.as_str())
            || BOOL_KEYS.contains(&key.as_str())
            || STRING_KEYS.contains(&key.as_str())
            || EVENT_GUIDE_KEYS.contains(&key.as_str())
            || OTHER_KEYS.contains(&key.as_str());
        if !known {
            let at = format!("/{}", pointer_segment(key));
            let all = STYLES
                .iter()
                .chain(&COLOR_KEYS)
                .chain(&BOOL_KEYS)
                .chain(&STRING_KEYS)
                .chain(&EVENT_GUIDE_KEYS)
                .chain(&OTHER_KEYS);
            c.unknown_key(&at, key, all.copied());
        }
    }
    if mode == Mode::Template {
        contrast(&mut c, root);
    }
    c.out
}

/// How different two keys are: the edit distance (insertions, deletions,
/// substitutions and swaps of neighbours, as in `lable`), ignoring case.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The known key `key` is most likely a misspelling of: within two edits
/// (one for keys of up to five letters), the nearest.
fn nearest<'k>(key: &str, known: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    let limit = if key.chars().count() <= 5 { 1 } else { 2 };
    known
        .map(|k| (distance(key, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The components of `rgb(r, g, b)` (each 0-255, spaces allowed around
/// them), as Wallet writes colours.
pub(crate) fn parse_rgb(s: &str) -> Option<[u8; 3]> {
    let inner = s.strip_prefix("rgb(")?.strip_suffix(')')?;
    let parts: Vec<u8> = inner
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    parts.try_into().ok()
}

/// WCAG 2 relative luminance of an `rgb(r, g, b)` color.
fn luminance(s: &str) -> Option<f64> {
    let [r, g, b] = parse_rgb(s.trim())?;
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    Some(0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b))
}

/// The WCAG contrast ratio of two colors (1 to 21).
fn contrast_ratio(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    (hi + 0.05) / (lo + 0.05)
}

/// Text colors too close to the background color to read: values under
/// 4.5:1 (WCAG AA for normal text), labels under 3:1.
fn contrast(c: &mut Checker, root: &serde_json::Map<String, Value>) {
    let color = |k: &str| {
        root.get(k)
            .and_then(Value::as_str)
            .filter(|s| !is_dynamic(s))
            .and_then(luminance)
    };
    let Some(bg) = color("backgroundColor") else {
        return;
    };
    for (key, min, what) in [
        ("foregroundColor", 4.5, "field values"),
        ("labelColor", 3.0, "labels"),
    ] {
        if let Some(fg) = color(key) {
            let ratio = contrast_ratio(fg, bg);
            if ratio < min {
                c.warn(
                    &format!("/{key}"),
                    "pass.low_contrast",
                    format!("{what} in this color are hard to read on backgroundColor: contrast {ratio:.1}:1, under the {min}:1 WCAG asks for; pick a lighter or darker color"),
                );
            }
        }
    }
}

/// About how many characters of a field's value Wallet shows on an
/// iPhone before it cuts the text off, by field group and number of fields
/// in the group (estimates from Wallet's layouts: a row's width is shared
/// by its fields).
fn value_capacity(group: &str, boarding: bool, fields: usize) -> Option<usize> {
    let n = fields.max(1);
    match group {
        "headerFields" => Some((16 / n).max(6)),
        "primaryFields" if boarding => Some(9),
        "primaryFields" => Some(20),
        "secondaryFields" | "auxiliaryFields" => Some((40 / n).max(8)),
        _ => None,
    }
}

/// Where a field key was first seen: the style, the group and the index.
type Seen<'v> = HashMap<&'v str, (&'v str, &'static str, usize)>;

fn check_style<'v>(
    c: &mut Checker,
    root: &'v serde_json::Map<String, Value>,
    style: &'v str,
    keys_seen: &mut Seen<'v>,
) {
    let at_style = format!("/{style}");
    let Some(obj) = root.get(style).and_then(Value::as_object) else {
        c.err(
            &at_style,
            "pass.bad_type",
            format!("`{style}` must be an object"),
        );
        return;
    };
    if style == "boardingPass" {
        match obj.get("transitType").and_then(Value::as_str) {
            Some(t) if TRANSIT_TYPES.contains(&t) => {}
            Some(t) if c.mode == Mode::Template && is_dynamic(t) => {}
            Some(t) => c.err(
                &format!("{at_style}/transitType"),
                "pass.transit_type",
                format!(
                    "{t:?} is not a transit type; use one of {}",
                    TRANSIT_TYPES.join(", ")
                ),
            ),
            None => c.err(
                &format!("{at_style}/transitType"),
                "pass.transit_type",
                "a boarding pass needs `transitType`",
            ),
        }
    }
    let square_barcode = ["barcodes", "barcode"].iter().any(|k| {
        let first = match root.get(*k) {
            Some(Value::Array(a)) => a.first(),
            other => other,
        };
        first
            .and_then(|b| b.get("format"))
            .and_then(Value::as_str)
            .is_some_and(|f| f == "PKBarcodeFormatQR" || f == "PKBarcodeFormatAztec")
    });
    let mut sec_aux = 0;
    for group in FIELD_GROUPS {
        let Some(gv) = obj.get(group) else { continue };
        let at_group = format!("{at_style}/{group}");
        let Some(fields) = gv.as_array() else {
            c.err(
                &at_group,
                "pass.bad_type",
                format!("`{group}` must be an array of field dictionaries"),
            );
            continue;
        };
        let limit = match (group, style == "boardingPass") {
            // The poster face: one header field, up to four primary fields
            // and one footer field; no secondary or auxiliary row.
            ("headerFields" | "footerFields", _) if style == POSTER_GENERIC => Some(1),
            ("primaryFields", _) if style == POSTER_GENERIC => Some(4),
            ("secondaryFields" | "auxiliaryFields", _) if style == POSTER_GENERIC => Some(0),
            ("footerFields", _) => Some(0),
            ("headerFields", _) => Some(3),
            ("primaryFields", true) => Some(2),
            ("primaryFields", false) => Some(1),
            ("secondaryFields", _) => Some(4),
            ("auxiliaryFields", true) => Some(5),
            ("auxiliaryFields", false) => Some(4),
            _ => None,
        };
        if let Some(limit) = limit {
            if fields.len() > limit {
                c.warn(
                    &at_group,
                    "pass.too_many_fields",
                    if limit == 0 {
                        format!("the {style} layout has no {group}; Wallet does not show them")
                    } else {
                        format!("{} {group}; Wallet displays at most {limit}", fields.len())
                    },
                );
            }
        }
        if matches!(group, "secondaryFields" | "auxiliaryFields") {
            sec_aux += fields.len();
        }
        for (i, f) in fields.iter().enumerate() {
            // The pointer is made only for a problem (this runs for every
            // field of every pass).
            let at = || format!("{at_group}/{i}");
            let Some(fo) = f.as_object() else {
                c.err(
                    &at(),
                    "pass.bad_field",
                    "a field must be an object with `key` and `value`",
                );
                continue;
            };
            match fo.get("key") {
                Some(Value::String(k)) if !k.is_empty() => {
                    if let Some((s, g, n)) = keys_seen.get(k.as_str()) {
                        c.err(&format!("{}/key", at()), "pass.duplicate_field_key", format!("field key {k:?} is already used at /{s}/{g}/{n}; keys must be unique across the whole pass"));
                    } else {
                        keys_seen.insert(k, (style, group, i));
                    }
                }
                _ => c.err(
                    &format!("{}/key", at()),
                    "pass.bad_field",
                    "every field needs a non-empty string `key`",
                ),
            }
            match fo.get("value") {
                Some(Value::String(_) | Value::Number(_)) => {}
                Some(_) => c.err(
                    &format!("{}/value", at()),
                    "pass.bad_field",
                    "a field `value` must be a string or a number",
                ),
                None => c.err(
                    &format!("{}/value", at()),
                    "pass.bad_field",
                    "every field needs a `value`",
                ),
            }
            if fo.contains_key("dateStyle") || fo.contains_key("timeStyle") {
                if let Some(v @ Value::String(_)) = fo.get("value") {
                    c.date(&format!("{}/value", at()), v);
                }
            }
            if let Some(sem) = fo.get("semantics") {
                c.semantics(&format!("{}/semantics", at()), sem);
            }
            if let Some(Value::String(m)) = fo.get("changeMessage") {
                if !(m.contains("%@") || c.mode == Mode::Template && is_dynamic(m)) {
                    c.warn(
                        &format!("{}/changeMessage", at()),
                        "pass.change_message",
                        "`changeMessage` should contain %@ where the new value goes",
                    );
                }
            }
            for k in fo.keys() {
                if !FIELD_KEYS.contains(&k.as_str()) {
                    let here = format!("{}/{}", at(), pointer_segment(k));
                    c.unknown_key(&here, k, FIELD_KEYS.iter().copied());
                }
            }
            if c.mode == Mode::Template {
                if let Some(cap) = value_capacity(group, style == "boardingPass", fields.len()) {
                    for (key, cap) in [("value", cap), ("label", cap + cap / 2)] {
                        let Some(text) = fo.get(key).and_then(Value::as_str) else {
                            continue;
                        };
                        let len = text.chars().count();
                        if !is_dynamic(text) && len > cap {
                            c.warn(
                                &format!("{}/{key}", at()),
                                "pass.text_truncated",
                                format!("{text:?} has {len} characters; a {group} {key} in a group of {} shows about {cap} on an iPhone before Wallet cuts it off: shorten it, or put fewer fields in the group", fields.len()),
                            );
                        }
                    }
                }
            }
        }
    }
    if square_barcode && sec_aux > 4 {
        c.warn(&at_style, "pass.too_many_fields", format!("{sec_aux} secondary and auxiliary fields with a square barcode; Wallet displays at most 4"));
    }
}

fn check_barcode(c: &mut Checker, at: &str, b: &Value, legacy: bool) {
    let Some(o) = b.as_object() else {
        c.err(
            at,
            "pass.bad_barcode",
            "a barcode must be an object with format, message and messageEncoding",
        );
        return;
    };
    let format = o.get("format").and_then(Value::as_str);
    match format {
        Some(f) if IOS27_BARCODE_FORMATS.contains(&f) && legacy => c.err(
            &format!("{at}/format"),
            "pass.bad_barcode",
            format!("{f} cannot go in the old `barcode` key (QR, PDF417 and Aztec only); put it first in `barcodes`, followed by a QR, PDF417, Aztec or Code128 entry for earlier iOS versions"),
        ),
        Some(f) if BARCODE_FORMATS.contains(&f) || IOS27_BARCODE_FORMATS.contains(&f) => {}
        Some(f) if c.mode == Mode::Template && is_dynamic(f) => {}
        other => c.err(
            &format!("{at}/format"),
            "pass.bad_barcode",
            format!(
                "barcode format {:?} is not one of {}, {}",
                other.unwrap_or(""),
                BARCODE_FORMATS.join(", "),
                IOS27_BARCODE_FORMATS.join(", ")
            ),
        ),
    }
    for key in ["message", "messageEncoding"] {
        if !o.get(key).is_some_and(Value::is_string) {
            c.err(
                &format!("{at}/{key}"),
                "pass.bad_barcode",
                format!("a barcode needs a string `{key}`"),
            );
        }
    }
    if let (Some(f), Some(m)) = (format, o.get("message").and_then(|m| c.concrete(m))) {
        if let Some(problem) = barcode_message_problem(f, m) {
            c.err(&format!("{at}/message"), "pass.barcode_message", problem);
        }
    }
}

/// What keeps `message` from being drawn in one of iOS 27's linear
/// formats, if anything: EAN-13 takes 12 digits (Wallet adds the check
/// digit) or 13 with a correct one; Interleaved 2 of 5 an even number of
/// digits; Code 39 digits, capitals, space and `-.$/+%`; Codabar digits and
/// `-$:/.+` between optional A-D start and stop characters.
pub fn barcode_message_problem(format: &str, message: &str) -> Option<String> {
    match format {
        "PKBarcodeFormatEAN13" => {
            let digits = message.bytes().all(|b| b.is_ascii_digit());
            if !digits || !(12..=13).contains(&message.len()) {
                return Some(format!(
                    "an EAN-13 message is 12 or 13 digits; {message:?} is not"
                ));
            }
            let check = ean13_check_digit(&message[..12]);
            match message.as_bytes().get(12) {
                Some(&d) if u32::from(d - b'0') != check => Some(format!(
                    "the EAN-13 check digit of {message:?} is wrong: it should end in {check}"
                )),
                _ => None,
            }
        }
        "PKBarcodeFormatI2of5" => {
            if message.is_empty() || !message.bytes().all(|b| b.is_ascii_digit()) {
                Some(format!(
                    "Interleaved 2 of 5 encodes digits only; {message:?} is not"
                ))
            } else if message.len() % 2 == 1 {
                Some(format!("Interleaved 2 of 5 encodes an even number of digits; {message:?} has {} (add a leading 0)", message.len()))
            } else {
                None
            }
        }
        "PKBarcodeFormatCode39" => {
            let body = message
                .strip_prefix('*')
                .and_then(|m| m.strip_suffix('*'))
                .unwrap_or(message);
            let bad: String = body
                .chars()
                .filter(|ch| {
                    !(ch.is_ascii_digit() || ch.is_ascii_uppercase() || " -.$/+%".contains(*ch))
                })
                .collect();
            (body.is_empty() || !bad.is_empty()).then(|| {
                format!(
                    "Code 39 encodes 0-9, A-Z (capitals), space and -.$/+%; {message:?} has {}",
                    if bad.is_empty() {
                        "no data".to_owned()
                    } else {
                        format!("{bad:?}")
                    }
                )
            })
        }
        "PKBarcodeFormatCodabar" => {
            let stop = |ch: Option<char>| ch.is_some_and(|ch| "ABCDabcd".contains(ch));
            let body = if message.len() >= 2
                && stop(message.chars().next())
                && stop(message.chars().last())
            {
                &message[1..message.len() - 1]
            } else {
                message
            };
            let bad: String = body
                .chars()
                .filter(|ch| !(ch.is_ascii_digit() || "-$:/.+".contains(*ch)))
                .collect();
            (body.is_empty() || !bad.is_empty()).then(|| format!("Codabar encodes 0-9 and -$:/.+ between optional A-D start and stop characters; {message:?} has {}", if bad.is_empty() { "no data".to_owned() } else { format!("{bad:?}") }))
        }
        _ => None,
    }
}

/// The EAN-13 check digit of 12 digits.
pub(crate) fn ean13_check_digit(twelve: &str) -> u32 {
    let sum: u32 = twelve
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 1 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(v: &Value, mode: Mode) -> Vec<&'static str> {
        check_pass_json(v, mode)
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code)
            .collect()
    }

    fn base() -> Value {
        json!({"formatVersion": 1, "passTypeIdentifier": "pass.x.y", "teamIdentifier": "T", "serialNumber": "1",
               "organizationName": "O", "description": "D", "generic": {"primaryFields": [{"key": "a", "value": "b"}]}})
    }

    #[test]
    fn valid_pass_has_no_errors() {
        assert!(codes(&base(), Mode::Pass).is_empty());
    }

    #[test]
    fn two_styles_and_duplicate_keys() {
        let mut v = base();
        v["coupon"] = json!({"backFields": [{"key": "a", "value": 1}]});
        let c = codes(&v, Mode::Pass);
        assert_eq!(c, ["pass.multiple_styles", "pass.duplicate_field_key"]);
    }

    #[test]
    fn placeholders_defer_format_checks_in_templates() {
        let mut v = base();
        v["backgroundColor"] = json!("{{ color }}");
        v["relevantDate"] = json!("{{ when }}");
        assert!(codes(&v, Mode::Template).is_empty());
        assert_eq!(codes(&v, Mode::Pass), ["pass.bad_color", "pass.bad_date"]);
    }

    #[test]
    fn colors_dates_barcodes_web_service() {
        let mut v = base();
        v["foregroundColor"] = json!("rgb(300, 0, 0)");
        v["expirationDate"] = json!("2026-05-01");
        v["barcodes"] = json!([{"format": "QR", "message": "m"}]);
        v["webServiceURL"] = json!("https://x");
        let c = codes(&v, Mode::Pass);
        assert_eq!(
            c,
            [
                "pass.bad_color",
                "pass.bad_date",
                "pass.web_service_pair",
                "pass.bad_barcode",
                "pass.bad_barcode"
            ]
        );
    }

    #[test]
    fn misspelled_keys_name_the_key_they_meant() {
        let mut v = base();
        v["backgroundColour"] = json!("rgb(0, 0, 0)");
        v["generic"]["primaryFields"][0]["lable"] = json!("NAME");
        v["somethingNew"] = json!(1);
        let d = check_pass_json(&v, Mode::Template);
        let misspelled: Vec<&str> = d
            .iter()
            .filter(|d| d.code == "pass.misspelled_key")
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(misspelled.len(), 2, "{d:?}");
        assert!(
            misspelled
                .iter()
                .any(|m| m.contains("did you mean `backgroundColor`")),
            "{misspelled:?}"
        );
        assert!(
            misspelled
                .iter()
                .any(|m| m.contains("did you mean `label`")),
            "{misspelled:?}"
        );
        assert!(
            d.iter()
                .any(|d| d.code == "pass.unknown_key" && d.message.contains("somethingNew")),
            "a key near no known key stays an info line"
        );
        assert!(!codes(&base(), Mode::Template).contains(&"pass.misspelled_key"));
        assert_eq!(distance("backgroundColour", "backgroundColor"), 1);
        assert_eq!(
            nearest("logoTxt", STRING_KEYS.iter().copied()),
            Some("logoText")
        );
        assert_eq!(nearest("voidd", BOOL_KEYS.iter().copied()), Some("voided"));
        assert_eq!(nearest("zzz", BOOL_KEYS.iter().copied()), None);
    }

    #[test]
    fn text_that_wallet_cuts_off_is_a_warning_in_templates() {
        let mut v = base();
        v["generic"]["secondaryFields"] = json!([
            {"key": "a", "label": "A", "value": "A value far too long for a third of a row"},
            {"key": "b", "label": "B", "value": "short"},
            {"key": "c", "label": "C", "value": "{{ name }} and a long tail after it"}
        ]);
        let d = check_pass_json(&v, Mode::Template);
        let cut: Vec<String> = d
            .iter()
            .filter(|d| d.code == "pass.text_truncated")
            .map(|d| match &d.location {
                Location::Pointer(p) => p.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(cut, ["/generic/secondaryFields/0/value"], "{d:?}");
        assert!(
            !codes(&v, Mode::Pass).contains(&"pass.text_truncated"),
            "templates only"
        );
        assert!(!codes(&base(), Mode::Template).contains(&"pass.text_truncated"));
    }

    #[test]
    fn text_colors_too_close_to_the_background_are_warnings() {
        let mut v = base();
        v["backgroundColor"] = json!("rgb(255, 255, 255)");
        v["foregroundColor"] = json!("rgb(200, 200, 200)");
        v["labelColor"] = json!("rgb(240, 240, 240)");
        let d = check_pass_json(&v, Mode::Template);
        let low: Vec<String> = d
            .iter()
            .filter(|d| d.code == "pass.low_contrast")
            .map(|d| match &d.location {
                Location::Pointer(p) => p.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(low, ["/foregroundColor", "/labelColor"], "{d:?}");
        v["foregroundColor"] = json!("rgb(17, 24, 39)");
        v["labelColor"] = json!("rgb(107, 114, 128)");
        assert!(!codes(&v, Mode::Template).contains(&"pass.low_contrast"));
        let black = luminance("rgb(0, 0, 0)").expect("black");
        let white = luminance("rgb(255, 255, 255)").expect("white");
        assert!((contrast_ratio(black, white) - 21.0).abs() < 0.01);
    }

    #[test]
    fn unknown_keys_are_info_not_dropped() {
        let mut v = base();
        v["futureKey2027"] = json!(true);
        let d = check_pass_json(&v, Mode::Pass);
        assert!(d.iter().any(|d| d.code == "pass.unknown_key"
            && d.location == Location::Pointer("/futureKey2027".into())));
    }
}
