//! Every string of every event kind, envelope included: each payload says
//! what its strings are ([`Strings`]), and a [`StringPass`] rewrites them by
//! what they are. The scrubber is one such pass; the wire's URL redaction
//! (`crate::wire`) another.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::event::{
    Activity, AppReport, CookieChange, Event, HttpExchange, IdleStateChange, LogoutAction,
    LogoutObserved, Navigation, PageLifecycle, StorageChange, TimeSample, UserId,
};

use super::{Fingerprint, RedactedToken, Redactor, TokenClaims, mask_email};

/// A rewrite of an event's strings, by what each holds. Every method leaves
/// its string alone unless the pass says otherwise.
pub(crate) trait StringPass {
    /// A URL or a URL's path.
    fn url(&mut self, _s: &mut String) {}
    /// Free text: names, labels, stacks, messages, codes.
    fn text(&mut self, _s: &mut String) {}
    /// An e-mail address the app reported.
    fn email(&mut self, _s: &mut String) {}
    /// A server's error code (`X-Auth-Error-Code`): a short code stays,
    /// anything else is a value.
    fn auth_code(&mut self, _s: &mut String) {}
    /// A value already redacted by its producer.
    fn token(&mut self, _t: &mut RedactedToken) {}
    /// A fingerprint.
    fn fingerprint(&mut self, _fp: &mut Fingerprint) {}
    /// JSON of any shape (an unknown kind's body).
    fn json(&mut self, _body: &mut Map<String, Value>) {}
}

/// A payload's strings, each handed to the pass by what it holds. A new
/// string field must be listed here; the tests below fill every field of
/// every kind with a secret and fail when one survives the scrubber.
pub(crate) trait Strings {
    fn strings<P: StringPass>(&mut self, pass: &mut P);
}

fn opt<P: StringPass>(s: Option<&mut String>, pass: &mut P, f: fn(&mut P, &mut String)) {
    if let Some(s) = s {
        f(pass, s);
    }
}

impl Strings for StorageChange {
    fn strings<P: StringPass>(&mut self, pass: &mut P) {
        pass.text(&mut self.key);
        if let Some(t) = self.token.as_mut() {
            pass.token(t);
        }
        if let Some(t) = self.previous.as_mut() {
            pass.token(t);
        }
        opt(self.stack.as_mut(), pass, P::text);
    }
}

impl Strings for CookieChange {
    fn strings<P: StringPass>(&mut self, pass: &mut P) {
        pass.text(&mut self.name);
        pass.text(&mut self.domain);
        pass.url(&mut self.cookie_path);
        if let Some(t) = self.value.as_mut() {
            pass.token(t);
        }
        opt(self.request_id.as_mut(), pass, P::text);
    }
}

impl Strings for HttpExchange {
    fn strings<P: StringPass>(&mut self, pass: &mut P) {
        opt(self.request_id.as_mut(), pass, P::text);
        pass.text(&mut self.method);
        pass.url(&mut self.url);
        opt(self.error.as_mut(), pass, P::text);
        // The server's reason stays; credentials in it go (what
        // `Redactor::header("www-authenticate", …)` does).
        opt(self.www_authenticate.as_mut(), pass, P::text);
        opt(self.auth_error_code.as_mut(), pass, P::auth_code);
        opt(self.location.as_mut(), pass, P::url);
        opt(self.date.as_mut(), pass, P::text);
        for name in &mut self.set_cookie_deletions {
            pass.text(name);
        }
        if let Some(fp) = self.refresh_token_fp.as_mut() {
            pass.fingerprint(fp);
        }
        if let Some(fp) = self.access_token_fp.as_mut() {
            pass.fingerprint(fp);
        }
    }
}

impl Strings for Navigation {
    fn strings<P: StringPass>(&mut self, pass: &mut P) {
        pass.url(&mut self.url);
    }
}

impl Strings for LogoutObserved {
    fn strings<P: StringPass>(&mut self, pass: &mut P) {
        opt(self.url.as_mut(), pass, P::url);
    }
}

impl Strings for LogoutAction {
    fn strings<P: StringPass>(&mut self, pass: &mut P) {
        opt(self.label.as_mut(), pass, P::text);
    }
}

impl Strings for AppReport {
    fn strings<P: StringPass>(&mut self, pass: &mut P) {
        pass.text(&mut self.report_type);
        pass.text(&mut self.message);
        opt(self.location.as_mut(), pass, P::url);
        if let Some(c) = self.context.as_mut() {
            opt(c.user_email.as_mut(), pass, P::email);
            if let Some(UserId::Text(t)) = c.user_id.as_mut() {
                pass.text(t);
            }
        }
    }
}

