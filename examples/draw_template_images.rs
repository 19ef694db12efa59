//! Draws the images of the example templates in `templates/` (icons, logos,
//! strips, thumbnails, backgrounds and footers at @1x, @2x and @3x) with
//! simple geometry, so the examples carry no borrowed artwork.
//!
//! Run: `cargo run --example draw_template_images` (writes into templates/).

use std::path::Path;

use image::{Rgba, RgbaImage};

type Color = [u8; 3];

/// A shape drawn in points; scaled per output size.
#[derive(Clone, Copy)]
enum Shape {
    Circle {
        cx: f32,
        cy: f32,
        r: f32,
        color: Color,
    },
    Ring {
        cx: f32,
        cy: f32,
        r: f32,
        w: f32,
        color: Color,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        radius: f32,
        color: Color,
    },
}

struct Art {
    width: u32,
    height: u32,
    top: Color,
    bottom: Color,
    shapes: Vec<Shape>,
    corner: f32,
}

fn mix(a: Color, b: Color, t: f32) -> Color {
    let m = |x: u8, y: u8| {
        (f32::from(x) + (f32::from(y) - f32::from(x)) * t)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    [m(a[0], b[0]), m(a[1], b[1]), m(a[2], b[2])]
}

fn coverage(shape: Shape, x: f32, y: f32) -> (f32, Color) {
    let edge = |d: f32| (0.5 - d).clamp(0.0, 1.0);
    match shape {
        Shape::Circle { cx, cy, r, color } => (
            edge(((x - cx).powi(2) + (y - cy).powi(2)).sqrt() - r),
            color,
        ),
        Shape::Ring {
            cx,
            cy,
            r,
            w,
            color,
        } => (
            edge((((x - cx).powi(2) + (y - cy).powi(2)).sqrt() - r).abs() - w / 2.0),
            color,
        ),
        Shape::Rect {
            x: rx,
            y: ry,
            w,
            h,
            radius,
            color,
        } => {
            let qx = (x - (rx + w / 2.0)).abs() - (w / 2.0 - radius);
            let qy = (y - (ry + h / 2.0)).abs() - (h / 2.0 - radius);
            let d =
                (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt() + qx.max(qy).min(0.0) - radius;
            (edge(d), color)
        }
    }
}

fn render(art: &Art, scale: u32) -> RgbaImage {
    let s = scale as f32;
    let (w, h) = (art.width * scale, art.height * scale);
    let mut img = RgbaImage::new(w, h);
    for (px, py, pixel) in img.enumerate_pixels_mut() {
        let (x, y) = ((px as f32 + 0.5) / s, (py as f32 + 0.5) / s);
        let mut c = mix(art.top, art.bottom, y / art.height as f32);
        for shape in &art.shapes {
            let (a, col) = coverage(*shape, x, y);
            if a > 0.0 {
                c = mix(c, col, a);
            }
        }
        let alpha = if art.corner > 0.0 {
            let (a, _) = coverage(
                Shape::Rect {
                    x: 0.0,
                    y: 0.0,
                    w: art.width as f32,
                    h: art.height as f32,
                    radius: art.corner,
                    color: [0; 3],
                },
                x,
                y,
            );
            (a * 255.0) as u8
        } else {
            255
        };
        *pixel = Rgba([c[0], c[1], c[2], alpha]);
    }
    img
}

fn write(dir: &Path, base: &str, art: &Art) {
    for scale in 1..=3 {
        let name = if scale == 1 {
            format!("{base}.png")
        } else {
            format!("{base}@{scale}x.png")
        };
        let path = dir.join(name);
        render(art, scale)
            .save(&path)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

fn icon(bg: Color, fg: Color) -> Art {
    Art {
        width: 29,
        height: 29,
        top: bg,
        bottom: mix(bg, [0, 0, 0], 0.25),
        corner: 6.0,
        shapes: vec![
            Shape::Ring {
                cx: 14.5,
                cy: 14.5,
                r: 8.0,
                w: 3.0,
                color: fg,
            },
            Shape::Circle {
                cx: 14.5,
                cy: 14.5,
                r: 3.0,
                color: fg,
            },
        ],
    }
}

fn logo(fg: Color, accent: Color) -> Art {
    Art {
        width: 160,
        height: 50,
        top: [0, 0, 0],
        bottom: [0, 0, 0],
        corner: 0.0,
        shapes: vec![
            Shape::Circle {
                cx: 25.0,
                cy: 25.0,
                r: 18.0,
                color: accent,
            },
            Shape::Circle {
                cx: 25.0,
                cy: 25.0,
                r: 8.0,
                color: fg,
            },
            Shape::Rect {
                x: 52.0,
                y: 14.0,
                w: 96.0,
                h: 8.0,
                radius: 4.0,
                color: fg,
            },
            Shape::Rect {
                x: 52.0,
                y: 28.0,
                w: 64.0,
                h: 8.0,
                radius: 4.0,
                color: accent,
            },
        ],
    }
}

/// A wordmark-like bar logo of `width`x`height` pt (poster primary and
/// secondary logos): a dot and two bars.
fn bar_logo(width: u32, height: u32, fg: Color, accent: Color) -> Art {
    let (w, h) = (width as f32, height as f32);
    Art {
        width,
        height,
        top: [0, 0, 0],
        bottom: [0, 0, 0],
        corner: 0.0,
        shapes: vec![
            Shape::Circle {
                cx: h * 0.5,
                cy: h * 0.5,
                r: h * 0.45,
                color: accent,
            },
            Shape::Rect {
                x: h * 1.2,
                y: h * 0.2,
                w: w * 0.55,
                h: h * 0.25,
                radius: h * 0.12,
                color: fg,
            },
            Shape::Rect {
                x: h * 1.2,
                y: h * 0.58,
                w: w * 0.35,
                h: h * 0.22,
                radius: h * 0.11,
                color: accent,
            },
        ],
    }
}

fn transparent(mut art: Art) -> RgbaImageArt {
    art.top = [0, 0, 0];
    RgbaImageArt(art)
}

/// A logo with a transparent background.
struct RgbaImageArt(Art);

fn write_transparent(dir: &Path, base: &str, art: &RgbaImageArt) {
    for scale in 1..=3 {
        let mut img = render(&art.0, scale);
        let s = scale as f32;
        for (px, py, pixel) in img.enumerate_pixels_mut() {
            let (x, y) = ((px as f32 + 0.5) / s, (py as f32 + 0.5) / s);
            let a = art
                .0
                .shapes
                .iter()
                .map(|sh| coverage(*sh, x, y).0)
                .fold(0.0f32, f32::max);
            pixel.0[3] = (a * 255.0) as u8;
        }
        let name = if scale == 1 {
            format!("{base}.png")
        } else {
            format!("{base}@{scale}x.png")
        };
        let path = dir.join(name);
        img.save(&path)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

fn banner(width: u32, height: u32, top: Color, bottom: Color, accent: Color) -> Art {
    let (w, h) = (width as f32, height as f32);
    Art {
        width,
        height,
        top,
        bottom,
        corner: 0.0,
        shapes: vec![
            Shape::Circle {
                cx: w * 0.82,
                cy: h * 0.35,
                r: h * 0.45,
                color: accent,
            },
            Shape::Ring {
                cx: w * 0.82,
                cy: h * 0.35,
                r: h * 0.62,
                w: h * 0.06,
                color: mix(accent, top, 0.5),
            },
            Shape::Circle {
                cx: w * 0.12,
                cy: h * 0.9,
                r: h * 0.3,
                color: mix(accent, bottom, 0.6),
            },
        ],
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let white = [255, 255, 255];

    let dir = root.join("event-ticket");
    let (bg, gold) = ([38, 28, 84], [255, 196, 87]);
    write(&dir, "icon", &icon(bg, gold));
    write_transparent(&dir, "logo", &transparent(logo(white, gold)));
    write(
        &dir,
        "background",
        &banner(180, 220, bg, [90, 40, 120], gold),
    );
    write(
        &dir,
        "thumbnail",
        &Art {
            width: 90,
            height: 90,
            top: gold,
            bottom: [230, 120, 60],
            corner: 12.0,
            shapes: vec![
                Shape::Rect {
                    x: 20.0,
                    y: 30.0,
                    w: 50.0,
                    h: 30.0,
                    radius: 6.0,
                    color: bg,
                },
                Shape::Circle {
                    cx: 20.0,
                    cy: 45.0,
                    r: 7.0,
                    color: gold,
                },
                Shape::Circle {
                    cx: 70.0,
                    cy: 45.0,
                    r: 7.0,
                    color: gold,
                },
            ],
        },
    );

    let dir = root.join("boarding-pass");
    let (bg, sky) = ([20, 60, 130], [120, 190, 255]);
    write(&dir, "icon", &icon(bg, sky));
    write_transparent(&dir, "logo", &transparent(logo(white, sky)));
    write(
        &dir,
        "footer",
        &Art {
            width: 286,
            height: 15,
            top: bg,
            bottom: bg,
            corner: 0.0,
            shapes: (0..9)
                .map(|i| Shape::Rect {
                    x: 8.0 + i as f32 * 31.0,
                    y: 5.0,
                    w: 18.0,
                    h: 5.0,
                    radius: 2.5,
                    color: sky,
                })
                .collect(),
        },
    );

    let dir = root.join("store-card");
    let (bg, mint) = ([12, 92, 74], [140, 230, 190]);
    write(&dir, "icon", &icon(bg, mint));
    write_transparent(&dir, "logo", &transparent(logo(white, mint)));
    write(&dir, "strip", &banner(375, 144, [20, 120, 96], bg, mint));

    let dir = root.join("coupon");
    let (bg, coral) = ([200, 60, 50], [255, 210, 120]);
    write(&dir, "icon", &icon(bg, coral));
    write_transparent(&dir, "logo", &transparent(logo(white, coral)));
    write(&dir, "strip", &banner(375, 144, [230, 90, 70], bg, coral));

    let dir = root.join("generic");
    let (bg, teal) = ([40, 44, 52], [80, 200, 210]);
    write(&dir, "icon", &icon(bg, teal));
    write_transparent(&dir, "logo", &transparent(logo(white, teal)));
    write(
        &dir,
        "thumbnail",
        &Art {
            width: 90,
            height: 90,
            top: teal,
            bottom: [40, 120, 160],
            corner: 45.0,
            shapes: vec![
                Shape::Circle {
                    cx: 45.0,
                    cy: 34.0,
                    r: 14.0,
                    color: white,
                },
                Shape::Rect {
                    x: 22.0,
                    y: 54.0,
                    w: 46.0,
                    h: 28.0,
                    radius: 14.0,
                    color: white,
                },
            ],
        },
    );
    // iOS 18's poster event ticket: a full-bleed background (345x505 pt)
    // and the primary and secondary logos drawn over it.
    let dir = root.join("poster-event-ticket");
    let (bg, rose) = ([24, 18, 48], [255, 99, 132]);
    write(&dir, "icon", &icon(bg, rose));
    write_transparent(&dir, "logo", &transparent(logo(white, rose)));
    write(
        &dir,
        "background",
        &banner(345, 505, [70, 30, 110], bg, rose),
    );
    write_transparent(
        &dir,
        "primaryLogo",
        &transparent(bar_logo(126, 30, white, rose)),
    );
    write_transparent(
        &dir,
        "secondaryLogo",
        &transparent(bar_logo(135, 12, white, rose)),
    );

    // The upcoming after-party's header image: in upcoming/, so passforge
    // checks the SHA256 and size pass.json gives for its URL.
    let upcoming = dir.join("upcoming");
    std::fs::create_dir_all(&upcoming).expect("upcoming/");
    std::fs::copy(
        dir.join("background@2x.png"),
        upcoming.join("after-party.png"),
    )
    .expect("copy the after-party image");

    // iOS 27's poster generic style, with a generic fallback.
    let dir = root.join("poster-generic");
    let (bg, lime) = ([16, 42, 67], [190, 242, 100]);
    write(&dir, "icon", &icon(bg, lime));
    write_transparent(&dir, "logo", &transparent(logo(white, lime)));
    write(
        &dir,
        "background",
        &banner(345, 505, [30, 80, 110], bg, lime),
    );
    write_transparent(
        &dir,
        "primaryLogo",
        &transparent(bar_logo(126, 30, white, lime)),
    );
    println!("images written under {}", root.display());
}
