//! The pages people see when they open a link: what the pass is, a picture
//! of it, the wallets' own "Add to" badges (drawn here, never fetched), a
//! QR code for a phone, in the reader's language where the template has
//! it. Every value on a page is HTML-escaped, and every page is sent with
//! [`PAGE_HEADERS`].

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::service::domain::links::Landing;

/// Headers of every link page: the link's code is in its URL, so no
/// referrer carries it elsewhere and no cache keeps the page; the page
/// loads nothing but its own pictures.
pub(crate) const PAGE_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

/// `s` safe inside HTML text and double-quoted attributes.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The words of a page in one language.
pub(crate) struct Words {
    /// The `lang` of the page.
    pub(crate) lang: &'static str,
    /// Apple badge, first and second line.
    apple: (&'static str, &'static str),
    /// Google badge, first and second line.
    google: (&'static str, &'static str),
    /// Under the QR code.
    scan: &'static str,
    /// While waiting for the wallet before returning.
    waiting: &'static str,
    /// A picture's alternative text, before the description.
    picture_of: &'static str,
    /// The QR code's alternative text.
    qr_alt: &'static str,
}

const WORDS: [Words; 4] = [
    Words {
        lang: "en",
        apple: ("Add to", "Apple Wallet"),
        google: ("Add to", "Google Wallet"),
        scan: "Scan with your phone to add it there.",
        waiting: "Once the pass is in your wallet, you will be taken back automatically.",
        picture_of: "Picture of the pass:",
        qr_alt: "QR code of this page",
    },
    Words {
        lang: "fr",
        apple: ("Ajouter à", "Apple Wallet"),
        google: ("Ajouter à", "Google Wallet"),
        scan: "Scannez avec votre téléphone pour l’y ajouter.",
        waiting: "Une fois la carte dans votre portefeuille, vous serez ramené automatiquement.",
        picture_of: "Image de la carte :",
        qr_alt: "Code QR de cette page",
    },
    Words {
        lang: "de",
        apple: ("Hinzufügen zu", "Apple Wallet"),
        google: ("Hinzufügen zu", "Google Wallet"),
        scan: "Mit dem Telefon scannen, um ihn dort hinzuzufügen.",
        waiting: "Sobald der Pass in Ihrer Wallet ist, geht es automatisch zurück.",
        picture_of: "Bild des Passes:",
        qr_alt: "QR-Code dieser Seite",
    },
    Words {
        lang: "es",
        apple: ("Añadir a", "Apple Wallet"),
        google: ("Añadir a", "Google Wallet"),
        scan: "Escanéalo con tu teléfono para añadirlo allí.",
        waiting: "Cuando el pase esté en tu cartera, volverás automáticamente.",
        picture_of: "Imagen del pase:",
        qr_alt: "Código QR de esta página",
    },
];

/// The page's words: in `lang` (a template `.lproj`, e.g. `fr` or
/// `fr-CA`) when we have them, else English.
pub(crate) fn words(lang: Option<&str>) -> &'static Words {
    let primary = lang.map(|l| l.split(['-', '_']).next().unwrap_or(l));
    WORDS
        .iter()
        .find(|w| Some(w.lang) == primary)
        .unwrap_or(&WORDS[0])
}

/// The reader's languages from `Accept-Language`, most wanted first
/// (`*` and malformed entries left out).
pub(crate) fn prefs(headers: &HeaderMap) -> Vec<String> {
    let raw = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let mut tagged: Vec<(u16, usize, String)> = raw
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            let ok = !tag.is_empty()
                && tag.len() <= 35
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return None;
            }
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // Thousandths: an integer sort key.
            let q = (q.clamp(0.0, 1.0) * 1000.0).round() as u16;
            (q > 0).then(|| (q, i, tag.to_owned()))
        })
        .collect();
    tagged.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    tagged.into_iter().map(|(_, _, t)| t).collect()
}

/// A wallet's "Add to" badge as a link: black with white words, as both
/// wallets' guidelines draw it, labelled for screen readers.
fn badge(href: &str, lines: (&str, &str), google: bool) -> String {
    let label = format!("{} {}", lines.0, lines.1);
    // A small wallet mark: Apple's coloured cards, or Google's four bands.
    let mark = if google {
        "<rect x=\"14\" y=\"15\" width=\"26\" height=\"6\" rx=\"2\" fill=\"#4285f4\"/>\
         <rect x=\"14\" y=\"20\" width=\"26\" height=\"6\" rx=\"2\" fill=\"#34a853\"/>\
         <rect x=\"14\" y=\"25\" width=\"26\" height=\"6\" rx=\"2\" fill=\"#fbbc04\"/>\
         <rect x=\"14\" y=\"30\" width=\"26\" height=\"7\" rx=\"2\" fill=\"#ea4335\"/>"
    } else {
        "<rect x=\"13\" y=\"12\" width=\"28\" height=\"26\" rx=\"4\" fill=\"#d9d9d9\"/>\
         <rect x=\"15\" y=\"15\" width=\"24\" height=\"5\" rx=\"1.5\" fill=\"#4d9ad5\"/>\
         <rect x=\"15\" y=\"19\" width=\"24\" height=\"5\" rx=\"1.5\" fill=\"#f7b64b\"/>\
         <rect x=\"15\" y=\"23\" width=\"24\" height=\"5\" rx=\"1.5\" fill=\"#3fb968\"/>\
         <rect x=\"15\" y=\"27\" width=\"24\" height=\"8\" rx=\"1.5\" fill=\"#f26d5f\"/>"
    };
    format!(
        "<a class=\"badge\" href=\"{href}\" aria-label=\"{label}\">\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"180\" height=\"50\" viewBox=\"0 0 180 50\" aria-hidden=\"true\" focusable=\"false\">\
         <rect width=\"180\" height=\"50\" rx=\"9\" fill=\"#000\"/><rect x=\"0.5\" y=\"0.5\" width=\"179\" height=\"49\" rx=\"8.5\" fill=\"none\" stroke=\"#a6a6a6\"/>\
         {mark}\
         <text x=\"50\" y=\"20\" fill=\"#fff\" font-family=\"-apple-system,Helvetica,Arial,sans-serif\" font-size=\"11\">{}</text>\
         <text x=\"50\" y=\"38\" fill=\"#fff\" font-family=\"-apple-system,Helvetica,Arial,sans-serif\" font-size=\"17\" font-weight=\"600\">{}</text>\
         </svg></a>",
        escape(lines.0),
        escape(lines.1),
        href = escape(href),
        label = escape(&label),
    )
}

