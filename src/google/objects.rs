//! Mapping a rendered Apple pass to a Google Wallet class and object: the
//! type follows the Apple style, fields go to the type's own slots where
//! Google has them and to text modules otherwise. The only Google-JSON code.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{id_suffix, merge, GoogleConfig, GoogleError};
use crate::template::schema::parse_datetime;
use crate::template::{RenderedPass, StringsTable, Template};

/// The Google Wallet pass types passforge maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoogleType {
    /// From eventTicket.
    EventTicket,
    /// From boardingPass with PKTransitTypeAir.
    Flight,
    /// From boardingPass with another transit type.
    Transit,
    /// From storeCard.
    Loyalty,
    /// From coupon.
    Offer,
    /// From generic.
    Generic,
}

impl GoogleType {
    /// The Google type for an Apple style (`boardingPass` splits by
    /// `transitType`: air → flight, the rest → transit).
    pub fn for_pass(style: &str, pass_json: &Value) -> Self {
        match style {
            "eventTicket" => Self::EventTicket,
            "boardingPass" => match pass_json
                .get("boardingPass")
                .and_then(|b| b.get("transitType"))
                .and_then(Value::as_str)
            {
                Some("PKTransitTypeAir") => Self::Flight,
                _ => Self::Transit,
            },
            "storeCard" => Self::Loyalty,
            "coupon" => Self::Offer,
            _ => Self::Generic,
        }
    }

    /// The type's name in Google's API (`eventTicket`, `flight`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::EventTicket => "eventTicket",
            Self::Flight => "flight",
            Self::Transit => "transit",
            Self::Loyalty => "loyalty",
            Self::Offer => "offer",
            Self::Generic => "generic",
        }
    }

    /// The JWT payload key for classes.
    pub fn classes_key(self) -> String {
        format!("{}Classes", self.name())
    }

    /// The JWT payload key for objects.
    pub fn objects_key(self) -> String {
        format!("{}Objects", self.name())
    }

    /// Fields Google requires on the class and on the object.
    fn required(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Self::EventTicket => (
                &["eventName", "id", "issuerName", "reviewStatus"],
                &["classId", "id", "state"],
            ),
            Self::Flight => (
                &[
                    "destination",
                    "flightHeader",
                    "id",
                    "issuerName",
                    "localScheduledDepartureDateTime",
                    "origin",
                    "reviewStatus",
                ],
                &["classId", "id", "passengerName", "reservationInfo", "state"],
            ),
            Self::Transit => (
                &["id", "issuerName", "logo", "reviewStatus", "transitType"],
                &["classId", "id", "state", "tripType"],
            ),
            Self::Loyalty => (
                &[
                    "id",
                    "issuerName",
                    "programLogo",
                    "programName",
                    "reviewStatus",
                ],
                &["classId", "id", "state"],
            ),
            Self::Offer => (
                &[
                    "id",
                    "issuerName",
                    "provider",
                    "redemptionChannel",
                    "reviewStatus",
                    "title",
                ],
                &["classId", "id", "state"],
            ),
            Self::Generic => (&["id"], &["cardTitle", "classId", "header", "id"]),
        }
    }

    /// Where each missing required field can come from, for error messages.
    fn hint(self, field: &str) -> &'static str {
        match (self, field) {
            (_, "logo" | "programLogo") => "a logo.png in the template and a public URL (--public-url / PASSFORGE_PUBLIC_URL) to serve it from",
            (Self::Flight, "flightHeader") => "a `flight` field like \"LH451\", or semantics airlineCode + flightNumber",
            (Self::Flight, "origin" | "destination") => "three-letter airport codes as the two primary field values, or semantics departureAirportCode / destinationAirportCode",
            (Self::Flight, "localScheduledDepartureDateTime") => "relevantDate or a departure field with a date-time value",
            (Self::Flight, "passengerName") => "a `passenger` (or `name`) field, or semantics passengerName",
            _ => "a value in google.json",
        }
    }
}

/// A pass as a Google class and object, ready to sign.
#[derive(Debug, Clone)]
pub struct GooglePass {
    /// The Google type.
    pub google_type: GoogleType,
    /// `<issuerId>.<suffix>` of the class.
    pub class_id: String,
    /// `<issuerId>.<suffix>` of the object.
    pub object_id: String,
    /// The class JSON.
    pub class: Value,
    /// The object JSON.
    pub object: Value,
    /// Things that were left out or approximated.
    pub warnings: Vec<Warning>,
}

/// Something about one pass's Google side that does not stop it, e.g. a
/// value that could not be mapped. Shown as its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The same for every pass with this kind of problem (e.g.
    /// `google.save_url_long`), so a batch can count them instead of
    /// repeating them.
    pub code: &'static str,
    /// What is wrong with this pass and what to do.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One Apple field, flattened.
#[derive(Clone)]
struct Field {
    key: String,
    label: Option<String>,
    /// The value as Wallet would show it (dates formatted, currency added).
    value: String,
    /// The value as written in pass.json.
    raw: Value,
}

