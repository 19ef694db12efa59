//! How passes of a template are used at the door (`template.json` →
//! `redemption` and `timeZone`): how many times a pass may be redeemed, per
//! day or in all, and whether it is voided when used up.

use chrono::{DateTime, TimeZone as _, Utc};
use serde_json::Value;

use crate::model::{Diagnostic, Location};
use crate::template::{FieldSchema, FieldType};

/// The redemption rule of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    /// Redemptions allowed (in all, or per day with `per_day`).
    pub limit: u32,
    /// The limit is per calendar day in the template's time zone.
    pub per_day: bool,
    /// The redemption that uses the last one up voids the pass.
    pub void_when_used_up: bool,
    /// A `date` or `datetime` field before which a pass is not valid yet
    /// (e.g. `doorsOpen`).
    pub valid_from: Option<String>,
}

/// How a template's passes are used: the redemption rule and the time zone
/// "per day" is counted in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// `None`: passes of the template cannot be redeemed (409).
    pub redemption: Option<Redemption>,
    /// The IANA time zone days are counted in (`None`: UTC).
    pub time_zone: Option<chrono_tz::Tz>,
}

impl Usage {
    /// Parses `redemption` and `timeZone` from template.json's object,
    /// reporting every problem located in `file`.
    pub(crate) fn parse(
        obj: &serde_json::Map<String, Value>,
        schema: &FieldSchema,
        file: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Self {
        let err = |pointer: &str, msg: String| {
            Diagnostic::error(
                file,
                Location::Pointer(pointer.to_owned()),
                "template.usage",
                msg,
            )
        };
        let time_zone = match obj.get("timeZone") {
            None => None,
            Some(Value::String(name)) => match name.parse::<chrono_tz::Tz>() {
                Ok(tz) => Some(tz),
                Err(_) => {
                    diags.push(err("/timeZone", format!("{name:?} is not an IANA time zone; use a name such as \"Europe/Paris\" or \"America/New_York\"")));
                    None
                }
            },
            Some(other) => {
                diags.push(err(
                    "/timeZone",
                    format!("`timeZone` must be an IANA time zone name, got {other}"),
                ));
                None
            }
        };
        let redemption = obj
            .get("redemption")
            .and_then(|r| parse_redemption(r, schema, &err, diags));
        Self {
            redemption,
            time_zone,
        }
    }

    /// The start of the day (in the template's time zone) that `at` falls in.
    pub fn day_start(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let tz = self.time_zone.unwrap_or(chrono_tz::UTC);
        let local = at.with_timezone(&tz).date_naive();
        local
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| tz.from_local_datetime(&midnight).earliest())
            .map_or(at, |d| d.with_timezone(&Utc))
    }
}