/// Kinds whose fields hold no string.
macro_rules! no_strings {
    ($($t:ty),*) => {
        $(impl Strings for $t {
            fn strings<P: StringPass>(&mut self, _pass: &mut P) {}
        })*
    };
}
no_strings!(Activity, IdleStateChange, PageLifecycle, TimeSample);

/// The scrubber's pass.
struct Scrub<'r>(&'r Redactor);

impl StringPass for Scrub<'_> {
    fn url(&mut self, s: &mut String) {
        if let Cow::Owned(clean) = self.0.url_cow(s) {
            *s = clean;
        }
    }

    fn text(&mut self, s: &mut String) {
        if let Cow::Owned(clean) = self.0.text_cow(s) {
            *s = clean;
        }
    }

    fn auth_code(&mut self, s: &mut String) {
        replace_if_changed(s, self.0.auth_code(s));
    }

    fn email(&mut self, s: &mut String) {
        let masked = if self.0.options.keep_email {
            s.clone()
        } else {
            mask_email(s)
        };
        replace_if_changed(s, self.0.scrub_text(&masked));
    }

    /// A redacted token passes unchanged; what a careless producer could
    /// have put in its strings is scrubbed.
    fn token(&mut self, t: &mut RedactedToken) {
        self.fingerprint(&mut t.fp);
        if let Some(c) = t.claims.as_mut() {
            self.0.scrub_claims(c);
        }
    }

    /// A well-formed fingerprint (or none) is left as it is.
    fn fingerprint(&mut self, fp: &mut Fingerprint) {
        if !fp.is_well_formed() && !fp.0.is_empty() {
            fp.0 = self.0.fingerprint_field(&fp.0);
        }
    }

    fn json(&mut self, body: &mut Map<String, Value>) {
        let mut v = Value::Object(std::mem::take(body));
        self.0.scrub_json(None, &mut v);
        if let Value::Object(m) = v {
            *body = m;
        }
    }
}

impl Redactor {
    /// Scrubs every string of the event in place: the envelope (`id`,
    /// `origin`, `path`), URLs, header values, names, labels, stacks, notes,
    /// redacted tokens' fingerprints and claims, and the whole body of an
    /// unknown kind. Idempotent: a scrubbed event comes out unchanged.
    pub fn scrub_event(&self, event: &mut Event) {
        event.strings(&mut Scrub(self));
    }

    /// The claims kept of a JWT: strings scrubbed as text; the subject only
    /// as a fingerprint unless the user opted in.
    pub(super) fn scrub_claims(&self, c: &mut TokenClaims) {
        let mut pass = Scrub(self);
        opt(c.alg.as_mut(), &mut pass, Scrub::text);
        opt(c.iss.as_mut(), &mut pass, Scrub::text);
        for a in &mut c.aud {
            pass.text(a);
        }
        opt(c.jti.as_mut(), &mut pass, Scrub::text);
        if !self.options.keep_sub {
            if let Some(sub) = c.sub.take() {
                c.sub_fp.get_or_insert_with(|| self.fingerprint(&sub));
            }
        }
        opt(c.sub.as_mut(), &mut pass, Scrub::text);
        if let Some(fp) = c.sub_fp.as_mut() {
            pass.fingerprint(fp);
        }
    }
}

fn replace_if_changed(s: &mut String, clean: String) {
    if clean != *s {
        *s = clean;
    }
}

#[cfg(test)]
mod tests {
    use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;

    use super::super::tests::redactor;
    use crate::event::{Event, EventKind};

    /// A JWT in every part of a URL, so whatever a field holds (a URL, a
    /// path, text, a header, a fingerprint), the scrubber has something to
    /// take out of it.
    const JWT: &str =
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2VjcmV0LXNpZ25hdHVyZS1ieXRlcw";
    fn secret() -> String {
        format!("https://leak.test/a/{JWT}?code={JWT}#{JWT} {JWT}")
    }

    /// A deserializer that gives every field of a struct a value, every
    /// `Option` `Some`, every list one item, every string the secret and
    /// every enum its first variant: a payload with all its fields filled,
    /// whatever fields it gains later.
    #[derive(Clone, Copy)]
    struct Fill;

    type Error = de::value::Error;