fn display(f: &Map<String, Value>) -> String {
    let value = f.get("value");
    let text = match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match f.get("currencyCode").and_then(Value::as_str) {
            Some(cur) => format!("{n} {cur}"),
            None => n.to_string(),
        },
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let date_style = f
        .get("dateStyle")
        .and_then(Value::as_str)
        .filter(|s| *s != "PKDateStyleNone");
    let time_style = f
        .get("timeStyle")
        .and_then(Value::as_str)
        .filter(|s| *s != "PKDateStyleNone");
    if date_style.is_some() || time_style.is_some() {
        if let Some(dt) = parse_datetime(&text) {
            let fmt = match (date_style, time_style) {
                (Some(_), Some(_)) => "%-d %b %Y %H:%M",
                (Some(_), None) => "%-d %b %Y",
                _ => "%H:%M",
            };
            let ignore_tz = f
                .get("ignoresTimeZone")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            return if ignore_tz {
                dt.naive_utc().format(fmt).to_string()
            } else {
                dt.format(fmt).to_string()
            };
        }
    }
    text
}

struct Ctx<'a> {
    pass: &'a Value,
    template: &'a Template,
    config: &'a GoogleConfig,
    fields: Vec<Field>,
    /// Indexes into `fields` of the primary fields, in order.
    primaries: Vec<usize>,
    used: Vec<String>,
}

const HOLDER: [&str; 10] = [
    "attendee",
    "holder",
    "ticketholder",
    "name",
    "passenger",
    "member",
    "membername",
    "customer",
    "customername",
    "accountname",
];

