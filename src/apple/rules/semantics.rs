//! The pass.json keys Apple added from iOS 18 on, checked with their real
//! types: semantic tags, `relevantDates`, `preferredStyleSchemes` and the
//! layouts they ask for (poster event ticket, semantic boarding pass),
//! `upcomingPassInformation` and `featuredActions`.
//!
//! Sources: Apple's SemanticTags and SemanticTagType reference, "Creating an
//! event pass using semantic tags", "Creating an airline boarding pass using
//! semantic tags", Pass.UpcomingPassInformationEntry, and the pass model of
//! Apple's Pass Builder (which also spells the airport time zones
//! `departureAirportTimeZone`; both spellings are known, the documented
//! `…LocationTimeZone` is the one the boarding layout requires).

use serde_json::{Map, Value};

use super::{is_dynamic, Checker, Mode};
use crate::model::diag::pointer_segment;

/// The type of a semantic value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A (localizable) string.
    Str,
    /// A number.
    Num,
    /// A boolean.
    Bool,
    /// A W3C date-time with a time zone.
    Date,
    /// A colour, `rgb(r, g, b)`.
    Color,
    /// An array of strings.
    Strings,
    /// An object of one of the SemanticTagType shapes.
    Object(Shape),
    /// An array of objects of one shape.
    Objects(Shape),
}

/// The SemanticTagType object shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Location,
    Currency,
    Person,
    EventDateInfo,
    Seat,
    Wifi,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Self::Location => "SemanticTagType.Location",
            Self::Currency => "SemanticTagType.CurrencyAmount",
            Self::Person => "SemanticTagType.PersonNameComponents",
            Self::EventDateInfo => "SemanticTagType.EventDateInfo",
            Self::Seat => "SemanticTagType.Seat",
            Self::Wifi => "SemanticTagType.WifiNetwork",
        }
    }

    fn keys(self) -> &'static [(&'static str, Kind)] {
        use Kind::{Bool, Color, Date, Num, Str};
        match self {
            Self::Location => &[("latitude", Num), ("longitude", Num), ("altitude", Num)],
            Self::Currency => &[("amount", Str), ("currencyCode", Str)],
            Self::Person => &[
                ("familyName", Str),
                ("givenName", Str),
                ("middleName", Str),
                ("namePrefix", Str),
                ("nameSuffix", Str),
                ("nickname", Str),
                ("phoneticRepresentation", Str),
            ],
            Self::EventDateInfo => &[
                ("date", Date),
                ("ignoreTimeComponents", Bool),
                ("timeZone", Str),
                ("unannounced", Bool),
                ("undetermined", Bool),
            ],
            Self::Seat => &[
                ("seatAisle", Str),
                ("seatDescription", Str),
                ("seatIdentifier", Str),
                ("seatLevel", Str),
                ("seatNumber", Str),
                ("seatRow", Str),
                ("seatSection", Str),
                ("seatSectionColor", Color),
                ("seatType", Str),
            ],
            Self::Wifi => &[
                ("password", Str),
                ("ssid", Str),
                ("captiveToken", Str),
                ("captiveTokenAuthURL", Str),
            ],
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            Self::Location => &["latitude", "longitude"],
            Self::Wifi => &["password", "ssid"],
            _ => &[],
        }
    }
}

const STRING_TAGS: &[&str] = &[
    "additionalTicketAttributes",
    "admissionLevel",
    "admissionLevelAbbreviation",
    "airlineCode",
    "airlineLoungePlaceID",
    "attendeeName",
    "awayTeamAbbreviation",
    "awayTeamLocation",
    "awayTeamName",
    "boardingGroup",
    "boardingSequenceNumber",
    "boardingZone",
    "carNumber",
    "confirmationNumber",
    "departureAirportCode",
    "departureAirportName",
    "departureAirportTimeZone",
    "departureCityName",
    "departureGate",
    "departureLocationDescription",
    "departureLocationTimeZone",
    "departurePlatform",
    "departureStationName",
    "departureTerminal",
    "destinationAirportCode",
    "destinationAirportName",
    "destinationAirportTimeZone",
    "destinationCityName",
    "destinationGate",
    "destinationLocationDescription",
    "destinationLocationTimeZone",
    "destinationPlatform",
    "destinationStationName",
    "destinationTerminal",
    "entranceDescription",
    "eventLiveMessage",
    "eventName",
    "eventType",
    "flightCode",
    "genre",
    "homeTeamAbbreviation",
    "homeTeamLocation",
    "homeTeamName",
    "internationalDocumentsVerifiedDeclarationName",
    "leagueAbbreviation",
    "leagueName",
    "membershipProgramName",
    "membershipProgramNumber",
    "membershipProgramStatus",
    "priorityStatus",
    "securityScreening",
    "sportName",
    "ticketFareClass",
    "transitProvider",
    "transitStatus",
    "transitStatusReason",
    "vehicleName",
    "vehicleNumber",
    "vehicleType",
    "venueEntrance",
    "venueEntranceDoor",
    "venueEntranceGate",
    "venueEntrancePortal",
    "venueName",
    "venuePhoneNumber",
    "venueRegionName",
    "venueRoom",
];
const DATE_TAGS: &[&str] = &[
    "currentArrivalDate",
    "currentBoardingDate",
    "currentDepartureDate",
    "eventEndDate",
    "eventStartDate",
    "originalArrivalDate",
    "originalBoardingDate",
    "originalDepartureDate",
    "venueBoxOfficeOpenDate",
    "venueCloseDate",
    "venueDoorsOpenDate",
    "venueFanZoneOpenDate",
    "venueGatesOpenDate",
    "venueOpenDate",
    "venueParkingLotsOpenDate",
];
const NUMBER_TAGS: &[&str] = &["duration", "flightNumber"];
const BOOL_TAGS: &[&str] = &[
    "internationalDocumentsAreVerified",
    "silenceRequested",
    "tailgatingAllowed",
];
const STRINGS_TAGS: &[&str] = &[
    "albumIDs",
    "artistIDs",
    "departureAirportSecurityPrograms",
    "departureLocationSecurityPrograms",
    "destinationAirportSecurityPrograms",
    "destinationLocationSecurityPrograms",
    "loungePlaceIDs",
    "passengerAirlineSSRs",
    "passengerCapabilities",
    "passengerEligibleSecurityPrograms",
    "passengerInformationSSRs",
    "passengerServiceSSRs",
    "performerNames",
    "playlistIDs",
];

