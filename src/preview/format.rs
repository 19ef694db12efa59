//! Field values as Wallet formats them: `dateStyle`/`timeStyle` dates,
//! `numberStyle` numbers and `currencyCode` amounts, in the conventions of
//! the pass's language (month and day names from chrono's locale data;
//! separators and currency placement per language; English otherwise).

use chrono::Locale;
use serde_json::{Map, Number, Value};

/// How one language writes dates and numbers.
struct Conventions {
    locale: Locale,
    /// Short, medium, long and full date patterns.
    dates: [&'static str; 4],
    /// Short and long time patterns.
    times: [&'static str; 2],
    /// Between a date and its time.
    join: &'static str,
    decimal: char,
    group: &'static str,
    /// Whether a currency symbol goes before the amount (`$5.00`) or after
    /// it (`5,00 €`).
    symbol_first: bool,
}

const ENGLISH: Conventions = Conventions {
    locale: Locale::en_US,
    dates: ["%-m/%-d/%y", "%b %-d, %Y", "%B %-d, %Y", "%A, %B %-d, %Y"],
    times: ["%-I:%M %p", "%-I:%M:%S %p %:z"],
    join: ", ",
    decimal: '.',
    group: ",",
    symbol_first: true,
};

/// The conventions of a `.lproj` name (`fr`, `de-CH`, `pt_BR`); English
/// for a language without its own here.
fn conventions(lang: &str) -> Conventions {
    let language = lang
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase();
    let european = |locale, dates, group| Conventions {
        locale,
        dates,
        times: ["%H:%M", "%H:%M:%S %:z"],
        join: " ",
        decimal: ',',
        group,
        symbol_first: false,
    };
    let dmy = ["%d/%m/%Y", "%-d %b %Y", "%-d %B %Y", "%A %-d %B %Y"];
    match language.as_str() {
        "fr" => european(Locale::fr_FR, dmy, "\u{202f}"),
        "de" => european(
            Locale::de_DE,
            ["%d.%m.%y", "%d.%m.%Y", "%-d. %B %Y", "%A, %-d. %B %Y"],
            ".",
        ),
        "es" => european(
            Locale::es_ES,
            [
                "%-d/%-m/%y",
                "%-d %b %Y",
                "%-d de %B de %Y",
                "%A, %-d de %B de %Y",
            ],
            ".",
        ),
        "it" => european(Locale::it_IT, dmy, "."),
        "nl" => european(
            Locale::nl_NL,
            ["%d-%m-%Y", "%-d %b %Y", "%-d %B %Y", "%A %-d %B %Y"],
            ".",
        ),
        "pt" => european(
            Locale::pt_PT,
            [
                "%d/%m/%y",
                "%-d/%m/%Y",
                "%-d de %B de %Y",
                "%A, %-d de %B de %Y",
            ],
            ".",
        ),
        "en" if lang.len() > 2 && !lang.ends_with("US") => Conventions {
            locale: Locale::en_GB,
            dates: ["%d/%m/%Y", "%-d %b %Y", "%-d %B %Y", "%A %-d %B %Y"],
            times: ["%H:%M", "%H:%M:%S %:z"],
            ..ENGLISH
        },
        _ => ENGLISH,
    }
}

/// A date field's value as Wallet shows it in `lang`, when the field asks
/// for a date style and the value is a date.
pub(crate) fn date(value: &str, f: &Map<String, Value>, lang: &str) -> Option<String> {
    let style = |k: &str| f.get(k).and_then(Value::as_str);
    let (ds, ts) = (style("dateStyle"), style("timeStyle"));
    if ds.is_none() && ts.is_none() {
        return None;
    }
    let d = chrono::DateTime::parse_from_rfc3339(value).ok()?;
    let c = conventions(lang);
    let show = |pattern: &str| d.format_localized(pattern, c.locale).to_string();
    let date = match ds {
        Some("PKDateStyleShort") => Some(show(c.dates[0])),
        Some("PKDateStyleMedium") => Some(show(c.dates[1])),
        Some("PKDateStyleLong") => Some(show(c.dates[2])),
        Some("PKDateStyleFull") => Some(show(c.dates[3])),
        _ => None,
    };
    let time = match ts {
        Some("PKDateStyleShort" | "PKDateStyleMedium") => Some(show(c.times[0])),
        Some("PKDateStyleLong" | "PKDateStyleFull") => Some(show(c.times[1])),
        _ => None,
    };
    match (date, time) {
        (Some(d), Some(t)) => Some(format!("{d}{}{t}", c.join)),
        (Some(d), None) => Some(d),
        (None, Some(t)) => Some(t),
        (None, None) => None,
    }
}

/// `int` (digits, maybe signed) grouped by thousands with `sep`.
fn grouped(int: &str, sep: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A number field's value as Wallet shows it in `lang`.
pub(crate) fn number(n: &Number, f: &Map<String, Value>, lang: &str) -> String {
    let c = conventions(lang);
    let x = n.as_f64().unwrap_or_default();
    if let Some(code) = f.get("currencyCode").and_then(Value::as_str) {
        let amount = format!("{:.2}", x.abs());
        let (int, frac) = amount.split_once('.').unwrap_or((&amount, "00"));
        let sign = if x < 0.0 { "-" } else { "" };
        let digits = format!("{}{}{frac}", grouped(int, c.group), c.decimal);
        let symbol = match code {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            _ => "",
        };
        return match (symbol, c.symbol_first) {
            ("", _) => format!("{sign}{digits} {code}"),
            (s, true) => format!("{sign}{s}{digits}"),
            (s, false) => format!("{sign}{digits}\u{a0}{s}"),
        };
    }
    match f.get("numberStyle").and_then(Value::as_str) {
        Some("PKNumberStylePercent") => {
            let pct = (x * 100.0).round();
            if c.symbol_first {
                format!("{pct}%")
            } else {
                format!("{pct}\u{a0}%")
            }
        }
        Some("PKNumberStyleScientific") => format!("{x:E}").replace('.', &c.decimal.to_string()),
        _ => {
            let s = n.to_string();
            let (int, frac) = s
                .split_once('.')
                .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
            match frac {
                Some(frac) => format!("{}{}{frac}", grouped(int, c.group), c.decimal),
                None => grouped(int, c.group),
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
                &f(json!({"dateStyle": "PKDateStyleMedium", "timeStyle": "PKDateStyleShort"})),
                "en"
            ),
            Some("Jun 12, 2027, 7:00 PM".to_owned())
        );
        assert_eq!(
            date(
                "2027-06-12T19:00:00+01:00",
                &f(json!({"dateStyle": "PKDateStyleShort"})),
                "en"
            ),
            Some("6/12/27".to_owned())
        );
        assert_eq!(date("2027-06-12T19:00:00+01:00", &f(json!({})), "en"), None);
        assert_eq!(
            date("soon", &f(json!({"dateStyle": "PKDateStyleShort"})), "en"),
            None
        );
        let n = |v: Value| match v {
            Value::Number(n) => n,
            _ => unreachable!("a number"),
        };
        assert_eq!(
            number(&n(json!(1234.5)), &f(json!({"currencyCode": "EUR"})), "en"),
            "€1,234.50"
        );
        assert_eq!(
            number(&n(json!(15)), &f(json!({"currencyCode": "CHF"})), "en"),
            "15.00 CHF"
        );
        assert_eq!(
            number(
                &n(json!(0.25)),
                &f(json!({"numberStyle": "PKNumberStylePercent"})),
                "en"
            ),
            "25%"
        );
        assert_eq!(number(&n(json!(1234567)), &f(json!({})), "en"), "1,234,567");
    }

    #[test]
    fn each_language_writes_dates_and_numbers_its_own_way() {
        let f = |v: Value| v.as_object().cloned().expect("object");
        let n = |v: Value| match v {
            Value::Number(n) => n,
            _ => unreachable!("a number"),
        };
        let at = "2027-06-12T19:00:00+01:00";
        let medium = f(json!({"dateStyle": "PKDateStyleMedium", "timeStyle": "PKDateStyleShort"}));
        let long = f(json!({"dateStyle": "PKDateStyleLong"}));
        let full = f(json!({"dateStyle": "PKDateStyleFull"}));
        assert_eq!(date(at, &long, "fr").as_deref(), Some("12 juin 2027"));
        assert_eq!(
            date(at, &full, "fr").as_deref(),
            Some("samedi 12 juin 2027")
        );
        assert_eq!(date(at, &long, "de").as_deref(), Some("12. Juni 2027"));
        assert_eq!(
            date(at, &long, "es").as_deref(),
            Some("12 de junio de 2027")
        );
        assert_eq!(
            date(at, &medium, "de-CH").as_deref(),
            Some("12.06.2027 19:00")
        );
        assert_eq!(date(at, &long, "en-GB").as_deref(), Some("12 June 2027"));
        assert_eq!(
            date(at, &long, "xx").as_deref(),
            Some("June 12, 2027"),
            "English otherwise"
        );
        let eur = f(json!({"currencyCode": "EUR"}));
        assert_eq!(
            number(&n(json!(1234.5)), &eur, "fr"),
            "1\u{202f}234,50\u{a0}€"
        );
        assert_eq!(number(&n(json!(1234.5)), &eur, "de"), "1.234,50\u{a0}€");
        assert_eq!(number(&n(json!(1234.5)), &f(json!({})), "it"), "1.234,5");
        assert_eq!(
            number(
                &n(json!(0.25)),
                &f(json!({"numberStyle": "PKNumberStylePercent"})),
                "fr"
            ),
            "25\u{a0}%"
        );
    }
}
