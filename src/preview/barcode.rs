//! Barcodes drawn module by module from rxing's encoders, so that the
//! picture scans: QR, PDF417, Aztec and Code 128, and iOS 27's EAN-13,
//! Code 39, Codabar and Interleaved 2 of 5, at module sizes that land on
//! whole pixels at 2×.

use rxing::{BarcodeFormat, MultiFormatWriter, Writer};

use super::svg::Svg;

/// An encoded barcode and the size of its modules.
pub(crate) struct Code {
    matrix: rxing::common::BitMatrix,
    module_w: f64,
    module_h: f64,
    /// A 1D code: one row, drawn this tall.
    bar_height: Option<f64>,
}

/// Encodes `message` in Apple's `format` (`PKBarcodeFormatQR`, …).
pub(crate) fn encode(format: &str, message: &str) -> Option<Code> {
    let (f, module_w, module_h, bar_height) = match format {
        "PKBarcodeFormatQR" => (BarcodeFormat::QR_CODE, 4.0, 4.0, None),
        "PKBarcodeFormatAztec" => (BarcodeFormat::AZTEC, 5.0, 5.0, None),
        "PKBarcodeFormatPDF417" => (BarcodeFormat::PDF_417, 1.0, 1.0, None),
        "PKBarcodeFormatCode128" => (BarcodeFormat::CODE_128, 1.5, 1.0, Some(56.0)),
        "PKBarcodeFormatEAN13" => (BarcodeFormat::EAN_13, 2.0, 1.0, Some(56.0)),
        "PKBarcodeFormatCode39" => (BarcodeFormat::CODE_39, 1.0, 1.0, Some(56.0)),
        "PKBarcodeFormatCodabar" => (BarcodeFormat::CODABAR, 1.0, 1.0, Some(56.0)),
        "PKBarcodeFormatI2of5" => (BarcodeFormat::ITF, 1.5, 1.0, Some(56.0)),
        _ => return None,
    };
    let matrix = MultiFormatWriter.encode(message, &f, 0, 0).ok()?;
    // Keep the code within the card: shrink the modules of a long message.
    let width = f64::from(matrix.width()) * module_w;
    let shrink = (280.0 / width).min(1.0);
    let shrink = if shrink < 1.0 {
        (shrink * 2.0).floor().max(1.0) / 2.0
    } else {
        1.0
    };
    Some(Code {
        matrix,
        module_w: module_w * shrink,
        module_h: module_h * shrink,
        bar_height,
    })
}

impl Code {
    /// Its size in points.
    pub(crate) fn size_pt(&self) -> (f64, f64) {
        let w = f64::from(self.matrix.width()) * self.module_w;
        let h = self
            .bar_height
            .unwrap_or(f64::from(self.matrix.height()) * self.module_h);
        (w, h)
    }

    /// Draws it with its top left at (`x`, `y`), runs of dark modules as
    /// one rectangle.
    pub(crate) fn draw(&self, svg: &mut Svg, x: f64, y: f64) {
        let (mw, mh) = (self.module_w, self.module_h);
        let rows = if self.bar_height.is_some() {
            1
        } else {
            self.matrix.height()
        };
        let row_h = self.bar_height.unwrap_or(mh);
        for r in 0..rows {
            let mut c = 0;
            while c < self.matrix.width() {
                if self.matrix.get(c, r) {
                    let start = c;
                    while c < self.matrix.width() && self.matrix.get(c, r) {
                        c += 1;
                    }
                    svg.module(
                        x + f64::from(start) * mw,
                        y + f64::from(r) * row_h,
                        f64::from(c - start) * mw,
                        row_h,
                    );
                } else {
                    c += 1;
                }
            }
        }
    }
}
