//! Field values as Wallet formats them: `dateStyle`/`timeStyle` dates,
//! `numberStyle` numbers and `currencyCode` amounts (English conventions).

use serde_json::{Map, Number, Value};

/// A date field's value as Wallet shows it, when the field asks for a
/// date style and the value is a date.
pub(crate) fn date(value: &str, f: &Map<String, Value>) -> Option<String> {
    let style = |k: &str| f.get(k).and_then(Value::as_str);
    let (ds, ts) = (style("dateStyle"), style("timeStyle"));
    if ds.is_none() && ts.is_none() {
        return None;
    }
    let d = chrono::DateTime::parse_from_rfc3339(value).ok()?;
    let date = match ds {
        Some("PKDateStyleShort") => Some(d.format("%-m/%-d/%y").to_string()),
        Some("PKDateStyleMedium") => Some(d.format("%b %-d, %Y").to_string()),
        Some("PKDateStyleLong") => Some(d.format("%B %-d, %Y").to_string()),
        Some("PKDateStyleFull") => Some(d.format("%A, %B %-d, %Y").to_string()),
        _ => None,
    };
    let time = match ts {
        Some("PKDateStyleShort" | "PKDateStyleMedium") => Some(d.format("%-I:%M %p").to_string()),
        Some("PKDateStyleLong" | "PKDateStyleFull") => {
            Some(d.format("%-I:%M:%S %p %:z").to_string())
        }
        _ => None,
    };
    match (date, time) {
        (Some(d), Some(t)) => Some(format!("{d}, {t}")),
        (Some(d), None) => Some(d),
        (None, Some(t)) => Some(t),
        (None, None) => None,
    }
}

/// Groups the integer digits of `s` by thousands.
fn grouped(int: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A number field's value as Wallet shows it.
pub(crate) fn number(n: &Number, f: &Map<String, Value>) -> String {
    let x = n.as_f64().unwrap_or_default();
    if let Some(code) = f.get("currencyCode").and_then(Value::as_str) {
        let amount = format!("{:.2}", x.abs());
        let (int, frac) = amount.split_once('.').unwrap_or((&amount, "00"));
        let sign = if x < 0.0 { "-" } else { "" };
        let symbol = match code {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            _ => "",
        };
        return if symbol.is_empty() {
            format!("{sign}{}.{frac} {code}", grouped(int))
        } else {
            format!("{sign}{symbol}{}.{frac}", grouped(int))
        };
    }
    match f.get("numberStyle").and_then(Value::as_str) {
        Some("PKNumberStylePercent") => format!("{}%", (x * 100.0).round()),
        Some("PKNumberStyleScientific") => format!("{x:E}"),
        _ => {
            let s = n.to_string();
            let (int, frac) = s
                .split_once('.')
                .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
            match frac {
                Some(frac) => format!("{}.{frac}", grouped(int)),
                None => grouped(int),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_and_numbers_as_wallet_shows_them() {
        let f = |v: Value| v.as_object().cloned().expect("object");
        assert_eq!(
            date(
                "2027-06-12T19:00:00+01:00",
                &f(json!({"dateStyle": "PKDateStyleMedium", "timeStyle": "PKDateStyleShort"}))
            ),
            Some("Jun 12, 2027, 7:00 PM".to_owned())
        );
        assert_eq!(
            date(
                "2027-06-12T19:00:00+01:00",
                &f(json!({"dateStyle": "PKDateStyleShort"}))
            ),
            Some("6/12/27".to_owned())
        );
        assert_eq!(date("2027-06-12T19:00:00+01:00", &f(json!({}))), None);
        assert_eq!(
            date("soon", &f(json!({"dateStyle": "PKDateStyleShort"}))),
            None
        );
        let n = |v: Value| match v {
            Value::Number(n) => n,
            _ => unreachable!("a number"),
        };
        assert_eq!(
            number(&n(json!(1234.5)), &f(json!({"currencyCode": "EUR"}))),
            "€1,234.50"
        );
        assert_eq!(
            number(&n(json!(15)), &f(json!({"currencyCode": "CHF"}))),
            "15.00 CHF"
        );
        assert_eq!(
            number(
                &n(json!(0.25)),
                &f(json!({"numberStyle": "PKNumberStylePercent"}))
            ),
            "25%"
        );
        assert_eq!(number(&n(json!(1234567)), &f(json!({}))), "1,234,567");
    }
}