/// Where a landing page's parts point.
pub(crate) struct Targets {
    /// The Apple Wallet badge.
    pub(crate) apple: String,
    /// The Google Wallet badge.
    pub(crate) google: String,
    /// The QR code picture, if the page has one.
    pub(crate) qr: Option<String>,
    /// A picture of each pass (as many as the landing's items, or none).
    pub(crate) pictures: Vec<String>,
    /// Where the page goes by itself every few seconds (waiting for the
    /// wallet before returning to the app).
    pub(crate) refresh: Option<String>,
}

/// A landing page: each pass (picture, organization, description), both
/// badges and the QR code.
pub(crate) fn landing_page(view: &Landing, to: &Targets) -> Response {
    let words = words(view.lang.as_deref());
    let title = view
        .items
        .first()
        .map(|i| i.organization.clone())
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| "Wallet pass".to_owned());
    let mut body = String::new();
    for (i, item) in view.items.iter().enumerate() {
        body.push_str("<section class=\"pass\">");
        if let Some(src) = to.pictures.get(i) {
            body.push_str(&format!(
                "<img src=\"{}\" alt=\"{} {}\" width=\"320\">",
                escape(src),
                escape(words.picture_of),
                escape(&item.description)
            ));
        }
        body.push_str(&format!(
            "<h2>{}</h2><p>{}</p></section>",
            escape(&item.organization),
            escape(&item.description)
        ));
    }
    body.push_str(&format!(
        "<nav class=\"badges\">{}{}</nav>",
        badge(&to.apple, words.apple, false),
        badge(&to.google, words.google, true)
    ));
    if to.refresh.is_some() {
        body.push_str(&format!("<p>{}</p>", escape(words.waiting)));
    }
    if let Some(qr) = &to.qr {
        body.push_str(&format!(
            "<p><img src=\"{}\" alt=\"{}\" width=\"240\" height=\"240\"></p><p>{}</p>",
            escape(qr),
            escape(words.qr_alt),
            escape(words.scan)
        ));
    }
    let head = to.refresh.as_ref().map_or_else(String::new, |url| {
        format!(
            "<meta http-equiv=\"refresh\" content=\"3;url={}\">",
            escape(url)
        )
    });
    page_in(words.lang, StatusCode::OK, &title, &head, &body)
}

/// A page in English (link gone, not found, a smart link's error).
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    page_in("en", status, title, "", body)
}

/// The frame of every page: readable type with AA contrast (#1d1d1f and
/// #3c3c43 on white), a phone-sized column; `title` is escaped here.
fn page_in(lang: &str, status: StatusCode, title: &str, head: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{head}\
         <title>{title}</title><style>\
         body{{font-family:-apple-system,system-ui,sans-serif;color:#1d1d1f;background:#fff;max-width:34em;margin:2em auto;padding:0 1em;text-align:center;line-height:1.4}}\
         p{{color:#3c3c43}} img{{max-width:100%;height:auto}} .pass{{margin-bottom:1.5em}}\
         .badges{{display:flex;gap:12px;justify-content:center;flex-wrap:wrap;margin:1.5em 0}}\
         .badge:focus{{outline:3px solid #0a58ca;outline-offset:2px}}\
         </style></head><body><main>{body}</main></body></html>",
        lang = escape(lang),
        title = escape(title),
    );
    (status, PAGE_HEADERS, Html(html)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_is_read_by_weight_then_order() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            "de;q=0.5, fr-CA, en;q=0.9, *;q=0.1, <x>, es;q=0"
                .parse()
                .expect("header"),
        );
        assert_eq!(prefs(&h), ["fr-CA", "en", "de"]);
        assert!(prefs(&HeaderMap::new()).is_empty());
        assert_eq!(words(Some("fr-CA")).lang, "fr");
        assert_eq!(words(Some("ja")).lang, "en");
    }

    #[tokio::test]
    async fn a_hostile_organization_is_escaped_in_the_title_too() {
        let view = Landing {
            lang: None,
            items: vec![crate::service::domain::links::LandingItem {
                organization: "<script>x()</script>".into(),
                description: "d".into(),
            }],
        };
        let to = Targets {
            apple: "/a".into(),
            google: "/g".into(),
            qr: None,
            pictures: Vec::new(),
            refresh: None,
        };
        let body = axum::body::to_bytes(landing_page(&view, &to).into_body(), usize::MAX)
            .await
            .expect("body");
        let html = String::from_utf8(body.to_vec()).expect("utf-8");
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("<title>&lt;script&gt;x()&lt;/script&gt;</title>"),
            "{html}"
        );
    }

    #[test]
    fn badges_are_labelled_links_with_escaped_targets() {
        let b = badge("/l/a\"b/apple", ("Add to", "Apple Wallet"), false);
        assert!(b.contains("href=\"/l/a&quot;b/apple\""), "{b}");
        assert!(b.contains("aria-label=\"Add to Apple Wallet\""), "{b}");
    }
}