/// The type of the semantic tag `name`, if Apple documents it.
pub(crate) fn tag_kind(name: &str) -> Option<Kind> {
    Some(match name {
        n if STRING_TAGS.contains(&n) => Kind::Str,
        n if DATE_TAGS.contains(&n) => Kind::Date,
        n if NUMBER_TAGS.contains(&n) => Kind::Num,
        n if BOOL_TAGS.contains(&n) => Kind::Bool,
        n if STRINGS_TAGS.contains(&n) => Kind::Strings,
        "departureLocation" | "destinationLocation" | "venueLocation" => {
            Kind::Object(Shape::Location)
        }
        "balance" | "totalPrice" => Kind::Object(Shape::Currency),
        "passengerName" => Kind::Object(Shape::Person),
        "eventStartDateInfo" => Kind::Object(Shape::EventDateInfo),
        "seats" => Kind::Objects(Shape::Seat),
        "wifiAccess" => Kind::Objects(Shape::Wifi),
        _ => return None,
    })
}

const SECURITY_PROGRAMS: &[&str] = &[
    "PKTransitSecurityProgramTSAPreCheck",
    "PKTransitSecurityProgramTSAPreCheckTouchlessID",
    "PKTransitSecurityProgramOSS",
    "PKTransitSecurityProgramITI",
    "PKTransitSecurityProgramITD",
    "PKTransitSecurityProgramGlobalEntry",
    "PKTransitSecurityProgramCLEAR",
];

/// The values Apple lists for an enumerated tag.
fn tag_enum(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "eventType" => &[
            "PKEventTypeGeneric",
            "PKEventTypeLivePerformance",
            "PKEventTypeMovie",
            "PKEventTypeSports",
            "PKEventTypeConference",
            "PKEventTypeConvention",
            "PKEventTypeWorkshop",
            "PKEventTypeSocialGathering",
        ],
        "passengerCapabilities" => &[
            "PKPassengerCapabilityPreboarding",
            "PKPassengerCapabilityPriorityBoarding",
            "PKPassengerCapabilityCarryon",
            "PKPassengerCapabilityPersonalItem",
            "PKPassengerCapabilityLapInfant",
        ],
        "departureLocationSecurityPrograms"
        | "destinationLocationSecurityPrograms"
        | "departureAirportSecurityPrograms"
        | "destinationAirportSecurityPrograms"
        | "passengerEligibleSecurityPrograms" => SECURITY_PROGRAMS,
        _ => return None,
    })
}

/// The style schemes of `preferredStyleSchemes` and the style each needs.
pub(crate) const STYLE_SCHEMES: [(&str, &str); 4] = [
    ("posterEventTicket", "eventTicket"),
    ("eventTicket", "eventTicket"),
    ("semanticBoardingPass", "boardingPass"),
    ("boardingPass", "boardingPass"),
];

/// The semantic tags every poster event ticket needs ("Creating an event
/// pass using semantic tags"); Wallet shows the older layout without them.
pub(crate) const POSTER_EVENT_REQUIRED: [&str; 4] =
    ["eventName", "venueName", "venueRegionName", "venueRoom"];

/// What a poster event ticket of one `eventType` needs besides.
pub(crate) fn poster_event_required_by_type(event_type: &str) -> &'static [&'static str] {
    match event_type {
        "PKEventTypeSports" => &["homeTeamAbbreviation", "awayTeamAbbreviation"],
        "PKEventTypeLivePerformance" => &["performerNames"],
        _ => &[],
    }
}

/// Whether a rendered event ticket asks for the poster layout and has the
/// semantics Wallet needs to draw it.
#[cfg(feature = "preview")]
pub(crate) fn poster_event_ready(pass: &Value) -> bool {
    let asks = pass
        .get("preferredStyleSchemes")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s == "posterEventTicket"));
    let sem = pass.get("semantics");
    let has = |k: &&str| !is_missing(sem.and_then(|s| s.get(*k)));
    let event_type = sem
        .and_then(|s| s.get("eventType"))
        .and_then(Value::as_str)
        .unwrap_or("");
    asks && POSTER_EVENT_REQUIRED.iter().all(has)
        && poster_event_required_by_type(event_type).iter().all(has)
}

/// The semantic tags a semantic boarding pass needs ("Creating an airline
/// boarding pass using semantic tags").
pub(crate) const SEMANTIC_BOARDING_REQUIRED: [&str; 12] = [
    "airlineCode",
    "flightNumber",
    "departureAirportCode",
    "departureCityName",
    "departureLocationTimeZone",
    "destinationAirportCode",
    "destinationCityName",
    "destinationLocationTimeZone",
    "originalArrivalDate",
    "originalBoardingDate",
    "originalDepartureDate",
    "passengerName",
];

/// Featured action types (iOS 27).
const FEATURED_ACTION_TYPES: [&str; 14] = [
    "viewSchedule",
    "watchTrailer",
    "listenToMusic",
    "call",
    "place",
    "addToBalance",
    "order",
    "shop",
    "membershipBenefits",
    "bookAppointment",
    "bookCar",
    "bookFlight",
    "bookStay",
    "viewOffersRewards",
];

/// The event guide keys: top-level strings of a pass, and what an upcoming
/// entry's `URLs` may hold.
pub(crate) const EVENT_GUIDE_KEYS: [&str; 14] = [
    "accessibilityURL",
    "addOnURL",
    "bagPolicyURL",
    "contactVenueEmail",
    "contactVenuePhoneNumber",
    "contactVenueWebsite",
    "directionsInformationURL",
    "merchandiseURL",
    "orderFoodURL",
    "parkingInformationURL",
    "purchaseParkingURL",
    "sellURL",
    "transferURL",
    "transitInformationURL",
];

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_missing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