fn parse_redemption(
    r: &Value,
    schema: &FieldSchema,
    err: &dyn Fn(&str, String) -> Diagnostic,
    diags: &mut Vec<Diagnostic>,
) -> Option<Redemption> {
    let Some(o) = r.as_object() else {
        diags.push(err(
            "/redemption",
            "`redemption` must be an object such as {\"limit\": 1}".to_owned(),
        ));
        return None;
    };
    let before = diags.len();
    for k in o
        .keys()
        .filter(|k| !matches!(k.as_str(), "limit" | "per" | "voidWhenUsedUp" | "validFrom"))
    {
        diags.push(err(
            &format!("/redemption/{k}"),
            format!(
                "unknown redemption property {k:?} (known: limit, per, voidWhenUsedUp, validFrom)"
            ),
        ));
    }
    let valid_from = match o.get("validFrom") {
        None => None,
        Some(Value::String(f)) => match schema.fields().get(f) {
            Some(spec) if matches!(spec.ty, FieldType::Date | FieldType::DateTime) => {
                Some(f.clone())
            }
            Some(spec) => {
                diags.push(err(
                    "/redemption/validFrom",
                    format!(
                        "`validFrom` names a date or datetime field; {f:?} is {}",
                        spec.ty.name()
                    ),
                ));
                None
            }
            None => {
                diags.push(err(
                    "/redemption/validFrom",
                    format!("`validFrom` names a field of this template, and {f:?} is not one"),
                ));
                None
            }
        },
        Some(other) => {
            diags.push(err(
                "/redemption/validFrom",
                format!("`validFrom` is the name of a date or datetime field, got {other}"),
            ));
            None
        }
    };
    let limit = match o.get("limit") {
        None => 1,
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= 1 => n,
            _ => {
                diags.push(err(
                    "/redemption/limit",
                    format!("`limit` must be a whole number of at least 1, got {v}"),
                ));
                1
            }
        },
    };
    let per_day = match o.get("per") {
        None => false,
        Some(Value::String(p)) if p == "day" => true,
        Some(other) => {
            diags.push(err("/redemption/per", format!("`per` may only be \"day\" (leave it out for a limit over the pass's life), got {other}")));
            false
        }
    };
    let void_when_used_up = match o.get("voidWhenUsedUp") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            diags.push(err(
                "/redemption/voidWhenUsedUp",
                format!("`voidWhenUsedUp` must be true or false, got {other}"),
            ));
            false
        }
    };
    if per_day && void_when_used_up {
        diags.push(err(
            "/redemption/voidWhenUsedUp",
            "a limit per day is never used up for good: leave out `voidWhenUsedUp` or `per`"
                .to_owned(),
        ));
    }
    (diags.len() == before).then_some(Redemption {
        limit,
        per_day,
        void_when_used_up,
        valid_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: &Value) -> (Usage, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let schema = FieldSchema::parse(
            Some(&json!({"doorsOpen": {"type": "datetime"}, "seat": {"type": "string"}})),
            "template.json",
            &mut d,
        );
        let u = Usage::parse(
            v.as_object().expect("object"),
            &schema,
            "template.json",
            &mut d,
        );
        (u, d)
    }

    #[test]
    fn rules_are_read_and_problems_located() {
        let (u, d) =
            parse(&json!({"redemption": {"limit": 3, "per": "day"}, "timeZone": "Europe/Paris"}));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            u.redemption,
            Some(Redemption {
                limit: 3,
                per_day: true,
                void_when_used_up: false,
                valid_from: None,
            })
        );
        let (u, d) = parse(
            &json!({"redemption": {"limit": 0, "per": "week", "x": 1}, "timeZone": "Mars/Olympus"}),
        );
        assert_eq!(u.redemption, None);
        let at: Vec<String> = d.iter().map(|d| format!("{:?}", d.location)).collect();
        for p in [
            "/redemption/limit",
            "/redemption/per",
            "/redemption/x",
            "/timeZone",
        ] {
            assert!(at.iter().any(|a| a.contains(p)), "{p} in {at:?}");
        }
    }

    #[test]
    fn valid_from_names_a_date_field() {
        let (u, d) = parse(&json!({"redemption": {"validFrom": "doorsOpen"}}));
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            u.redemption.and_then(|r| r.valid_from).as_deref(),
            Some("doorsOpen")
        );
        for (bad, says) in [("seat", "is string"), ("nope", "is not one")] {
            let (u, d) = parse(&json!({"redemption": {"validFrom": bad}}));
            assert_eq!(u.redemption, None);
            assert!(
                d.iter().any(|d| d.message.contains(says)
                    && format!("{:?}", d.location).contains("/redemption/validFrom")),
                "{d:?}"
            );
        }
    }

    #[test]
    fn a_day_starts_at_midnight_in_the_template_time_zone() {
        let (u, _) = parse(&json!({"timeZone": "Europe/Paris"}));
        let at = DateTime::parse_from_rfc3339("2027-06-12T23:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        // 01:30 on the 13th in Paris (UTC+2): the day began at 22:00 UTC.
        assert_eq!(u.day_start(at).to_rfc3339(), "2027-06-12T22:00:00+00:00");
        assert_eq!(
            Usage::default().day_start(at).to_rfc3339(),
            "2027-06-12T00:00:00+00:00"
        );
    }
}
