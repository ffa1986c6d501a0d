//! Every string of every event kind, envelope included.

use std::borrow::Cow;

use crate::event::{AppReport, Event, EventKind, UserId};

use super::{Fingerprint, RedactedToken, Redactor, TokenClaims, mask_email};

impl Redactor {
    /// Scrubs every string of the event in place: the envelope (`id`,
    /// `origin`, `path`), URLs, header values, names, labels, stacks, notes,
    /// redacted tokens' fingerprints and claims, and the whole body of an
    /// unknown kind. Idempotent: a scrubbed event comes out unchanged.
    pub fn scrub_event(&self, event: &mut Event) {
        self.text_field(&mut event.id.0);
        if let Some(o) = event.origin.as_mut() {
            self.url_field(o);
        }
        if let Some(p) = event.path.as_mut() {
            self.url_field(p);
        }
        match &mut event.kind {
            EventKind::StorageChange(c) => {
                self.text_field(&mut c.key);
                self.token_field(c.token.as_mut());
                self.token_field(c.previous.as_mut());
                self.opt_text(c.stack.as_mut());
            }
            EventKind::CookieChange(c) => {
                self.text_field(&mut c.name);
                self.text_field(&mut c.domain);
                self.url_field(&mut c.cookie_path);
                self.token_field(c.value.as_mut());
                self.opt_text(c.request_id.as_mut());
            }
            EventKind::HttpExchange(x) => {
                self.opt_text(x.request_id.as_mut());
                self.text_field(&mut x.method);
                self.url_field(&mut x.url);
                self.opt_text(x.error.as_mut());
                // The server's reason stays; credentials in it go (what
                // `header("www-authenticate", …)` does).
                self.opt_text(x.www_authenticate.as_mut());
                if let Some(c) = x.auth_error_code.as_mut() {
                    replace_if_changed(c, self.auth_code(c));
                }
                if let Some(l) = x.location.as_mut() {
                    self.url_field(l);
                }
                self.opt_text(x.date.as_mut());
                for name in &mut x.set_cookie_deletions {
                    self.text_field(name);
                }
                self.fp_field(x.refresh_token_fp.as_mut());
                self.fp_field(x.access_token_fp.as_mut());
            }
            EventKind::Navigation(n) => self.url_field(&mut n.url),
            EventKind::LogoutObserved(o) => {
                if let Some(u) = o.url.as_mut() {
                    self.url_field(u);
                }
            }
            EventKind::LogoutAction(a) => self.opt_text(a.label.as_mut()),
            EventKind::AppReport(r) => self.app_report(r),
            EventKind::Other { kind, body } => {
                self.text_field(kind);
                let mut v = serde_json::Value::Object(std::mem::take(body));
                self.scrub_json(None, &mut v);
                if let serde_json::Value::Object(m) = v {
                    *body = m;
                }
            }
            EventKind::Activity(_)
            | EventKind::IdleState(_)
            | EventKind::PageLifecycle(_)
            | EventKind::TimeSample(_) => {}
        }
    }

    fn app_report(&self, r: &mut AppReport) {
        self.text_field(&mut r.report_type);
        self.text_field(&mut r.message);
        if let Some(l) = r.location.as_mut() {
            self.url_field(l);
        }
        if let Some(c) = r.context.as_mut() {
            if let Some(e) = c.user_email.as_mut() {
                let masked = if self.options.keep_email {
                    e.clone()
                } else {
                    mask_email(e)
                };
                replace_if_changed(e, self.scrub_text(&masked));
            }
            if let Some(UserId::Text(t)) = c.user_id.as_mut() {
                self.text_field(t);
            }
        }
    }

    /// A redacted token passes unchanged; what a careless producer could have
    /// put in its strings is scrubbed.
    fn token_field(&self, t: Option<&mut RedactedToken>) {
        let Some(t) = t else { return };
        self.fp_field(Some(&mut t.fp));
        if let Some(c) = t.claims.as_mut() {
            self.scrub_claims(c);
        }
    }

    /// The claims kept of a JWT: strings scrubbed as text; the subject only
    /// as a fingerprint unless the user opted in.
    pub(super) fn scrub_claims(&self, c: &mut TokenClaims) {
        self.opt_text(c.alg.as_mut());
        self.opt_text(c.iss.as_mut());
        for a in &mut c.aud {
            self.text_field(a);
        }
        self.opt_text(c.jti.as_mut());
        if !self.options.keep_sub {
            if let Some(sub) = c.sub.take() {
                c.sub_fp.get_or_insert_with(|| self.fingerprint(&sub));
            }
        }
        self.opt_text(c.sub.as_mut());
        self.fp_field(c.sub_fp.as_mut());
    }

    fn fp_field(&self, fp: Option<&mut Fingerprint>) {
        if let Some(fp) = fp.filter(|fp| !fp.is_well_formed() && !fp.0.is_empty()) {
            fp.0 = self.fingerprint_field(&fp.0);
        }
    }

    fn url_field(&self, s: &mut String) {
        if let Cow::Owned(clean) = self.url_cow(s) {
            *s = clean;
        }
    }

    fn text_field(&self, s: &mut String) {
        if let Cow::Owned(clean) = self.text_cow(s) {
            *s = clean;
        }
    }

    fn opt_text(&self, s: Option<&mut String>) {
        if let Some(s) = s {
            self.text_field(s);
        }
    }
}

fn replace_if_changed(s: &mut String, clean: String) {
    if clean != *s {
        *s = clean;
    }
}