impl Checker {
    /// A value of a template that a placeholder will give later.
    fn deferred(&self, v: &Value) -> bool {
        self.mode == Mode::Template && v.as_str().is_some_and(is_dynamic)
    }

    /// Checks `v` against `kind`; `name` is how the message names it.
    pub(super) fn typed(&mut self, at: &str, v: &Value, kind: Kind, name: &str) {
        if self.deferred(v) {
            return;
        }
        match kind {
            Kind::Str if !v.is_string() => self.err(
                at,
                "pass.bad_type",
                format!("{name} must be a string, not {}", describe(v)),
            ),
            Kind::Num if !v.is_number() => self.err(
                at,
                "pass.bad_type",
                format!("{name} must be a number, not {}", describe(v)),
            ),
            Kind::Bool if !v.is_boolean() => self.err(
                at,
                "pass.bad_type",
                format!("{name} must be true or false, not {}", describe(v)),
            ),
            Kind::Date => self.date(at, v),
            Kind::Color => self.color(at, v),
            Kind::Strings => match v.as_array() {
                None => self.err(
                    at,
                    "pass.bad_type",
                    format!("{name} must be an array of strings, not {}", describe(v)),
                ),
                Some(items) => {
                    for (i, x) in items.iter().enumerate() {
                        if !x.is_string() && !self.deferred(x) {
                            self.err(
                                &format!("{at}/{i}"),
                                "pass.bad_type",
                                format!("{name} holds strings, not {}", describe(x)),
                            );
                        }
                    }
                }
            },
            Kind::Object(shape) => self.shape(at, v, shape, name),
            Kind::Objects(shape) => match v.as_array() {
                None => self.err(
                    at,
                    "pass.bad_type",
                    format!(
                        "{name} must be an array of {} objects, not {}",
                        shape.name(),
                        describe(v)
                    ),
                ),
                Some(items) => {
                    for (i, x) in items.iter().enumerate() {
                        self.shape(&format!("{at}/{i}"), x, shape, name);
                    }
                }
            },
            _ => {}
        }
    }

