//! Issuing: template + row + stamp → a signed `.pkpass`, one at a time or a
//! chunk at a time on rayon's threads. Sync and IO-free.

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::apple::{build_pkpass_reusing, PassFile, Pkpass, PkpassError, SigningIdentity};
use crate::google::{map_pass, save_jwt, GoogleConfig, GoogleError, SaveJwt};
use crate::model::{AuthToken, IdError, SerialNumber};
use crate::template::{
    FieldError, PassOverrides, RenderError, RenderInput, RenderedPass, Template,
};

/// What makes one pass unique besides its fields: its serial number, its web
/// service token and its signing time, all chosen by the caller.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// The serial number.
    pub serial_number: SerialNumber,
    /// The web service token.
    pub authentication_token: AuthToken,
    /// The CMS signingTime (and the ZIP entries' time).
    pub signing_time: DateTime<Utc>,
}

impl Stamp {
    /// A stamp from strings.
    ///
    /// # Errors
    /// When the serial number or token is not valid.
    pub fn new(
        serial_number: &str,
        authentication_token: &str,
        signing_time: DateTime<Utc>,
    ) -> Result<Self, IdError> {
        Ok(Self {
            serial_number: SerialNumber::parse(serial_number)?,
            authentication_token: AuthToken::parse(authentication_token)?,
            signing_time,
        })
    }
}

/// Takes the optional `serialNumber` out of a row's values.
///
/// # Errors
/// A [`FieldError`] when the value is not a valid serial number.
pub fn take_serial_number(
    values: &mut Map<String, Value>,
) -> Result<Option<SerialNumber>, FieldError> {
    match values.remove("serialNumber") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => SerialNumber::parse(&s).map(Some).map_err(|e| FieldError {
            field: "serialNumber".into(),
            message: e.to_string(),
        }),
        Some(Value::Number(n)) => {
            SerialNumber::parse(&n.to_string())
                .map(Some)
                .map_err(|e| FieldError {
                    field: "serialNumber".into(),
                    message: e.to_string(),
                })
        }
        Some(other) => Err(FieldError {
            field: "serialNumber".into(),
            message: format!("expected a string, got {other}"),
        }),
    }
}

/// One issued pass.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuedPass {
    /// Its serial number.
    pub serial_number: SerialNumber,
    /// The signed `.pkpass` (none when Apple output was not asked for).
    pub pkpass: Option<Pkpass>,
    /// The Google save link, when Google output was asked for.
    pub google: Option<GoogleSave>,
    /// The rendered pass (pass.json tree, normalized fields, warnings).
    pub rendered: RenderedPass,
}

/// A pass's Google Wallet side.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GoogleSave {
    /// `<issuerId>.<suffix>` of the object.
    pub object_id: String,
    /// `<issuerId>.<suffix>` of the class.
    pub class_id: String,
    /// The signed JWT, its URL and any warnings.
    pub save: SaveJwt,
}