impl Ctx<'_> {
    fn s(&self, key: &str) -> Option<&str> {
        self.pass
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    fn semantic(&self, key: &str) -> Option<&Value> {
        self.pass.get("semantics").and_then(|s| s.get(key))
    }

    /// A semantic tag's text (a non-empty string).
    fn semantic_str(&self, key: &str) -> Option<String> {
        self.semantic(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    }

    /// The first unused field whose key (case-insensitive) is one of `keys`; marks it used.
    fn take(&mut self, keys: &[&str]) -> Option<Field> {
        let i = self.fields.iter().position(|f| {
            !self.used.contains(&f.key)
                && keys.contains(&f.key.to_ascii_lowercase().as_str())
                && !f.value.is_empty()
        })?;
        let f = &self.fields[i];
        self.used.push(f.key.clone());
        Some(Field {
            key: f.key.clone(),
            label: f.label.clone(),
            value: f.value.clone(),
            raw: f.raw.clone(),
        })
    }

    /// The `i`th primary field.
    fn primary(&self, i: usize) -> Option<Field> {
        self.primaries.get(i).map(|&at| self.fields[at].clone())
    }

    /// The `i`th primary field, marked as used (it will not become a text module).
    fn take_primary(&mut self, i: usize) -> Option<Field> {
        let f = self.primary(i)?;
        self.mark(&f.key);
        Some(f)
    }

    fn mark(&mut self, key: &str) {
        self.used.push(key.to_owned());
    }

    fn localized(&self, text: &str) -> Value {
        localized(text, self.template.strings())
    }

    fn image(&self, base: &str) -> Option<Value> {
        let url = self.config.public_url.as_deref()?.trim_end_matches('/');
        let file = [
            format!("{base}@3x.png"),
            format!("{base}@2x.png"),
            format!("{base}.png"),
        ]
        .into_iter()
        .find(|f| self.template.assets().iter().any(|a| &a.name == f))?;
        let org = self.s("organizationName").unwrap_or("logo");
        Some(json!({
            "sourceUri": {"uri": format!("{url}/templates/{}/{file}", percent_encode(self.template.id()))},
            "contentDescription": self.localized(org),
        }))
    }

    fn text_modules(&self) -> Vec<Value> {
        self.fields
            .iter()
            .filter(|f| !self.used.contains(&f.key) && !f.value.is_empty())
            .take(20)
            .map(|f| {
                let mut m = Map::new();
                m.insert("id".into(), id_suffix(&f.key).into());
                if let Some(l) = &f.label {
                    m.insert("header".into(), l.clone().into());
                    if has_translations(l, self.template.strings()) {
                        m.insert("localizedHeader".into(), self.localized(l));
                    }
                }
                m.insert("body".into(), f.value.clone().into());
                if has_translations(&f.value, self.template.strings()) {
                    m.insert("localizedBody".into(), self.localized(&f.value));
                }
                Value::Object(m)
            })
            .collect()
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// BCP 47 tag of an lproj name (`pt_BR` → `pt-BR`); `Base` has none.
fn language(lproj: &str) -> Option<String> {
    (lproj != "Base").then(|| lproj.replace('_', "-"))
}

fn lookup<'t>(table: &'t StringsTable, key: &str) -> Option<&'t str> {
    table
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn has_translations(text: &str, strings: &BTreeMap<String, StringsTable>) -> bool {
    strings.values().any(|t| lookup(t, text).is_some())
}

/// A LocalizedString: English (the `en` translation if the template has one)
/// as default, every other localization of the same key as translatedValues.
fn localized(text: &str, strings: &BTreeMap<String, StringsTable>) -> Value {
    let default = strings
        .get("en")
        .and_then(|t| lookup(t, text))
        .unwrap_or(text);
    let translated: Vec<Value> = strings
        .iter()
        .filter(|(lang, _)| lang.as_str() != "en")
        .filter_map(|(lang, t)| {
            Some(json!({"language": language(lang)?, "value": lookup(t, text)?}))
        })
        .collect();
    let mut v = json!({"defaultValue": {"language": "en", "value": default}});
    if !translated.is_empty() {
        v["translatedValues"] = Value::Array(translated);
    }
    v
}

fn hex_color(rgb: &str) -> Option<String> {
    let [r, g, b] = crate::apple::rules::parse_rgb(rgb.trim())?;
    Some(format!("#{r:02x}{g:02x}{b:02x}"))
}

/// The pass's barcode for Google: the first entry of `barcodes` Google can
/// draw in the same symbology (iOS 27's EAN-13, Code 39 and Codabar too;
/// Interleaved 2 of 5 as ITF-14 only for a valid 14-digit message), else
/// the first entry in a format every Wallet draws (the fallback entry).
fn barcode(pass: &Value) -> Option<Value> {
    let entries: Vec<&Value> = match pass.get("barcodes") {
        Some(Value::Array(a)) => a.iter().collect(),
        _ => pass.get("barcode").into_iter().collect(),
    };
    let kind = |b: &Value| -> Option<&'static str> {
        let message = b.get("message")?.as_str()?;
        Some(match b.get("format")?.as_str()? {
            "PKBarcodeFormatQR" => "QR_CODE",
            "PKBarcodeFormatPDF417" => "PDF_417",
            "PKBarcodeFormatAztec" => "AZTEC",
            "PKBarcodeFormatCode128" => "CODE_128",
            f @ ("PKBarcodeFormatEAN13" | "PKBarcodeFormatCode39" | "PKBarcodeFormatCodabar")
                if crate::apple::rules::barcode_message_problem(f, message).is_none() =>
            {
                match f {
                    "PKBarcodeFormatEAN13" => "EAN_13",
                    "PKBarcodeFormatCode39" => "CODE_39",
                    _ => "CODABAR",
                }
            }
            "PKBarcodeFormatI2of5" if is_itf14(message) => "ITF_14",
            _ => return None,
        })
    };
    let (b, kind) = entries.iter().find_map(|b| kind(b).map(|k| (*b, k)))?;
    let mut message = b.get("message")?.as_str()?.to_owned();
    if kind == "EAN_13" && message.len() == 12 {
        // Wallet adds the check digit to 12 digits; Google wants all 13.
        message.push_str(&crate::apple::rules::ean13_check_digit(&message).to_string());
    }
    let mut out = json!({"type": kind, "value": message});
    if let Some(alt) = b.get("altText").and_then(Value::as_str) {
        out["alternateText"] = alt.into();
    }
    Some(out)
}

/// The pass's links for Google's links module: iOS 27's featured actions,
/// then the event guide and airline links (`bagPolicyURL`, `changeSeatURL`,
/// …), a venue's or airline's phone and e-mail as `tel:` and `mailto:`.
fn links(pass: &Value) -> Vec<Value> {
    const GUIDE: [(&str, &str); 22] = [
        ("bagPolicyURL", "Bag policy"),
        ("parkingInformationURL", "Parking"),
        ("purchaseParkingURL", "Buy parking"),
        ("directionsInformationURL", "Directions"),
        ("transitInformationURL", "Public transport"),
        ("orderFoodURL", "Order food"),
        ("merchandiseURL", "Merchandise"),
        ("accessibilityURL", "Accessibility"),
        ("addOnURL", "Add-ons"),
        ("transferURL", "Transfer ticket"),
        ("sellURL", "Sell ticket"),
        ("contactVenueWebsite", "Venue website"),
        ("contactVenuePhoneNumber", "Call the venue"),
        ("contactVenueEmail", "E-mail the venue"),
        ("managementURL", "Manage trip"),
        ("changeSeatURL", "Change seat"),
        ("upgradeURL", "Upgrade"),
        ("purchaseAdditionalBaggageURL", "Add baggage"),
        ("trackBagsURL", "Track bags"),
        ("transitProviderWebsiteURL", "Airline website"),
        ("transitProviderPhoneNumber", "Call the airline"),
        ("transitProviderEmail", "E-mail the airline"),
    ];
    let mut out = Vec::new();
    for (i, a) in pass
        .get("featuredActions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(url) = a.get("url").and_then(Value::as_str) {
            let what = a.get("type").and_then(Value::as_str).unwrap_or("Open");
            out.push(json!({"uri": url, "description": what, "id": format!("action{i}")}));
        }
    }
    for (key, what) in GUIDE {
        let Some(v) = pass
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let uri = if key.ends_with("PhoneNumber") {
            format!("tel:{}", v.replace(' ', ""))
        } else if key.ends_with("Email") {
            format!("mailto:{v}")
        } else {
            v.to_owned()
        };
        out.push(json!({"uri": uri, "description": what, "id": id_suffix(key)}));
    }
    out
}