    fn shape(&mut self, at: &str, v: &Value, shape: Shape, name: &str) {
        if self.deferred(v) {
            return;
        }
        let Some(o) = v.as_object() else {
            self.err(
                at,
                "pass.bad_type",
                format!(
                    "{name} must be a {} object, not {}",
                    shape.name(),
                    describe(v)
                ),
            );
            return;
        };
        for req in shape.required() {
            if !o.contains_key(*req) {
                self.err(
                    &format!("{at}/{req}"),
                    "pass.semantics",
                    format!("a {} needs `{req}`", shape.name()),
                );
            }
        }
        for (k, x) in o {
            let here = format!("{at}/{}", pointer_segment(k));
            match shape.keys().iter().find(|(n, _)| n == k) {
                Some((_, kind)) => self.typed(&here, x, *kind, &format!("`{k}`")),
                None => self.unknown_key(&here, k, shape.keys().iter().map(|(n, _)| *n)),
            }
        }
        if shape == Shape::Location {
            for (k, lim) in [("latitude", 90.0), ("longitude", 180.0)] {
                if let Some(x) = o.get(k).and_then(Value::as_f64) {
                    if x.abs() > lim {
                        self.err(
                            &format!("{at}/{k}"),
                            "pass.semantics",
                            format!("`{k}` {x} is out of range (-{lim} to {lim})"),
                        );
                    }
                }
            }
        }
        if shape == Shape::Currency {
            if let Some(code) = o.get("currencyCode").and_then(|c| self.concrete(c)) {
                if !(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())) {
                    self.err(
                        &format!("{at}/currencyCode"),
                        "pass.currency_code",
                        format!("{code:?} is not an ISO 4217 currency code such as EUR"),
                    );
                }
            }
        }
    }

    /// `semantics` (top level, in a field, or in an upcoming entry).
    pub(super) fn semantics(&mut self, at: &str, v: &Value) {
        if self.deferred(v) {
            return;
        }
        let Some(sem) = v.as_object() else {
            self.err(
                at,
                "pass.bad_type",
                format!("`semantics` must be an object, not {}", describe(v)),
            );
            return;
        };
        for (k, x) in sem {
            let here = format!("{at}/{}", pointer_segment(k));
            let Some(kind) = tag_kind(k) else {
                let known = STRING_TAGS
                    .iter()
                    .chain(DATE_TAGS)
                    .chain(NUMBER_TAGS)
                    .chain(BOOL_TAGS)
                    .chain(STRINGS_TAGS)
                    .copied();
                self.unknown_key(&here, k, known);
                continue;
            };
            self.typed(&here, x, kind, &format!("semantics `{k}`"));
            if let Some(allowed) = tag_enum(k) {
                let values: Vec<(String, &Value)> = match x {
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, x)| (format!("{here}/{i}"), x))
                        .collect(),
                    other => vec![(here.clone(), other)],
                };
                for (p, x) in values {
                    if let Some(s) = self.concrete(x) {
                        if !allowed.contains(&s) {
                            self.err(
                                &p,
                                "pass.bad_enum",
                                format!(
                                    "{s:?} is not a {k} value; use one of {}",
                                    allowed.join(", ")
                                ),
                            );
                        }
                    }
                }
            }
        }
        let start = sem.get("eventStartDate").and_then(|d| self.concrete(d));
        let end = sem.get("eventEndDate").and_then(|d| self.concrete(d));
        if let (Some(s), Some(e)) = (
            start.and_then(crate::template::schema::parse_datetime),
            end.and_then(crate::template::schema::parse_datetime),
        ) {
            if e < s {
                self.err(
                    &format!("{at}/eventEndDate"),
                    "pass.semantics",
                    "`eventEndDate` is before `eventStartDate`",
                );
            }
        }
    }

    /// `relevantDates`: intervals (or single dates) when the pass is relevant.
    pub(super) fn relevant_dates(&mut self, v: &Value) {
        let Some(items) = v.as_array() else {
            if !self.deferred(v) {
                self.err(
                    "/relevantDates",
                    "pass.bad_type",
                    "`relevantDates` must be an array of {\"startDate\", \"endDate\"} or {\"date\"} objects",
                );
            }
            return;
        };
        for (i, e) in items.iter().enumerate() {
            let at = format!("/relevantDates/{i}");
            let Some(o) = e.as_object() else {
                self.err(&at, "pass.bad_type", "an entry of `relevantDates` must be an object with `startDate` and `endDate`, or `date`");
                continue;
            };
            if !(o.contains_key("date") || o.contains_key("startDate")) {
                self.err(
                    &at,
                    "pass.relevant_dates",
                    "an entry needs `startDate` and `endDate`, or `date`",
                );
            }
            if o.contains_key("startDate") != o.contains_key("endDate") {
                let missing = if o.contains_key("startDate") {
                    "endDate"
                } else {
                    "startDate"
                };
                self.err(
                    &format!("{at}/{missing}"),
                    "pass.relevant_dates",
                    "`startDate` and `endDate` go together",
                );
            }
            for (k, x) in o {
                let here = format!("{at}/{}", pointer_segment(k));
                if matches!(k.as_str(), "date" | "startDate" | "endDate") {
                    self.date(&here, x);
                } else {
                    self.unknown_key(&here, k, ["date", "startDate", "endDate"].into_iter());
                }
            }
            let parse = |k: &str| {
                o.get(k)
                    .and_then(|d| self.concrete(d))
                    .and_then(crate::template::schema::parse_datetime)
            };
            if let (Some(s), Some(e)) = (parse("startDate"), parse("endDate")) {
                if e < s {
                    self.err(
                        &format!("{at}/endDate"),
                        "pass.relevant_dates",
                        "`endDate` is before `startDate`",
                    );
                }
            }
        }
    }

    /// `preferredStyleSchemes` and what the layouts it asks for need.
    pub(super) fn style_schemes(&mut self, root: &Map<String, Value>, style: Option<&str>) {
        let Some(v) = root.get("preferredStyleSchemes") else {
            return;
        };
        let Some(items) = v.as_array() else {
            self.err(
                "/preferredStyleSchemes",
                "pass.bad_type",
                "`preferredStyleSchemes` must be an array of strings such as [\"posterEventTicket\", \"eventTicket\"]",
            );
            return;
        };
        let mut schemes = Vec::new();
        for (i, x) in items.iter().enumerate() {
            let at = format!("/preferredStyleSchemes/{i}");
            let Some(s) = x.as_str() else {
                self.err(&at, "pass.bad_type", "a style scheme is a string");
                continue;
            };
            if self.mode == Mode::Template && is_dynamic(s) {
                continue;
            }
            match STYLE_SCHEMES.iter().find(|(n, _)| *n == s) {
                None => self.err(
                    &at,
                    "pass.style_scheme",
                    format!(
                        "{s:?} is not a style scheme; use one of {}",
                        STYLE_SCHEMES.map(|(n, _)| n).join(", ")
                    ),
                ),
                Some((_, needs)) if style.is_some_and(|st| st != *needs) => self.err(
                    &at,
                    "pass.style_scheme",
                    format!(
                        "the {s:?} scheme needs a {needs} pass; this pass is {}",
                        style.unwrap_or("")
                    ),
                ),
                Some(_) => schemes.push(s),
            }
        }
        let sem = root.get("semantics").and_then(Value::as_object);
        let sem_deferred = root.get("semantics").is_some_and(|s| self.deferred(s));
        let require = |c: &mut Self, key: &str, layout: &str, scheme: &str| {
            if sem_deferred {
                return;
            }
            let v = sem.and_then(|s| s.get(key));
            if is_missing(v) {
                c.err(
                    &format!("/semantics/{key}"),
                    "pass.poster_requirements",
                    format!("a {layout} needs semantics `{key}`; without it Wallet shows the older layout. Give it a value (or a placeholder), or take {scheme:?} out of preferredStyleSchemes"),
                );
            }
        };
        if schemes.contains(&"posterEventTicket") {
            for key in POSTER_EVENT_REQUIRED {
                require(self, key, "poster event ticket", "posterEventTicket");
            }
            let event_type = sem
                .and_then(|s| s.get("eventType"))
                .and_then(|t| self.concrete(t));
            if let Some(t) = event_type {
                for key in poster_event_required_by_type(t) {
                    require(
                        self,
                        key,
                        &format!("poster event ticket of type {t}"),
                        "posterEventTicket",
                    );
                }
            }
            if !schemes.contains(&"eventTicket") {
                self.warn(
                    "/preferredStyleSchemes",
                    "pass.style_scheme",
                    "add \"eventTicket\" after \"posterEventTicket\" so iOS 17 and earlier know the layout to fall back to",
                );
            }
        }
        if schemes.contains(&"semanticBoardingPass") {
            let transit = root
                .get("boardingPass")
                .and_then(|b| b.get("transitType"))
                .and_then(|t| self.concrete(t));
            if transit.is_some_and(|t| t != "PKTransitTypeAir") {
                self.err(
                    "/boardingPass/transitType",
                    "pass.poster_requirements",
                    "a semantic boarding pass is for flights: transitType must be PKTransitTypeAir",
                );
            }
            for key in SEMANTIC_BOARDING_REQUIRED {
                require(self, key, "semantic boarding pass", "semanticBoardingPass");
            }
            if !schemes.contains(&"boardingPass") {
                self.warn(
                    "/preferredStyleSchemes",
                    "pass.style_scheme",
                    "add \"boardingPass\" after \"semanticBoardingPass\" as the fallback scheme",
                );
            }
        }
    }

    /// Each of `keys` is a string in `o` (non-empty when `non_empty`); a
    /// missing one is `missing_code`, named after `what`.
    fn required_strings(
        &mut self,
        o: &Map<String, Value>,
        at: &str,
        keys: &[&str],
        (missing_code, what): (&'static str, &str),
        non_empty: bool,
    ) {
        for k in keys {
            match o.get(*k) {
                Some(Value::String(s)) if !(non_empty && s.is_empty()) => {}
                Some(_) => self.err(
                    &format!("{at}/{k}"),
                    "pass.bad_type",
                    if non_empty {
                        format!("`{k}` must be a non-empty string")
                    } else {
                        format!("`{k}` must be a string")
                    },
                ),
                None => self.err(
                    &format!("{at}/{k}"),
                    missing_code,
                    format!("{what} needs `{k}`"),
                ),
            }
        }
    }

    /// `o`'s `identifier` is not one of `seen` (which it joins).
    fn unique_identifier(
        &mut self,
        o: &Map<String, Value>,
        at: &str,
        seen: &mut Vec<(String, String)>,
        code: &'static str,
    ) {
        let Some(id) = o.get("identifier").and_then(|x| self.concrete(x)) else {
            return;
        };
        if let Some((_, first)) = seen.iter().find(|(s, _)| s == id) {
            self.err(
                &format!("{at}/identifier"),
                code,
                format!("identifier {id:?} is already used at {first}"),
            );
        } else {
            seen.push((id.to_owned(), at.to_owned()));
        }
    }

    /// `featuredActions` (iOS 27): at most two `{identifier, type, url}`.
    pub(super) fn featured_actions(&mut self, v: &Value) {
        let Some(items) = v.as_array() else {
            self.err(
                "/featuredActions",
                "pass.bad_type",
                "`featuredActions` must be an array of {identifier, type, url} objects",
            );
            return;
        };
        if items.len() > 2 {
            self.err(
                "/featuredActions",
                "pass.too_many_featured_actions",
                format!(
                    "at most 2 featured actions are allowed; found {}",
                    items.len()
                ),
            );
        }
        let mut seen: Vec<(String, String)> = Vec::new();
        for (i, a) in items.iter().enumerate() {
            let at = format!("/featuredActions/{i}");
            let Some(o) = a.as_object() else {
                self.err(
                    &at,
                    "pass.bad_type",
                    "a featured action is an object with `identifier`, `type` and `url`",
                );
                continue;
            };
            self.required_strings(
                o,
                &at,
                &["identifier", "type"],
                ("pass.featured_action", "a featured action"),
                true,
            );
            self.unique_identifier(o, &at, &mut seen, "pass.featured_action");
            if let Some(t) = o.get("type").and_then(|x| self.concrete(x)) {
                if !t.is_empty() && !FEATURED_ACTION_TYPES.contains(&t) {
                    self.err(
                        &format!("{at}/type"),
                        "pass.bad_enum",
                        format!(
                            "{t:?} is not a featured action type; use one of {}",
                            FEATURED_ACTION_TYPES.join(", ")
                        ),
                    );
                }
            }
            if let Some(u) = o.get("url") {
                self.url(&format!("{at}/url"), u);
            }
            for k in o.keys() {
                if !matches!(k.as_str(), "identifier" | "type" | "url") {
                    let here = format!("{at}/{}", pointer_segment(k));
                    self.unknown_key(&here, k, ["identifier", "type", "url"].into_iter());
                }
            }
        }
    }

    /// A URL-valued key: a string with a scheme.
    pub(super) fn url(&mut self, at: &str, v: &Value) {
        match v {
            Value::String(_) => {
                if let Some(s) = self.concrete(v) {
                    if !s.contains(':') || s.starts_with(':') {
                        self.err(
                            at,
                            "pass.bad_url",
                            format!(
                                "{s:?} is not a URL with a scheme (https://…, tel:…, mailto:…)"
                            ),
                        );
                    }
                }
            }
            _ => self.err(at, "pass.bad_type", "a URL must be a string"),
        }
    }

    /// `upcomingPassInformation` (iOS 26): the events a season pass or
    /// multi-event ticket holds.
    pub(super) fn upcoming(&mut self, v: &Value) {
        let Some(items) = v.as_array() else {
            self.err(
                "/upcomingPassInformation",
                "pass.bad_type",
                "`upcomingPassInformation` must be an array of entries",
            );
            return;
        };
        let mut seen: Vec<(String, String)> = Vec::new();
        for (i, e) in items.iter().enumerate() {
            let at = format!("/upcomingPassInformation/{i}");
            let Some(o) = e.as_object() else {
                self.err(&at, "pass.bad_type", "an upcoming pass information entry is an object with `identifier`, `name` and `type`");
                continue;
            };
            self.required_strings(
                o,
                &at,
                &["identifier", "name", "type"],
                ("pass.upcoming_entry", "an upcoming entry"),
                false,
            );
            self.unique_identifier(o, &at, &mut seen, "pass.upcoming_entry");
            if let Some(t) = o.get("type").and_then(|x| self.concrete(x)) {
                if t != "event" {
                    self.err(
                        &format!("{at}/type"),
                        "pass.bad_enum",
                        format!("{t:?} is not an entry type; Apple documents \"event\""),
                    );
                }
            }
            for (k, x) in o {
                let here = format!("{at}/{}", pointer_segment(k));
                match k.as_str() {
                    "identifier" | "name" | "type" => {}
                    "isActive" => self.typed(&here, x, Kind::Bool, "`isActive`"),
                    "semantics" => self.semantics(&here, x),
                    "dateInformation" => self.date_information(&here, x),
                    "URLs" => self.upcoming_urls(&here, x),
                    "images" => self.upcoming_images(&here, x),
                    "auxiliaryStoreIdentifiers" => {
                        if !x
                            .as_array()
                            .is_some_and(|a| a.iter().all(|n| n.is_u64() || n.is_i64()))
                        {
                            self.err(
                                &here,
                                "pass.bad_type",
                                "`auxiliaryStoreIdentifiers` must be an array of App Store ids (integers)",
                            );
                        }
                    }
                    "backFields" | "additionalInfoFields" => {
                        if !x.is_array() {
                            self.err(
                                &here,
                                "pass.bad_type",
                                format!("`{k}` must be an array of field dictionaries"),
                            );
                        }
                    }
                    _ => self.unknown_key(
                        &here,
                        k,
                        [
                            "identifier",
                            "name",
                            "type",
                            "isActive",
                            "semantics",
                            "dateInformation",
                            "URLs",
                            "images",
                            "auxiliaryStoreIdentifiers",
                            "backFields",
                            "additionalInfoFields",
                        ]
                        .into_iter(),
                    ),
                }
            }
        }
    }

    fn date_information(&mut self, at: &str, v: &Value) {
        const KEYS: [(&str, Kind); 6] = [
            ("date", Kind::Date),
            ("ignoreTimeComponents", Kind::Bool),
            ("isAllDay", Kind::Bool),
            ("isUnannounced", Kind::Bool),
            ("isUndetermined", Kind::Bool),
            ("timeZone", Kind::Str),
        ];
        let Some(o) = v.as_object() else {
            self.err(at, "pass.bad_type", "`dateInformation` must be an object");
            return;
        };
        for (k, x) in o {
            let here = format!("{at}/{}", pointer_segment(k));
            match KEYS.iter().find(|(n, _)| n == k) {
                Some((_, kind)) => self.typed(&here, x, *kind, &format!("`{k}`")),
                None => self.unknown_key(&here, k, KEYS.iter().map(|(n, _)| *n)),
            }
        }
    }

    fn upcoming_urls(&mut self, at: &str, v: &Value) {
        let Some(o) = v.as_object() else {
            self.err(
                at,
                "pass.bad_type",
                "`URLs` must be an object of URL keys such as bagPolicyURL",
            );
            return;
        };
        for (k, x) in o {
            let here = format!("{at}/{}", pointer_segment(k));
            if EVENT_GUIDE_KEYS.contains(&k.as_str()) {
                self.typed(&here, x, Kind::Str, &format!("`{k}`"));
            } else {
                self.unknown_key(&here, k, EVENT_GUIDE_KEYS.into_iter());
            }
        }
    }

    fn upcoming_images(&mut self, at: &str, v: &Value) {
        let Some(o) = v.as_object() else {
            self.err(
                at,
                "pass.bad_type",
                "`images` must be an object with headerImage and venueMap",
            );
            return;
        };
        for (k, img) in o {
            let here = format!("{at}/{}", pointer_segment(k));
            if !matches!(k.as_str(), "headerImage" | "venueMap") {
                self.unknown_key(&here, k, ["headerImage", "venueMap"].into_iter());
                continue;
            }
            let Some(img) = img.as_object() else {
                self.err(
                    &here,
                    "pass.bad_type",
                    "an image is an object with `URLs` (and `reuseExisting`)",
                );
                continue;
            };
            if let Some(r) = img.get("reuseExisting") {
                self.typed(
                    &format!("{here}/reuseExisting"),
                    r,
                    Kind::Bool,
                    "`reuseExisting`",
                );
            }
            let Some(urls) = img.get("URLs") else {
                continue;
            };
            let Some(urls) = urls.as_array() else {
                self.err(
                    &format!("{here}/URLs"),
                    "pass.bad_type",
                    "`URLs` must be an array of {URL, SHA256, scale, size} entries",
                );
                continue;
            };
            for (j, u) in urls.iter().enumerate() {
                let up = format!("{here}/URLs/{j}");
                let Some(u) = u.as_object() else {
                    self.err(&up, "pass.bad_type", "an image URL entry is an object");
                    continue;
                };
                match u.get("URL").map(|x| (x, self.concrete(x))) {
                    None => self.err(
                        &format!("{up}/URL"),
                        "pass.upcoming_entry",
                        "an image URL entry needs `URL`",
                    ),
                    Some((_, Some(s))) if !s.starts_with("https://") => self.err(
                        &format!("{up}/URL"),
                        "pass.bad_url",
                        format!("{s:?}: Wallet downloads these images over https only"),
                    ),
                    Some((x, _)) if !x.is_string() => {
                        self.err(&format!("{up}/URL"), "pass.bad_type", "`URL` is a string")
                    }
                    Some(_) => {}
                }
                match u.get("SHA256").map(|x| (x, self.concrete(x))) {
                    None => self.err(
                        &format!("{up}/SHA256"),
                        "pass.upcoming_entry",
                        "an image URL entry needs `SHA256`, the hex SHA-256 digest of the image (Wallet refuses a download that does not match)",
                    ),
                    Some((_, Some(s)))
                        if !(s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())) =>
                    {
                        self.err(
                            &format!("{up}/SHA256"),
                            "pass.upcoming_digest",
                            format!("{s:?} is not a SHA-256 digest: 64 hexadecimal digits (`shasum -a 256 image.png`)"),
                        )
                    }
                    Some((x, _)) if !x.is_string() => self.err(
                        &format!("{up}/SHA256"),
                        "pass.bad_type",
                        "`SHA256` is a string",
                    ),
                    Some(_) => {}
                }
                for k in ["scale", "size"] {
                    if let Some(x) = u.get(k) {
                        self.typed(&format!("{up}/{k}"), x, Kind::Num, &format!("`{k}`"));
                    }
                }
                if u.get("size")
                    .and_then(Value::as_u64)
                    .is_some_and(|s| s > 2 * 1024 * 1024)
                {
                    self.err(
                        &format!("{up}/size"),
                        "pass.upcoming_entry",
                        "an upcoming entry's image may be at most 2 MB",
                    );
                }
                for k in u.keys() {
                    if !matches!(k.as_str(), "URL" | "SHA256" | "scale" | "size") {
                        let p = format!("{up}/{}", pointer_segment(k));
                        self.unknown_key(&p, k, ["URL", "SHA256", "scale", "size"].into_iter());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::{barcode_message_problem, check_pass_json, Mode};
    use crate::model::Location;

    /// The errors of a pass as (code, pointer).
    fn errors(v: &Value, mode: Mode) -> Vec<(&'static str, String)> {
        check_pass_json(v, mode)
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| match d.location {
                Location::Pointer(p) => (d.code, p),
                other => (d.code, format!("{other:?}")),
            })
            .collect()
    }

    fn poster() -> Value {
        json!({"formatVersion": 1, "passTypeIdentifier": "pass.x.y", "teamIdentifier": "T", "serialNumber": "1",
               "organizationName": "O", "description": "D",
               "preferredStyleSchemes": ["posterEventTicket", "eventTicket"],
               "semantics": {"eventName": "Passforge Live", "venueName": "Royal Festival Hall",
                             "venueRegionName": "London", "venueRoom": "Main hall",
                             "eventType": "PKEventTypeLivePerformance", "performerNames": ["The Borrow Checkers"],
                             "eventStartDate": "2027-06-12T19:30:00+01:00", "eventEndDate": "2027-06-12T22:00:00+01:00",
                             "seats": [{"seatSection": "A", "seatRow": "F", "seatNumber": "12", "seatSectionColor": "rgb(255, 0, 0)"}],
                             "venueLocation": {"latitude": 51.5, "longitude": -0.11}},
               "eventTicket": {"primaryFields": [{"key": "a", "value": "b"}]}})
    }

    #[test]
    fn a_complete_poster_event_ticket_has_no_errors() {
        assert_eq!(errors(&poster(), Mode::Pass), []);
        assert_eq!(errors(&poster(), Mode::Template), []);
    }

    #[test]
    fn every_poster_rule_is_an_error_at_the_missing_tag() {
        type Change = fn(&mut Value);
        let cases: [(&str, Change, &str); 7] = [
            (
                "venue",
                |v| {
                    v["semantics"]
                        .as_object_mut()
                        .map(|s| s.remove("venueName"));
                },
                "/semantics/venueName",
            ),
            (
                "region",
                |v| v["semantics"]["venueRegionName"] = json!(""),
                "/semantics/venueRegionName",
            ),
            (
                "room",
                |v| {
                    v["semantics"]
                        .as_object_mut()
                        .map(|s| s.remove("venueRoom"));
                },
                "/semantics/venueRoom",
            ),
            (
                "event name",
                |v| {
                    v["semantics"]
                        .as_object_mut()
                        .map(|s| s.remove("eventName"));
                },
                "/semantics/eventName",
            ),
            (
                "performers",
                |v| v["semantics"]["performerNames"] = json!([]),
                "/semantics/performerNames",
            ),
            (
                "home team",
                |v| v["semantics"]["eventType"] = json!("PKEventTypeSports"),
                "/semantics/homeTeamAbbreviation",
            ),
            (
                "no semantics",
                |v| {
                    v.as_object_mut().map(|o| o.remove("semantics"));
                },
                "/semantics/eventName",
            ),
        ];
        for (what, change, at) in cases {
            let mut v = poster();
            change(&mut v);
            let e = errors(&v, Mode::Pass);
            assert!(
                e.iter()
                    .any(|(c, p)| *c == "pass.poster_requirements" && p == at),
                "{what}: {e:?}"
            );
        }
        let mut sports = poster();
        sports["semantics"]["eventType"] = json!("PKEventTypeSports");
        let e = errors(&sports, Mode::Pass);
        assert!(
            e.contains(&(
                "pass.poster_requirements",
                "/semantics/awayTeamAbbreviation".into()
            )),
            "{e:?}"
        );
        sports["semantics"]["homeTeamAbbreviation"] = json!("PFC");
        sports["semantics"]["awayTeamAbbreviation"] = json!("RST");
        assert_eq!(errors(&sports, Mode::Pass), []);
    }

    #[test]
    fn a_scheme_for_another_style_and_a_semantic_boarding_pass_on_a_train_are_errors() {
        let mut v = poster();
        v["preferredStyleSchemes"] = json!(["semanticBoardingPass", "posterTicket"]);
        assert_eq!(
            errors(&v, Mode::Pass),
            [
                ("pass.style_scheme", "/preferredStyleSchemes/0".into()),
                ("pass.style_scheme", "/preferredStyleSchemes/1".into())
            ]
        );
        let bp = json!({"formatVersion": 1, "passTypeIdentifier": "pass.x.y", "teamIdentifier": "T", "serialNumber": "1",
            "organizationName": "O", "description": "D", "preferredStyleSchemes": ["semanticBoardingPass", "boardingPass"],
            "semantics": {"airlineCode": "PF", "flightNumber": 101},
            "boardingPass": {"transitType": "PKTransitTypeTrain", "primaryFields": [{"key": "a", "value": "b"}]}});
        let e = errors(&bp, Mode::Pass);
        assert!(
            e.contains(&(
                "pass.poster_requirements",
                "/boardingPass/transitType".into()
            )),
            "{e:?}"
        );
        assert!(
            e.contains(&(
                "pass.poster_requirements",
                "/semantics/passengerName".into()
            )),
            "{e:?}"
        );
        assert!(
            !e.iter().any(|(_, p)| p == "/semantics/flightNumber"),
            "{e:?}"
        );
    }

    #[test]
    fn semantic_values_have_their_documented_types() {
        let mut v = poster();
        v["semantics"]["flightNumber"] = json!("101");
        v["semantics"]["seats"][0]["seatSectionColor"] = json!("red");
        v["semantics"]["venueLocation"] = json!({"latitude": 91});
        v["semantics"]["eventType"] = json!("PKEventTypeOpera");
        v["semantics"]["eventEndDate"] = json!("2027-06-12T18:00:00+01:00");
        v["semantics"]["tailgatingAllowed"] = json!("yes");
        let e = errors(&v, Mode::Pass);
        for at in [
            "/semantics/flightNumber",
            "/semantics/seats/0/seatSectionColor",
            "/semantics/venueLocation/longitude",
            "/semantics/venueLocation/latitude",
            "/semantics/eventType",
            "/semantics/eventEndDate",
            "/semantics/tailgatingAllowed",
        ] {
            assert!(e.iter().any(|(_, p)| p == at), "{at}: {e:?}");
        }
        // In a template, a placeholder stands for any of them.
        let mut t = poster();
        t["semantics"]["seats"] = json!("{{ seats }}");
        t["semantics"]["performerNames"] = json!(["{{ headliner }}", "{{ support }}"]);
        t["semantics"]["flightNumber"] = json!("{{ n }}");
        assert_eq!(errors(&t, Mode::Template), []);
    }

    #[test]
    fn relevant_dates_featured_actions_and_upcoming_entries() {
        let mut v = poster();
        v["relevantDates"] = json!([
            {"startDate": "2027-06-12T18:00:00+01:00", "endDate": "2027-06-12T23:00:00+01:00"},
            {"startDate": "2027-06-12T18:00:00+01:00"},
            {"date": "tomorrow"}
        ]);
        v["featuredActions"] = json!([
            {"identifier": "a", "type": "viewSchedule", "url": "https://example.com"},
            {"identifier": "a", "type": "dance"},
            {"identifier": "b", "type": "shop"}
        ]);
        v["upcomingPassInformation"] = json!([{
            "identifier": "night-2", "name": "Night two", "type": "event",
            "dateInformation": {"date": "2027-06-13T19:30:00+01:00", "isAllDay": false},
            "URLs": {"bagPolicyURL": "https://example.com/bags"},
            "images": {"headerImage": {"URLs": [
                {"URL": "https://example.com/h.png", "SHA256": "ab12"},
                {"URL": "http://example.com/h.png", "SHA256": "a".repeat(64), "size": 3_000_000}
            ]}}
        }, {"identifier": "night-2", "type": "concert"}]);
        let e = errors(&v, Mode::Pass);
        let want = [
            ("pass.relevant_dates", "/relevantDates/1/endDate"),
            ("pass.bad_date", "/relevantDates/2/date"),
            ("pass.too_many_featured_actions", "/featuredActions"),
            ("pass.featured_action", "/featuredActions/1/identifier"),
            ("pass.bad_enum", "/featuredActions/1/type"),
            (
                "pass.upcoming_digest",
                "/upcomingPassInformation/0/images/headerImage/URLs/0/SHA256",
            ),
            (
                "pass.bad_url",
                "/upcomingPassInformation/0/images/headerImage/URLs/1/URL",
            ),
            (
                "pass.upcoming_entry",
                "/upcomingPassInformation/0/images/headerImage/URLs/1/size",
            ),
            ("pass.upcoming_entry", "/upcomingPassInformation/1/name"),
            (
                "pass.upcoming_entry",
                "/upcomingPassInformation/1/identifier",
            ),
            ("pass.bad_enum", "/upcomingPassInformation/1/type"),
        ];
        for (code, at) in want {
            assert!(e.contains(&(code, at.to_owned())), "{code} {at}: {e:?}");
        }
        assert_eq!(e.len(), want.len(), "{e:?}");
    }

    #[test]
    fn poster_generic_sits_beside_an_older_style() {
        let mut v = poster();
        v.as_object_mut().map(|o| o.remove("preferredStyleSchemes"));
        v["posterGeneric"] = json!({"headerFields": [{"key": "a", "value": "x"}], "footerFields": [{"key": "f", "value": "y"}]});
        assert_eq!(
            errors(&v, Mode::Pass),
            [],
            "fields repeat between the poster and its fallback"
        );
        v["boardingPass"] = json!({"transitType": "PKTransitTypeAir"});
        v.as_object_mut().map(|o| o.remove("eventTicket"));
        assert_eq!(
            errors(&v, Mode::Pass),
            [("pass.multiple_styles", "/boardingPass".into())]
        );
        v.as_object_mut().map(|o| o.remove("boardingPass"));
        let d = check_pass_json(&v, Mode::Pass);
        assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
        assert!(d.iter().any(|d| d.code == "pass.poster_fallback"), "{d:?}");
    }

    #[test]
    fn new_barcode_formats_check_their_message_and_want_a_fallback() {
        let mut v = poster();
        v["barcodes"] = json!([{"format": "PKBarcodeFormatEAN13", "message": "4006381333931", "messageEncoding": "iso-8859-1"}]);
        let d = check_pass_json(&v, Mode::Pass);
        assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
        assert!(d.iter().any(|d| d.code == "pass.barcode_fallback"), "{d:?}");
        v["barcodes"][0]["message"] = json!("4006381333932");
        if let Some(a) = v["barcodes"].as_array_mut() {
            a.push(
                json!({"format": "PKBarcodeFormatQR", "message": "x", "messageEncoding": "utf-8"}),
            );
        }
        let d = check_pass_json(&v, Mode::Pass);
        assert!(
            !d.iter().any(|d| d.code == "pass.barcode_fallback"),
            "{d:?}"
        );
        assert_eq!(
            errors(&v, Mode::Pass),
            [("pass.barcode_message", "/barcodes/0/message".into())]
        );
        v["barcode"] =
            json!({"format": "PKBarcodeFormatCode39", "message": "A", "messageEncoding": "utf-8"});
        assert!(errors(&v, Mode::Pass).contains(&("pass.bad_barcode", "/barcode/format".into())));

        let ok = [
            ("PKBarcodeFormatEAN13", "400638133393"),
            ("PKBarcodeFormatI2of5", "00123456"),
            ("PKBarcodeFormatCode39", "PF-2027 A"),
            ("PKBarcodeFormatCode39", "*PF2027*"),
            ("PKBarcodeFormatCodabar", "A40156B"),
            ("PKBarcodeFormatCodabar", "12-34$"),
        ];
        for (f, m) in ok {
            assert_eq!(barcode_message_problem(f, m), None, "{f} {m}");
        }
        let bad = [
            ("PKBarcodeFormatEAN13", "40063813339"),
            ("PKBarcodeFormatEAN13", "400638133393X"),
            ("PKBarcodeFormatI2of5", "123"),
            ("PKBarcodeFormatI2of5", "12a4"),
            ("PKBarcodeFormatCode39", "lower"),
            ("PKBarcodeFormatCodabar", "A12Z4B"),
        ];
        for (f, m) in bad {
            assert!(barcode_message_problem(f, m).is_some(), "{f} {m}");
        }
    }
}
