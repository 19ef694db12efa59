//! Apple's Pass Builder personalization payloads: a `PassPackage` protobuf
//! message (Pass Builder's `Protobufs/`, proto3) read as one row of data.
//! What a row can carry is read: the pass's `serial_number` and the field
//! values of `pass.fields.field_customization.value_for_key` (text,
//! attributed text, dates, integers and decimals), so a `.pb` fills the
//! columns of a template (a Pass Designer bundle's field keys). Anything
//! else in the payload is refused by name rather than dropped.
//!
//! A hand-written reader of the protobuf wire format: the payload needs
//! five message types, and a code generator would need `protoc`.

use serde_json::{Map, Number, Value};

/// One field of a message on the wire.
#[derive(Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

/// Reads the fields of one message.
struct Fields<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn new(b: &'a [u8]) -> Self {
        Self { b, at: 0 }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self
                .b
                .get(self.at)
                .ok_or("the payload ends inside a number")?;
            self.at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or("the payload ends inside a field")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    /// The next field number and value, or `None` at the end.
    fn next(&mut self) -> Result<Option<(u64, Wire<'a>)>, String> {
        if self.at >= self.b.len() {
            return Ok(None);
        }
        let tag = self.varint()?;
        let value = match tag & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                let b = self.take(8)?;
                Wire::Fixed64(u64::from_le_bytes(b.try_into().map_err(|_| "8 bytes")?))
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| "a field too long")?;
                Wire::Bytes(self.take(n)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed32
            }
            w => return Err(format!("wire type {w} is not protobuf 3")),
        };
        Ok(Some((tag >> 3, value)))
    }
}

fn bytes<'a>(w: Wire<'a>, at: &str) -> Result<&'a [u8], String> {
    match w {
        Wire::Bytes(b) => Ok(b),
        _ => Err(format!("{at}: expected a message or text")),
    }
}

fn text(w: Wire<'_>, at: &str) -> Result<String, String> {
    String::from_utf8(bytes(w, at)?.to_vec()).map_err(|_| format!("{at}: text that is not UTF-8"))
}

/// What a `PassPackage` field holds, for messages about it.
fn package_field(n: u64) -> &'static str {
    match n {
        2 => "background",
        3 => "artwork",
        4 => "footer",
        5 => "icon",
        6 => "logo",
        7 => "primaryLogo",
        8 => "secondaryLogo",
        9 => "strip",
        10 => "thumbnail",
        _ => "an unknown field",
    }
}

/// The row a personalization payload carries: `serialNumber` and a value
/// per field key.
///
/// # Errors
/// What is malformed or not supported, with its path in the message
/// (`pass.fields.header_fields`, `pass (field 22)`).
pub fn row(payload: &[u8]) -> Result<Map<String, Value>, String> {
    let mut row = Map::new();
    let mut package = Fields::new(payload);
    while let Some((n, w)) = package.next()? {
        match n {
            1 => pass(bytes(w, "pass")?, &mut row)?,
            n => {
                return Err(format!(
                    "the payload's image {} (PassPackage field {n}) is not supported: put images in the template",
                    package_field(n)
                ))
            }
        }
    }
    Ok(row)
}

fn pass(b: &[u8], row: &mut Map<String, Value>) -> Result<(), String> {
    let mut f = Fields::new(b);
    while let Some((n, w)) = f.next()? {
        match n {
            2 => {
                row.insert("serialNumber".into(), Value::String(text(w, "pass.serial_number")?));
            }
            11 => fields(bytes(w, "pass.fields")?, row)?,
            n => {
                return Err(format!(
                    "pass (Pass field {n}) is not supported in a payload: set it in the template, or give a field value in pass.fields.field_customization"
                ))
            }
        }
    }
    Ok(())
}

fn fields(b: &[u8], row: &mut Map<String, Value>) -> Result<(), String> {
    let mut f = Fields::new(b);
    while let Some((n, w)) = f.next()? {
        match n {
            1 => customization(bytes(w, "pass.fields.field_customization")?, row)?,
            n => {
                return Err(format!(
                    "pass.fields (PassFields field {n}): explicit field lists are not supported; give values by key in field_customization"
                ))
            }
        }
    }
    Ok(())
}

fn customization(b: &[u8], row: &mut Map<String, Value>) -> Result<(), String> {
    let at = "pass.fields.field_customization";
    let mut f = Fields::new(b);
    while let Some((n, w)) = f.next()? {
        if n != 1 {
            return Err(format!(
                "{at}.visibility_for_key is not supported: a template shows the fields its pass.json has"
            ));
        }
        let mut entry = Fields::new(bytes(w, at)?);
        let (mut key, mut value) = (None, None);
        while let Some((n, w)) = entry.next()? {
            match n {
                1 => key = Some(text(w, &format!("{at}.value_for_key key"))?),
                2 => value = Some(field_value(bytes(w, at)?, at)?),
                _ => {}
            }
        }
        let key = key.ok_or_else(|| format!("{at}.value_for_key: an entry without its key"))?;
        let value = value.unwrap_or(Value::String(String::new()));
        row.insert(key, value);
    }
    Ok(())
}