    impl<'de> de::Deserializer<'de> for Fill {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_string(secret())
        }
        fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_bool(true)
        }
        fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_i64(1)
        }
        fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_i64(1)
        }
        fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_u64(1)
        }
        fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_u64(1)
        }
        fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_u64(1)
        }
        fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_u64(1)
        }
        fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_f64(1.0)
        }
        fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_some(self)
        }
        fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_seq(One(Some(self)))
        }
        fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.visit_map(Fields {
                names: vec!["note"],
                value: None,
            })
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Error> {
            v.visit_map(Fields {
                names: fields.to_vec(),
                value: None,
            })
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            variants: &'static [&'static str],
            v: V,
        ) -> Result<V::Value, Error> {
            v.visit_enum(variants[0].into_deserializer())
        }
        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            v: V,
        ) -> Result<V::Value, Error> {
            v.visit_newtype_struct(self)
        }

        serde::forward_to_deserialize_any! {
            i8 i16 i128 u128 f32 char str string bytes byte_buf
            unit unit_struct tuple tuple_struct identifier ignored_any
        }
    }

    struct One(Option<Fill>);

    impl<'de> SeqAccess<'de> for One {
        type Error = Error;
        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Error> {
            self.0.take().map(|f| seed.deserialize(f)).transpose()
        }
    }

    struct Fields {
        names: Vec<&'static str>,
        value: Option<Fill>,
    }

    impl<'de> MapAccess<'de> for Fields {
        type Error = Error;
        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Error> {
            if self.names.is_empty() {
                return Ok(None);
            }
            let name = self.names.remove(0);
            self.value = Some(Fill);
            seed.deserialize(name.into_deserializer()).map(Some)
        }
        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
            seed.deserialize(self.value.take().unwrap_or(Fill))
        }
    }

    /// Every kind this build knows, every field filled, in a filled envelope.
    fn filled() -> Vec<Event> {
        let kinds = EventKind::each_from(|| Fill);
        assert_eq!(kinds.len(), EventKind::KNOWN.len());
        kinds
            .into_iter()
            .chain([EventKind::Other {
                kind: secret(),
                body: [("nested".to_owned(), serde_json::json!({ "a": [secret()] }))]
                    .into_iter()
                    .collect(),
            }])
            .map(|kind| Event {
                origin: Some(secret()),
                path: Some(secret()),
                ..Event::new(secret(), 1, kind)
            })
            .collect()
    }

    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            Value::Object(m) => m.iter().for_each(|(k, v)| {
                out.push(k.clone());
                strings(v, out);
            }),
            _ => {}
        }
    }

    /// A new field that the scrubber does not know is a test failure, not
    /// a leak: every string of every kind, filled with a JWT, comes out
    /// without it.
    #[test]
    fn no_field_of_any_kind_escapes_the_scrubber() {
        let r = redactor();
        let parts: Vec<&str> = JWT.split('.').collect();
        for mut e in filled() {
            let raw = serde_json::to_value(&e).unwrap();
            let mut before = Vec::new();
            strings(&raw, &mut before);
            assert!(
                before.iter().filter(|s| s.contains(JWT)).count() >= 2,
                "{}: the fill reached its fields: {raw}",
                e.kind.name()
            );
            r.scrub_event(&mut e);
            let v = serde_json::to_value(&e).unwrap();
            let mut after = Vec::new();
            strings(&v, &mut after);
            for s in after {
                for p in &parts {
                    assert!(!s.contains(p), "{}: `{s}` in {v}", e.kind.name());
                }
            }
            // The JSON-level scrub finds nothing more to take.
            let mut again = v.clone();
            r.scrub_json(None, &mut again);
            let mut left = Vec::new();
            strings(&again, &mut left);
            let mut had = Vec::new();
            strings(&v, &mut had);
            assert_eq!(left.len(), had.len());
            for (a, b) in left.iter().zip(&had) {
                assert!(
                    crate::redact::is_redaction_mark(a) || a == b || !b.contains("eyJ"),
                    "{}: {b} → {a}",
                    e.kind.name()
                );
            }
            // Idempotent.
            let mut twice = e.clone();
            r.scrub_event(&mut twice);
            assert_eq!(twice, e);
        }
    }

    /// A payload's own fields never share a name with the envelope's: the
    /// fast reader reads a kind's body from the whole event's text.
    #[test]
    fn no_payload_field_is_named_like_an_envelope_field() {
        const ENVELOPE: &[&str] = &[
            "schema", "id", "ts_ms", "origin", "path", "tab", "frame", "source", "kind",
        ];
        for e in filled() {
            if let EventKind::Other { .. } = e.kind {
                continue;
            }
            let v = serde_json::to_value(e.kind.payload()).unwrap();
            for key in v.as_object().unwrap().keys() {
                assert!(
                    !ENVELOPE.contains(&key.as_str()),
                    "{}: {key}",
                    e.kind.name()
                );
            }
        }
    }
}