/// Why one pass could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The row's values or the rendered pass were invalid.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Packaging or signing failed.
    #[error(transparent)]
    Package(#[from] PkpassError),
    /// The Google side could not be made.
    #[error("google: {0}")]
    Google(#[from] GoogleError),
    /// pass.json could not be serialized.
    #[error("cannot serialize pass.json: {0}")]
    Json(#[from] serde_json::Error),
}

/// Everything needed to issue passes from one template: built with
/// [`Issuer::new`] and the setters below (Apple only, no web service, no
/// Google by default).
///
/// ```no_run
/// # use passforge::issue::Issuer;
/// # fn f(template: &passforge::template::Template, identity: &passforge::apple::SigningIdentity) {
/// let issuer = Issuer::new(template, identity).web_service_url(Some("https://passes.example.com/apple"));
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Issuer<'a> {
    template: &'a Template,
    identity: &'a SigningIdentity,
    web_service_url: Option<&'a str>,
    apple: bool,
    google: Option<&'a GoogleConfig>,
    google_skinny: bool,
    reuse: Option<&'a [u8]>,
}

impl<'a> Issuer<'a> {
    /// Issues `.pkpass` files from `template`, signed by `identity`.
    pub fn new(template: &'a Template, identity: &'a SigningIdentity) -> Self {
        Self {
            template,
            identity,
            web_service_url: None,
            apple: true,
            google: None,
            google_skinny: false,
            reuse: None,
        }
    }

    /// A signature kept from an earlier signing of the same pass version:
    /// its `.pkpass` reuses it instead of signing when it is exactly this
    /// identity's signature of the manifest at the stamp's time (see
    /// [`crate::apple::build_pkpass_reusing`]), else signs as usual.
    pub fn reuse_signature(mut self, signature: Option<&'a [u8]>) -> Self {
        self.reuse = signature;
        self
    }

    /// The PassKit web service URL written into passes (each then gets its
    /// own authentication token); `None` leaves both keys out.
    #[must_use]
    pub fn web_service_url(mut self, url: Option<&'a str>) -> Self {
        self.web_service_url = url;
        self
    }

    /// Whether each pass gets a signed `.pkpass` (on by default).
    #[must_use]
    pub fn apple(mut self, on: bool) -> Self {
        self.apple = on;
        self
    }

    /// Google Wallet settings: each pass also gets a save link.
    #[must_use]
    pub fn google(mut self, google: Option<&'a GoogleConfig>) -> Self {
        self.google = google;
        self
    }

    /// Save links reference classes and objects inserted over REST instead
    /// of carrying them.
    #[must_use]
    pub fn google_skinny(mut self, on: bool) -> Self {
        self.google_skinny = on;
        self
    }

    /// The template.
    pub fn template(&self) -> &'a Template {
        self.template
    }
}