fn field_value(b: &[u8], at: &str) -> Result<Value, String> {
    let mut f = Fields::new(b);
    let mut value = Value::String(String::new());
    while let Some((n, w)) = f.next()? {
        value =
            match (n, w) {
                (1 | 2, w) => Value::String(text(w, at)?),
                (3, w) => Value::String(timestamp(bytes(w, at)?, at)?),
                // int64: two's complement in a varint.
                #[allow(clippy::cast_possible_wrap)]
                (4, Wire::Varint(v)) => Value::Number(Number::from(v as i64)),
                (5, Wire::Fixed64(bits)) => Number::from_f64(f64::from_bits(bits))
                    .map(Value::Number)
                    .ok_or_else(|| format!("{at}: a decimal that is not a number"))?,
                (n, _) => {
                    return Err(format!(
                        "{at}: PassFieldValue field {n} is not a value passforge knows"
                    ))
                }
            };
    }
    Ok(value)
}

/// A `google.protobuf.Timestamp` as RFC 3339 (UTC).
fn timestamp(b: &[u8], at: &str) -> Result<String, String> {
    let (mut seconds, mut nanos) = (0i64, 0u32);
    let mut f = Fields::new(b);
    while let Some((n, w)) = f.next()? {
        match (n, w) {
            #[allow(clippy::cast_possible_wrap)]
            (1, Wire::Varint(v)) => seconds = v as i64,
            (2, Wire::Varint(v)) => {
                nanos = u32::try_from(v).map_err(|_| format!("{at}: bad nanoseconds"))?
            }
            _ => {}
        }
    }
    chrono::DateTime::from_timestamp(seconds, nanos)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .ok_or_else(|| format!("{at}: a date out of range"))
}

/// Writing payloads (for tests and examples): the wire format of the few
/// messages [`row`] reads.
pub mod write {
    /// A varint.
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A length-delimited field.
    pub fn bytes(field: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(field << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }

    /// A value of `PassFieldValue`.
    #[derive(Debug, Clone)]
    pub enum FieldValue<'a> {
        /// `value_text`.
        Text(&'a str),
        /// `value_date`, in Unix seconds.
        Date(i64),
        /// `value_int`.
        Int(i64),
        /// `value_double`.
        Double(f64),
    }

    /// A `PassPackage` with a serial number and field values by key.
    pub fn payload(serial: &str, values: &[(&str, FieldValue<'_>)]) -> Vec<u8> {
        let mut custom = Vec::new();
        for (key, value) in values {
            let mut v = Vec::new();
            match value {
                FieldValue::Text(s) => bytes(1, s.as_bytes(), &mut v),
                FieldValue::Date(secs) => {
                    let mut ts = Vec::new();
                    varint(1 << 3, &mut ts);
                    varint(*secs as u64, &mut ts);
                    bytes(3, &ts, &mut v);
                }
                FieldValue::Int(i) => {
                    varint(4 << 3, &mut v);
                    varint(*i as u64, &mut v);
                }
                FieldValue::Double(d) => {
                    varint(5 << 3 | 1, &mut v);
                    v.extend_from_slice(&d.to_bits().to_le_bytes());
                }
            }
            let mut entry = Vec::new();
            bytes(1, key.as_bytes(), &mut entry);
            bytes(2, &v, &mut entry);
            bytes(1, &entry, &mut custom);
        }
        let mut fields = Vec::new();
        bytes(1, &custom, &mut fields);
        let mut pass = Vec::new();
        bytes(2, serial.as_bytes(), &mut pass);
        bytes(11, &fields, &mut pass);
        let mut package = Vec::new();
        bytes(1, &pass, &mut package);
        package
    }
}

#[cfg(test)]
mod tests {
    use super::write::{bytes, payload, FieldValue};
    use super::*;

    #[test]
    fn a_payload_fills_the_serial_and_each_field_by_key() {
        let p = payload(
            "E-42",
            &[
                ("eventName", FieldValue::Text("Jazz Concert")),
                ("eventDate", FieldValue::Date(1_812_222_000)),
                ("guests", FieldValue::Int(-3)),
                ("price", FieldValue::Double(12.5)),
            ],
        );
        let r = row(&p).expect("row");
        assert_eq!(
            Value::Object(r),
            serde_json::json!({
                "serialNumber": "E-42",
                "eventName": "Jazz Concert",
                "eventDate": "2027-06-05T19:00:00Z",
                "guests": -3,
                "price": 12.5
            })
        );
    }

    #[test]
    fn what_a_row_cannot_carry_is_refused_by_name() {
        let mut logo = Vec::new();
        bytes(6, b"png", &mut logo);
        assert!(row(&logo).expect_err("image").contains("logo"));
        let mut pass = Vec::new();
        bytes(7, b"Org", &mut pass);
        let mut package = Vec::new();
        bytes(1, &pass, &mut package);
        assert!(row(&package).expect_err("org").contains("Pass field 7"));
        let mut truncated = payload("E-1", &[("a", FieldValue::Text("b"))]);
        truncated.pop();
        assert!(row(&truncated).is_err());
        assert_eq!(row(&[]).expect("empty"), Map::new());
    }
}
