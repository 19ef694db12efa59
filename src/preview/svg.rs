//! A small SVG writer: rectangles, text (escaped, cut to fit), embedded
//! PNGs, groups.

use base64::Engine as _;

/// The average advance of DejaVu Sans, in ems (for fitting text).
const EM_ADVANCE: f64 = 0.58;

/// About how wide `text` is at `size` points.
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * EM_ADVANCE
}

/// `text` cut to `width` at `size`, with an ellipsis when cut.
pub(crate) fn fit(text: &str, size: f64, width: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_owned();
    }
    let keep = ((width / (size * EM_ADVANCE)).floor() as usize).saturating_sub(1);
    let mut out: String = text.chars().take(keep).collect();
    out.push('…');
    out
}

/// `text` in lines of at most `width` at `size`, broken at spaces.
pub(crate) fn wrap(text: &str, size: f64, width: f64) -> Vec<String> {
    let per_line = ((width / (size * EM_ADVANCE)).floor() as usize).max(8);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > per_line {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// Whether a `#rrggbb` (or `rgb(…)`) color is dark (light text reads on it).
pub(crate) fn is_dark(color: &str) -> bool {
    let rgb: Option<[u8; 3]> = if let Some(hex) = color.strip_prefix('#') {
        (hex.len() == 6)
            .then(|| {
                let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
                Some([c(0)?, c(2)?, c(4)?])
            })
            .flatten()
    } else {
        color
            .strip_prefix("rgb(")
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|inner| {
                let p: Vec<u8> = inner
                    .split(',')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect();
                (p.len() == 3).then(|| [p[0], p[1], p[2]])
            })
    };
    rgb.is_none_or(|[r, g, b]| {
        0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b) < 150.0
    })
}

/// `s` as XML text: markup characters escaped, and characters XML 1.0
/// cannot hold (controls other than tab and newline, U+FFFE, U+FFFF)
/// dropped, so any field value makes a picture.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// SVG elements being written.
#[derive(Debug, Default)]
pub(crate) struct Svg {
    out: String,
    clips: usize,
}

impl Svg {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, rx: f64) {
        self.out.push_str(&format!(
            "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" rx=\"{rx:.2}\" fill=\"{}\"/>",
            escape(fill)
        ));
    }

    /// The white box a barcode sits in (`id="barcode"`, so a test or a
    /// page can find it).
    pub(crate) fn barcode_box(&mut self, x: f64, y: f64, w: f64, h: f64, rx: f64) {
        self.out.push_str(&format!(
            "<rect id=\"barcode\" x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" rx=\"{rx:.2}\" fill=\"#fff\"/>"
        ));
    }

    /// A module of a barcode: black, edges crisp.
    pub(crate) fn module(&mut self, x: f64, y: f64, w: f64, h: f64) {
        self.out.push_str(&format!(
            "<rect x=\"{x:.3}\" y=\"{y:.3}\" width=\"{w:.3}\" height=\"{h:.3}\" fill=\"#000\" shape-rendering=\"crispEdges\"/>"
        ));
    }

    /// Text at (`x`, baseline `y`), cut to `width` with an ellipsis.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        fill: &str,
        bold: bool,
        anchor: &str,
        text: &str,
        width: f64,
    ) {
        if text.is_empty() {
            return;
        }
        let weight = if bold { " font-weight=\"bold\"" } else { "" };
        self.out.push_str(&format!(
            "<text x=\"{x:.2}\" y=\"{y:.2}\" font-family=\"DejaVu Sans\" font-size=\"{size:.1}\"{weight} fill=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            escape(fill),
            escape(&fit(text, size, width.max(size)))
        ));
    }

    pub(crate) fn image(&mut self, x: f64, y: f64, w: f64, h: f64, png: &[u8], fit: &str) {
        self.out.push_str(&format!(
            "<image x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" preserveAspectRatio=\"{fit}\" href=\"{}\"/>",
            data_uri(png)
        ));
    }

    /// An image filling a rounded rectangle and darkened a little, as
    /// Wallet shows an event ticket's background image (pass a small,
    /// smooth copy for the blur).
    pub(crate) fn clip_image(&mut self, x: f64, y: f64, w: f64, h: f64, rx: f64, png: &[u8]) {
        self.clips += 1;
        let id = format!("clip{}", self.clips);
        self.out.push_str(&format!(
            "<clipPath id=\"{id}\"><rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" rx=\"{rx:.2}\"/></clipPath>\
             <g clip-path=\"url(#{id})\"><image image-rendering=\"optimizeQuality\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" preserveAspectRatio=\"xMidYMid slice\" href=\"{}\"/>\
             <rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" fill=\"#000\" fill-opacity=\"0.15\"/></g>",
            x - 12.0,
            y - 12.0,
            w + 24.0,
            h + 24.0,
            data_uri(png)
        ));
    }

    /// A black veil of `opacity` (Wallet's header darkening).
    pub(crate) fn shade(&mut self, x: f64, y: f64, w: f64, h: f64, opacity: f64) {
        self.out.push_str(&format!(
            "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" fill=\"#000\" fill-opacity=\"{opacity:.2}\"/>"
        ));
    }

    /// A poster's artwork: the image filling the top `h` of a card with
    /// rounded top corners, sharp (not blurred).
    pub(crate) fn poster_image(&mut self, x: f64, y: f64, w: f64, h: f64, rx: f64, png: &[u8]) {
        self.clips += 1;
        let id = format!("poster{}", self.clips);
        self.out.push_str(&format!(
            "<clipPath id=\"{id}\"><rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{:.2}\" rx=\"{rx:.2}\"/><rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{w:.2}\" height=\"{rx:.2}\"/></clipPath>\
             <image clip-path=\"url(#{id})\" image-rendering=\"optimizeQuality\" x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" preserveAspectRatio=\"xMidYMid slice\" href=\"{}\"/>",
            h,
            y + h - rx,
            data_uri(png)
        ));
    }

    /// An image in a circle (a logo on a Google card).
    pub(crate) fn circle_image(&mut self, cx: f64, cy: f64, r: f64, png: &[u8]) {
        self.clips += 1;
        let id = format!("round{}", self.clips);
        self.out.push_str(&format!(
            "<clipPath id=\"{id}\"><circle cx=\"{cx:.2}\" cy=\"{cy:.2}\" r=\"{r:.2}\"/></clipPath>\
             <circle cx=\"{cx:.2}\" cy=\"{cy:.2}\" r=\"{r:.2}\" fill=\"#fff\"/>\
             <image clip-path=\"url(#{id})\" x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" preserveAspectRatio=\"xMidYMid meet\" href=\"{}\"/>",
            cx - r,
            cy - r,
            2.0 * r,
            2.0 * r,
            data_uri(png)
        ));
    }

    /// `inner` moved by (`x`, `y`).
    pub(crate) fn group(&mut self, x: f64, y: f64, inner: &Self) {
        self.clips += inner.clips;
        self.out.push_str(&format!(
            "<g transform=\"translate({x:.2} {y:.2})\">{}</g>",
            inner.out
        ));
    }

    /// The document, `w` by `h` points.
    pub(crate) fn finish(self, w: f64, h: f64) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.2} {h:.2}\">{}</svg>",
            self.out
        )
    }
}