impl Issuer<'_> {
    /// Renders only (no signing): validates the row and returns the pass.json tree.
    ///
    /// # Errors
    /// [`RenderError`] naming the bad field or location.
    pub fn render(
        &self,
        fields: &Map<String, Value>,
        stamp: &Stamp,
    ) -> Result<RenderedPass, RenderError> {
        self.render_with(fields, stamp, None)
    }

    /// Renders only, with per-pass changes on top of the template (as
    /// [`Issuer::issue_with`] would sign them) when `overrides` is given.
    ///
    /// # Errors
    /// [`RenderError`] naming the bad field or location.
    pub fn render_with(
        &self,
        fields: &Map<String, Value>,
        stamp: &Stamp,
        overrides: Option<&PassOverrides>,
    ) -> Result<RenderedPass, RenderError> {
        self.template.render(&RenderInput {
            fields,
            serial_number: &stamp.serial_number,
            authentication_token: &stamp.authentication_token,
            web_service_url: self.web_service_url,
            pass_type_identifier: self.identity.pass_type_id(),
            team_identifier: self.identity.team_id(),
            overrides,
        })
    }

    /// Checks a row as issuing it would, without signing anything: its
    /// fields, the rendered pass.json and (with Google) its mapping to a
    /// Google class and object. A batch can be checked this way, at render
    /// speed, before it is issued.
    ///
    /// # Errors
    /// The [`IssueError`] issuing the row would give.
    pub fn check(&self, fields: &Map<String, Value>, stamp: &Stamp) -> Result<(), IssueError> {
        let rendered = self.render(fields, stamp)?;
        if let Some(config) = self.google {
            map_pass(&rendered, self.template, config)?;
        }
        Ok(())
    }

    /// The Google class and object of a pass (rendered with `overrides`),
    /// for the Wallet Objects REST API.
    ///
    /// # Errors
    /// [`IssueError`] when the row is invalid or cannot be mapped; also when
    /// this issuer has no Google configuration.
    pub fn google_pass(
        &self,
        fields: &Map<String, Value>,
        stamp: &Stamp,
        overrides: &PassOverrides,
    ) -> Result<crate::google::GooglePass, IssueError> {
        let config = self.google.ok_or_else(|| {
            IssueError::Google(GoogleError::ServiceAccount(
                "Google Wallet is not configured".to_owned(),
            ))
        })?;
        let rendered = self.render_with(fields, stamp, Some(overrides))?;
        Ok(map_pass(&rendered, self.template, config)?)
    }

    /// Like [`Issuer::issue`] with per-pass changes on top of the template
    /// (label overrides, relevant and expiration dates, voided), checked
    /// with the rest of the concrete pass.json.
    ///
    /// # Errors
    /// As [`Issuer::issue`].
    pub fn issue_with(
        &self,
        fields: &Map<String, Value>,
        stamp: &Stamp,
        overrides: &PassOverrides,
    ) -> Result<IssuedPass, IssueError> {
        self.finish_with(
            self.render_with(fields, stamp, Some(overrides))?,
            stamp,
            Vec::new(),
            overrides.personalized,
        )
    }

    /// Issues one pass: renders it once, then signs the `.pkpass` (if
    /// `apple`) and the Google save JWT (if `google`), both at the stamp's time.
    ///
    /// # Errors
    /// [`IssueError`] when the row is invalid, the pass cannot be mapped to
    /// Google, or signing fails.
    pub fn issue(
        &self,
        fields: &Map<String, Value>,
        stamp: &Stamp,
    ) -> Result<IssuedPass, IssueError> {
        self.issue_into(fields, stamp, Vec::new())
    }

    /// Like [`Issuer::issue`], building the `.pkpass`'s own bytes in `buf`
    /// (cleared first), so a batch can recycle its buffers instead of
    /// allocating one per pass.
    ///
    /// # Errors
    /// As [`Issuer::issue`].
    pub fn issue_into(
        &self,
        fields: &Map<String, Value>,
        stamp: &Stamp,
        buf: Vec<u8>,
    ) -> Result<IssuedPass, IssueError> {
        self.finish(self.render(fields, stamp)?, stamp, buf)
    }

    /// Packages and signs a rendered pass.
    fn finish(
        &self,
        rendered: RenderedPass,
        stamp: &Stamp,
        buf: Vec<u8>,
    ) -> Result<IssuedPass, IssueError> {
        self.finish_with(rendered, stamp, buf, false)
    }

    /// Packages and signs a rendered pass; a personalizable template's
    /// passes carry its `personalization.json` until `personalized`.
    fn finish_with(
        &self,
        rendered: RenderedPass,
        stamp: &Stamp,
        buf: Vec<u8>,
        personalized: bool,
    ) -> Result<IssuedPass, IssueError> {
        let extra: Vec<PassFile> = match self.template.personalization() {
            Some(p) if !personalized => vec![PassFile {
                name: crate::template::personalize::FILE.to_owned(),
                bytes: p.json.clone(),
            }],
            _ => Vec::new(),
        };
        let pkpass = if self.apple {
            let pass_json = serde_json::to_vec(&rendered.pass_json)?;
            Some(build_pkpass_reusing(
                &pass_json,
                self.template.packed_assets(),
                &extra,
                self.identity,
                stamp.signing_time,
                buf,
                self.reuse,
            )?)
        } else {
            None
        };
        let google = match self.google {
            Some(config) => {
                let mapped = map_pass(&rendered, self.template, config)?;
                let save = save_jwt(&mapped, config, stamp.signing_time, self.google_skinny)?;
                Some(GoogleSave {
                    object_id: mapped.object_id,
                    class_id: mapped.class_id,
                    save,
                })
            }
            None => None,
        };
        Ok(IssuedPass {
            serial_number: stamp.serial_number.clone(),
            pkpass,
            google,
            rendered,
        })
    }

    /// Issues a chunk of passes in parallel on the current rayon pool. Results
    /// come back in input order, one per item, so one bad row never discards
    /// the others.
    pub fn issue_chunk<T: Send>(
        &self,
        items: Vec<(T, Map<String, Value>, Stamp)>,
    ) -> Vec<(T, Result<IssuedPass, IssueError>)> {
        items
            .into_par_iter()
            .map(|(tag, fields, stamp)| {
                let r = self.issue(&fields, &stamp);
                (tag, r)
            })
            .collect()
    }
}