/// One seat of `semantics.seats` as a line of text.
fn seat_text(seat: &Value) -> String {
    [
        ("seatSection", ""),
        ("seatRow", "row "),
        ("seatNumber", "seat "),
    ]
    .iter()
    .filter_map(|(k, prefix)| {
        seat.get(*k)
            .and_then(Value::as_str)
            .map(|v| format!("{prefix}{v}"))
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// Whether `s` is an ITF-14 (GTIN-14) number: 14 digits with a correct
/// GS1 check digit.
fn is_itf14(s: &str) -> bool {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = digits[..13]
        .iter()
        .enumerate()
        .map(|(i, d)| d * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == digits[13]
}

/// A W3C date-time as Google's local date-time (no offset).
fn local_datetime(s: &str) -> Option<String> {
    parse_datetime(s).map(|dt| dt.naive_local().format("%Y-%m-%dT%H:%M:%S").to_string())
}

fn iata(s: &str) -> Option<&str> {
    (s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase())).then_some(s)
}

/// Maps a rendered pass to Google: type by style, the template's Google
/// override merged over the result, then Google's required fields checked.
///
/// # Errors
/// [`GoogleError::Mapping`] naming each required field that could not be
/// filled and where it can come from.
pub fn map_pass(
    rendered: &RenderedPass,
    template: &Template,
    config: &GoogleConfig,
) -> Result<GooglePass, GoogleError> {
    let pass = &rendered.pass_json;
    let style = template.style();
    let google_type = GoogleType::for_pass(style, pass);
    let mut fields = Vec::new();
    let mut primaries = Vec::new();
    if let Some(st) = pass.get(style) {
        for group in [
            "headerFields",
            "primaryFields",
            "secondaryFields",
            "auxiliaryFields",
            "additionalInfoFields",
            "backFields",
        ] {
            for f in st
                .get(group)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
            {
                if group == "primaryFields" {
                    primaries.push(fields.len());
                }
                fields.push(Field {
                    key: f
                        .get("key")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    label: f
                        .get("label")
                        .and_then(Value::as_str)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                    value: display(f),
                    raw: f.get("value").cloned().unwrap_or(Value::Null),
                });
            }
        }
    }
    let mut c = Ctx {
        pass,
        template,
        config,
        fields,
        primaries,
        used: Vec::new(),
    };
    let org = c.s("organizationName").unwrap_or_default().to_owned();
    let mut class = json!({"issuerName": org, "reviewStatus": "UNDER_REVIEW"});
    let mut object = json!({"state": if pass.get("voided").and_then(Value::as_bool) == Some(true) { "INACTIVE" } else { "ACTIVE" }});
    let mut warnings = Vec::new();
    let mut extra_modules: Vec<Value> = Vec::new();
    let color = c.s("backgroundColor").and_then(hex_color);

    match google_type {
        GoogleType::EventTicket => {
            let name = c.semantic_str("eventName");
            let name = name.or_else(|| c.take_primary(0).map(|f| f.value));
            class["eventName"] =
                c.localized(name.as_deref().or(c.s("description")).unwrap_or(&org));
            let venue = c.semantic_str("venueName").map(|v| {
                let address: Vec<String> = ["venueRoom", "venueRegionName"]
                    .iter()
                    .filter_map(|k| c.semantic_str(k))
                    .collect();
                (v, address)
            });
            match venue {
                Some((v, address)) => {
                    class["venue"] = json!({"name": c.localized(&v)});
                    if !address.is_empty() {
                        class["venue"]["address"] = c.localized(&address.join(", "));
                    }
                }
                None => {
                    if let Some(v) = c.take(&["venue", "location", "loc", "place"]) {
                        class["venue"] = json!({"name": c.localized(&v.value)});
                    }
                }
            }
            if let Some(logo) = c.image("logo") {
                class["logo"] = logo;
            }
            // When: the event's semantics, else its first relevant interval,
            // else the relevant date.
            let interval = pass
                .get("relevantDates")
                .and_then(Value::as_array)
                .and_then(|a| a.first());
            let start = c
                .semantic_str("eventStartDate")
                .or_else(|| {
                    interval
                        .and_then(|i| i.get("startDate").or_else(|| i.get("date")))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .or_else(|| c.s("relevantDate").map(str::to_owned));
            let end = c.semantic_str("eventEndDate").or_else(|| {
                interval
                    .and_then(|i| i.get("endDate"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            let mut when = Map::new();
            for (k, v) in [
                ("doorsOpen", c.semantic_str("venueDoorsOpenDate")),
                ("start", start),
                ("end", end),
            ] {
                if let Some(v) = v {
                    when.insert(k.into(), v.into());
                }
            }
            if !when.is_empty() {
                class["dateTime"] = Value::Object(when);
            }
            let mut seat = Map::new();
            let seats: Vec<&Value> = c
                .semantic("seats")
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            if let Some(first) = seats.first() {
                for (slot, key) in [
                    ("seat", "seatNumber"),
                    ("row", "seatRow"),
                    ("section", "seatSection"),
                ] {
                    if let Some(v) = first.get(key).and_then(Value::as_str) {
                        seat.insert(slot.into(), c.localized(v));
                    }
                }
                if seats.len() > 1 {
                    let all: Vec<String> = seats.iter().map(|s| seat_text(s)).collect();
                    extra_modules
                        .push(json!({"id": "seats", "header": "Seats", "body": all.join("\n")}));
                }
            }
            let gate = ["venueEntranceGate", "venueEntrance"]
                .iter()
                .find_map(|k| c.semantic_str(k));
            if let Some(g) = gate {
                seat.insert("gate".into(), c.localized(&g));
            }
            for (slot, keys) in [
                ("seat", &["seat"][..]),
                ("section", &["section", "zone"][..]),
                ("row", &["row"][..]),
                ("gate", &["gate", "entrance"][..]),
            ] {
                if seat.contains_key(slot) {
                    continue;
                }
                if let Some(f) = c.take(keys) {
                    seat.insert(slot.into(), c.localized(&f.value));
                }
            }
            if !seat.is_empty() {
                object["seatInfo"] = Value::Object(seat);
            }
            match c.semantic_str("attendeeName") {
                Some(h) => object["ticketHolderName"] = h.into(),
                None => {
                    if let Some(h) = c.take(&HOLDER) {
                        object["ticketHolderName"] = h.value.into();
                    }
                }
            }
            if let Some(t) = c.semantic_str("admissionLevel") {
                object["ticketType"] = c.localized(&t);
            }
        }
        GoogleType::Flight => {
            let code = c
                .semantic("airlineCode")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let number = c
                .semantic("flightNumber")
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
            let (carrier, number) = match (code, number) {
                (Some(code), Some(n)) => (Some(code), Some(n)),
                _ => match c.take(&["flight", "flightnumber", "flightcode"]) {
                    Some(f) => {
                        let v = f.value.replace(' ', "");
                        let split = v.char_indices().nth(2).map(|(i, _)| i).unwrap_or(v.len());
                        let (a, n) = v.split_at(split);
                        if a.chars().all(|ch| ch.is_ascii_alphanumeric())
                            && a.len() == 2
                            && !n.is_empty()
                            && n.chars().all(|ch| ch.is_ascii_digit())
                        {
                            (Some(a.to_owned()), Some(n.to_owned()))
                        } else {
                            warnings.push(Warning {
                                code: "google.flight_number",
                                message: format!(
                                    "flight {:?} is not an airline code and number such as LH451",
                                    f.value
                                ),
                            });
                            (None, None)
                        }
                    }
                    None => (None, None),
                },
            };
            if let (Some(carrier), Some(number)) = (carrier, number) {
                class["flightHeader"] =
                    json!({"carrier": {"carrierIataCode": carrier}, "flightNumber": number});
            }
            let airport = |c: &mut Ctx<'_>, semantic: &str, i: usize| -> Option<String> {
                if let Some(s) = c.semantic(semantic).and_then(Value::as_str) {
                    return Some(s.to_owned());
                }
                let f = c.primary(i)?;
                let code = iata(&f.value)?.to_owned();
                c.mark(&f.key);
                Some(code)
            };
            let gate = c
                .semantic_str("departureGate")
                .or_else(|| c.take(&["gate"]).map(|g| g.value));
            if let Some(o) = airport(&mut c, "departureAirportCode", 0) {
                class["origin"] = json!({"airportIataCode": o});
                if let Some(g) = gate {
                    class["origin"]["gate"] = g.into();
                }
                if let Some(t) = c.semantic_str("departureTerminal") {
                    class["origin"]["terminal"] = t.into();
                }
            }
            if let Some(d) = airport(&mut c, "destinationAirportCode", 1) {
                class["destination"] = json!({"airportIataCode": d});
                for (slot, key) in [
                    ("gate", "destinationGate"),
                    ("terminal", "destinationTerminal"),
                ] {
                    if let Some(v) = c.semantic_str(key) {
                        class["destination"][slot] = v.into();
                    }
                }
            }
            let departure = c.semantic_str("originalDepartureDate").or_else(|| {
                c.take(&["departure", "departs", "departuretime", "departuredate"])
                    .and_then(|f| f.raw.as_str().map(str::to_owned))
            });
            let dep = departure
                .as_deref()
                .and_then(local_datetime)
                .or_else(|| c.s("relevantDate").and_then(local_datetime));
            if let Some(d) = dep {
                class["localScheduledDepartureDateTime"] = d.into();
            }
            for (slot, key) in [
                ("localBoardingDateTime", "originalBoardingDate"),
                ("localScheduledArrivalDateTime", "originalArrivalDate"),
                (
                    "localEstimatedOrActualDepartureDateTime",
                    "currentDepartureDate",
                ),
                (
                    "localEstimatedOrActualArrivalDateTime",
                    "currentArrivalDate",
                ),
            ] {
                if let Some(d) = c.semantic_str(key).as_deref().and_then(local_datetime) {
                    class[slot] = d.into();
                }
            }
            let passenger = c.semantic("passengerName").and_then(|p| {
                let parts: Vec<&str> = ["givenName", "familyName"]
                    .iter()
                    .filter_map(|k| p.get(*k).and_then(Value::as_str))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            });
            if let Some(p) = passenger.or_else(|| c.take(&HOLDER).map(|f| f.value)) {
                object["passengerName"] = p.into();
            }
            let confirmation = c
                .semantic("confirmationNumber")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    c.take(&[
                        "pnr",
                        "confirmation",
                        "confirmationcode",
                        "booking",
                        "bookingreference",
                    ])
                    .map(|f| f.value)
                });
            object["reservationInfo"] = json!({"confirmationCode": confirmation.unwrap_or_else(|| rendered.serial_number.to_string())});
            let mut seating = Map::new();
            let semantic_seat = c
                .semantic("seats")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|s| s.get("seatNumber"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            if let Some(s) = semantic_seat.or_else(|| c.take(&["seat"]).map(|f| f.value)) {
                seating.insert("seatNumber".into(), s.into());
            }
            let group = c
                .semantic_str("boardingGroup")
                .or_else(|| c.take(&["group", "boardinggroup", "zone"]).map(|f| f.value));
            if let Some(g) = group {
                seating.insert("boardingGroup".into(), g.into());
            }
            for (slot, key) in [
                ("sequenceNumber", "boardingSequenceNumber"),
                ("seatClass", "ticketFareClass"),
            ] {
                if let Some(v) = c.semantic_str(key) {
                    seating.insert(slot.into(), v.into());
                }
            }
            if let Some(n) = c.semantic_str("membershipProgramNumber") {
                object["reservationInfo"]["frequentFlyerInfo"] = json!({"frequentFlyerNumber": n});
                if let Some(p) = c.semantic_str("membershipProgramName") {
                    object["reservationInfo"]["frequentFlyerInfo"]["frequentFlyerProgramName"] =
                        c.localized(&p);
                }
            }
            if !seating.is_empty() {
                object["boardingAndSeatingInfo"] = Value::Object(seating);
            }
        }
        GoogleType::Transit => {
            let kind = match pass
                .get("boardingPass")
                .and_then(|b| b.get("transitType"))
                .and_then(Value::as_str)
            {
                Some("PKTransitTypeTrain") => "RAIL",
                Some("PKTransitTypeBus") => "BUS",
                Some("PKTransitTypeBoat") => "FERRY",
                _ => "OTHER",
            };
            class["transitType"] = kind.into();
            if let Some(logo) = c.image("logo") {
                class["logo"] = logo;
            }
            object["tripType"] = "ONE_WAY".into();
            let mut leg = Map::new();
            for (i, name_key, code_key) in [
                (0, "originName", "originStationCode"),
                (1, "destinationName", "destinationStationCode"),
            ] {
                if let Some(f) = c.take_primary(i) {
                    match f.label {
                        Some(l) => {
                            leg.insert(name_key.into(), c.localized(&l));
                            leg.insert(code_key.into(), f.value.into());
                        }
                        None => {
                            leg.insert(name_key.into(), c.localized(&f.value));
                        }
                    }
                }
            }
            if let Some(d) = c.s("relevantDate") {
                leg.insert("departureDateTime".into(), d.into());
            }
            if !leg.is_empty() {
                object["ticketLeg"] = Value::Object(leg);
            }
            if let Some(h) = c.take(&HOLDER) {
                object["passengerNames"] = h.value.into();
            }
        }
        GoogleType::Loyalty => {
            class["programName"] = c.s("logoText").unwrap_or(&org).to_owned().into();
            if let Some(logo) = c.image("logo") {
                class["programLogo"] = logo;
            }
            if let Some(p) = c.take(&["points", "balance", "stamps", "credit"]) {
                let balance = match &p.raw {
                    Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) => {
                        json!({"int": n})
                    }
                    Value::Number(n) => json!({"double": n}),
                    _ => match p.value.parse::<i64>() {
                        Ok(i) if i32::try_from(i).is_ok() => json!({"int": i}),
                        _ => json!({"string": p.value}),
                    },
                };
                let mut points = json!({"balance": balance});
                if let Some(l) = &p.label {
                    points["label"] = l.clone().into();
                }
                object["loyaltyPoints"] = points;
            }
            if let Some(h) = c.take(&HOLDER) {
                object["accountName"] = h.value.into();
            }
            if let Some(a) = c.take(&[
                "memberid",
                "accountid",
                "account",
                "cardnumber",
                "number",
                "membernumber",
            ]) {
                object["accountId"] = a.value.into();
            }
        }
        GoogleType::Offer => {
            class["provider"] = org.clone().into();
            class["redemptionChannel"] = "BOTH".into();
            let title = match c.take_primary(0) {
                Some(Field {
                    label: Some(l),
                    value,
                    ..
                }) => format!("{l} {value}"),
                Some(f) => f.value,
                None => c.s("description").unwrap_or(&org).to_owned(),
            };
            class["title"] = title.into();
            if let Some(img) = c.image("logo") {
                class["titleImage"] = img;
            }
        }
        GoogleType::Generic => {
            // A generic class carries no issuer name or review status.
            class = json!({});
            object["cardTitle"] = c.localized(c.s("logoText").unwrap_or(&org));
            let (header, subheader) = match c.take_primary(0) {
                Some(f) => (f.value, f.label),
                None => (c.s("description").unwrap_or(&org).to_owned(), None),
            };
            object["header"] = c.localized(&header);
            if let Some(s) = subheader {
                object["subheader"] = c.localized(&s);
            }
            if let Some(logo) = c.image("logo") {
                object["logo"] = logo;
            }
            if let Some(hero) = c.image("strip") {
                object["heroImage"] = hero;
            }
        }
    }

    // Loyalty and offer objects have no color of their own: it goes on the class.
    if let Some(col) = color {
        match google_type {
            GoogleType::Loyalty | GoogleType::Offer => class["hexBackgroundColor"] = col.into(),
            _ => object["hexBackgroundColor"] = col.into(),
        }
    }

    // Common object parts.
    if let Some(b) = barcode(pass) {
        object["barcode"] = b;
    }
    let mut modules = extra_modules;
    modules.extend(c.text_modules());
    modules.truncate(20);
    if !modules.is_empty() {
        object["textModulesData"] = Value::Array(modules);
    }
    let links = links(pass);
    if !links.is_empty() {
        object["linksModuleData"] = json!({ "uris": links });
    }
    if let Some(end) = c.s("expirationDate") {
        object["validTimeInterval"] = json!({"end": {"date": end}});
    }
    let locations: Vec<Value> = pass
        .get("locations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| Some(json!({"latitude": l.get("latitude")?.as_f64()?, "longitude": l.get("longitude")?.as_f64()?})))
        .take(10)
        .collect();
    if !locations.is_empty() {
        object["merchantLocations"] = Value::Array(locations);
    }

    // The template's override, then ids.
    if let Some(over) = &rendered.google_override {
        if let Some(cl) = over.get("class") {
            merge(&mut class, cl.clone());
        }
        if let Some(ob) = over.get("object") {
            merge(&mut object, ob.clone());
        }
    }
    let issuer = config.issuer_id.as_str();
    let class_id = match class.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => {
            // Passes whose class content differs get different classes (a
            // saved class is not updated by a later JWT), deterministically.
            let digest = crate::apple::manifest::sha1_hex(class.to_string().as_bytes());
            format!("{issuer}.{}-{}", id_suffix(template.id()), &digest[..10])
        }
    };
    let object_id = match object.get("id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => format!("{issuer}.{}", id_suffix(rendered.serial_number.as_str())),
    };
    class["id"] = class_id.clone().into();
    object["id"] = object_id.clone().into();
    object["classId"] = class_id.clone().into();

    let (class_req, object_req) = google_type.required();
    let missing: Vec<String> = class_req
        .iter()
        .filter(|k| class.get(**k).is_none())
        .map(|k| format!("class.{k} (from {})", google_type.hint(k)))
        .chain(
            object_req
                .iter()
                .filter(|k| object.get(**k).is_none())
                .map(|k| format!("object.{k} (from {})", google_type.hint(k))),
        )
        .collect();
    if !missing.is_empty() {
        return Err(GoogleError::Mapping {
            kind: google_type.name(),
            message: format!(
                "missing {}; or set them in the template's google.json",
                missing.join(", ")
            ),
        });
    }
    Ok(GooglePass {
        google_type,
        class_id,
        object_id,
        class,
        object,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::google::{test_service_account, IssuerId};
    use crate::model::{AuthToken, PassTypeId, SerialNumber, TeamId};
    use crate::template::RenderInput;

    fn config() -> GoogleConfig {
        GoogleConfig {
            issuer_id: IssuerId::parse("1234").expect("issuer"),
            service_account: test_service_account::load().expect("key"),
            origins: vec![],
            public_url: Some("https://pf.example".to_owned()),
        }
    }

    fn map(
        style: &str,
        body: &Value,
        extra: &Value,
        files: &[(&str, &[u8])],
    ) -> Result<GooglePass, GoogleError> {
        let mut pass = json!({"formatVersion": 1, "organizationName": "Org", "description": "Desc", "backgroundColor": "rgb(1, 2, 255)"});
        pass[style] = body.clone();
        crate::google::merge(&mut pass, extra.clone());
        let mut all = std::collections::BTreeMap::new();
        all.insert(
            "pass.json".to_owned(),
            serde_json::to_vec(&pass).expect("json"),
        );
        all.insert("icon.png".to_owned(), crate::test_support::png(29, 29));
        all.insert("logo.png".to_owned(), crate::test_support::png(160, 50));
        for (n, b) in files {
            all.insert((*n).to_owned(), b.to_vec());
        }
        let t = Template::from_files("t 1", all).expect("template");
        let fields = Map::new();
        let rendered = t
            .render(&RenderInput {
                fields: &fields,
                serial_number: &SerialNumber::parse("S-1").expect("serial"),
                authentication_token: &AuthToken::parse("0123456789abcdef").expect("token"),
                web_service_url: None,
                pass_type_identifier: &PassTypeId::parse("pass.x.y").expect("id"),
                team_identifier: &TeamId::parse("TEAM").expect("team"),
                overrides: None,
            })
            .expect("render");
        map_pass(&rendered, &t, &config())
    }

    #[test]
    fn event_ticket() {
        let g = map("eventTicket", &json!({"primaryFields": [{"key": "event", "label": "EVENT", "value": "Gala"}], "secondaryFields": [{"key": "seat", "label": "SEAT", "value": "B2"}, {"key": "venue", "value": "Hall"}], "backFields": [{"key": "note", "label": "NOTE", "value": "Hi"}]}), &json!({"relevantDate": "2027-01-01T20:00:00Z", "barcodes": [{"format": "PKBarcodeFormatPDF417", "message": "M", "messageEncoding": "utf-8"}]}), &[]).expect("map");
        assert_eq!(g.google_type, GoogleType::EventTicket);
        assert_eq!(g.class["eventName"]["defaultValue"]["value"], "Gala");
        assert_eq!(g.class["venue"]["name"]["defaultValue"]["value"], "Hall");
        assert_eq!(
            g.class["logo"]["sourceUri"]["uri"],
            "https://pf.example/templates/t%201/logo.png"
        );
        assert_eq!(g.object["seatInfo"]["seat"]["defaultValue"]["value"], "B2");
        assert_eq!(
            g.object["barcode"],
            json!({"type": "PDF_417", "value": "M"})
        );
        assert_eq!(g.object["hexBackgroundColor"], "#0102ff");
        assert_eq!(
            g.object["textModulesData"],
            json!([{"id": "note", "header": "NOTE", "body": "Hi"}])
        );
        assert_eq!(g.object_id, "1234.S-1");
        assert!(g.class_id.starts_with("1234.t_1-"), "{}", g.class_id);
    }

    #[test]
    fn flight_and_transit() {
        let body = json!({"transitType": "PKTransitTypeAir", "primaryFields": [{"key": "from", "label": "Paris", "value": "CDG"}, {"key": "to", "label": "Rome", "value": "FCO"}], "auxiliaryFields": [{"key": "flight", "value": "AF1234"}, {"key": "seat", "value": "3C"}, {"key": "passenger", "value": "Ada"}, {"key": "gate", "value": "K4"}]});
        let g = map(
            "boardingPass",
            &body,
            &json!({"relevantDate": "2027-03-01T08:05:00+01:00"}),
            &[],
        )
        .expect("map");
        assert_eq!(g.google_type, GoogleType::Flight);
        assert_eq!(
            g.class["flightHeader"],
            json!({"carrier": {"carrierIataCode": "AF"}, "flightNumber": "1234"})
        );
        assert_eq!(
            g.class["origin"],
            json!({"airportIataCode": "CDG", "gate": "K4"})
        );
        assert_eq!(g.class["destination"]["airportIataCode"], "FCO");
        assert_eq!(
            g.class["localScheduledDepartureDateTime"],
            "2027-03-01T08:05:00"
        );
        assert_eq!(g.object["passengerName"], "Ada");
        assert_eq!(g.object["boardingAndSeatingInfo"]["seatNumber"], "3C");
        assert_eq!(g.object["reservationInfo"]["confirmationCode"], "S-1");

        let mut train = body;
        train["transitType"] = json!("PKTransitTypeTrain");
        let g = map("boardingPass", &train, &json!({}), &[]).expect("map");
        assert_eq!(g.google_type, GoogleType::Transit);
        assert_eq!(g.class["transitType"], "RAIL");
        assert_eq!(g.object["tripType"], "ONE_WAY");
        assert_eq!(
            g.object["ticketLeg"]["originName"]["defaultValue"]["value"],
            "Paris"
        );
        assert_eq!(g.object["ticketLeg"]["originStationCode"], "CDG");
        assert_eq!(g.object["passengerNames"], "Ada");
    }

    #[test]
    fn loyalty_offer_generic() {
        let g = map("storeCard", &json!({"primaryFields": [{"key": "points", "label": "POINTS", "value": 42}], "secondaryFields": [{"key": "member", "value": "Ada"}, {"key": "memberId", "value": "0001"}]}), &json!({"logoText": "Club"}), &[]).expect("map");
        assert_eq!(g.google_type, GoogleType::Loyalty);
        assert_eq!(g.class["programName"], "Club");
        assert_eq!(g.class["hexBackgroundColor"], "#0102ff");
        assert_eq!(
            g.object["loyaltyPoints"],
            json!({"balance": {"int": 42}, "label": "POINTS"})
        );
        assert_eq!(g.object["accountName"], "Ada");
        assert_eq!(g.object["accountId"], "0001");

        let g = map(
            "coupon",
            &json!({"primaryFields": [{"key": "offer", "label": "20% OFF", "value": "Shoes"}]}),
            &json!({"expirationDate": "2027-02-01T00:00:00Z"}),
            &[],
        )
        .expect("map");
        assert_eq!(g.google_type, GoogleType::Offer);
        assert_eq!(g.class["title"], "20% OFF Shoes");
        assert_eq!(g.class["redemptionChannel"], "BOTH");
        assert_eq!(
            g.object["validTimeInterval"],
            json!({"end": {"date": "2027-02-01T00:00:00Z"}})
        );

        let g = map(
            "generic",
            &json!({"primaryFields": [{"key": "n", "label": "NAME", "value": "Ada"}]}),
            &json!({}),
            &[],
        )
        .expect("map");
        assert_eq!(g.google_type, GoogleType::Generic);
        assert_eq!(g.class, json!({"id": g.class_id}));
        assert_eq!(g.object["header"]["defaultValue"]["value"], "Ada");
        assert_eq!(g.object["subheader"]["defaultValue"]["value"], "NAME");
        assert_eq!(g.object["cardTitle"]["defaultValue"]["value"], "Org");
    }

    #[test]
    fn translated_values_from_lproj() {
        let g = map(
            "generic",
            &json!({"primaryFields": [{"key": "n", "label": "NAME", "value": "Ada"}], "backFields": [{"key": "h", "label": "HOURS", "value": "9-5"}]}),
            &json!({}),
            &[("en.lproj/pass.strings", b"\"HOURS\" = \"Opening hours\";"), ("de.lproj/pass.strings", b"\"HOURS\" = \"\xC3\x96ffnungszeiten\";"), ("pt_BR.lproj/pass.strings", b"\"HOURS\" = \"Hor\xC3\xA1rio\";")],
        )
        .expect("map");
        let m = &g.object["textModulesData"][0];
        assert_eq!(
            m["localizedHeader"]["defaultValue"],
            json!({"language": "en", "value": "Opening hours"})
        );
        assert_eq!(
            m["localizedHeader"]["translatedValues"],
            json!([{"language": "de", "value": "Öffnungszeiten"}, {"language": "pt-BR", "value": "Horário"}])
        );
    }

    #[test]
    fn override_wins_and_missing_fields_are_named() {
        let body = json!({"transitType": "PKTransitTypeAir", "primaryFields": [{"key": "from", "value": "Paris"}]});
        let err = map("boardingPass", &body, &json!({}), &[]).expect_err("cannot map");
        let msg = err.to_string();
        assert!(
            msg.contains("class.flightHeader")
                && msg.contains("class.origin")
                && msg.contains("object.passengerName"),
            "{msg}"
        );
        let fixed = map(
            "generic",
            &json!({"primaryFields": [{"key": "n", "value": "Ada"}]}),
            &json!({}),
            &[("google.json", br#"{"object": {"header": {"defaultValue": {"language": "en", "value": "Override"}}}, "class": {"id": "1234.custom"}}"#)],
        )
        .expect("map");
        assert_eq!(fixed.object["header"]["defaultValue"]["value"], "Override");
        assert_eq!(fixed.class_id, "1234.custom");
        assert_eq!(fixed.object["classId"], "1234.custom");
    }
}
