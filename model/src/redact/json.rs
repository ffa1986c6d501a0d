//! JSON of any shape (unknown event kinds, exports, diagnoses), redacted by
//! the key each value sits under.

use serde_json::{Map, Value};

use super::shape::is_secret_name;
use super::{Fingerprint, Redactor, mask_email};

/// Keys whose string values are URLs (absolute or relative).
const URL_KEYS: &[&str] = &[
    "url",
    "location",
    "href",
    "path",
    "referrer",
    "referer",
    "redirect",
    "redirect_url",
    "redirecturl",
];

/// Keys that hold names, never secret values (even if the name sounds secret).
const NAME_KEYS: &[&str] = &[
    "name",
    "key",
    "kind",
    "cookie_path",
    "set_cookie_deletions",
    "setcookiedeletions",
];

/// Keys that hold header names and values.
const HEADER_KEYS: &[&str] = &["headers", "request_headers", "response_headers"];

impl Redactor {
    /// Scrubs any JSON value in place; `key` is the field it sits under (it
    /// chooses the rule: credentials by name, URLs, e-mails, headers,
    /// fingerprints; free text otherwise). Object keys are scrubbed as text.
    /// Idempotent.
    pub fn scrub_json(&self, key: Option<&str>, v: &mut Value) {
        match v {
            Value::String(s) => {
                let clean = self.json_string(key, s);
                if clean != *s {
                    *s = clean;
                }
            }
            Value::Array(items) => {
                for item in items.iter_mut() {
                    self.scrub_json(key, item);
                }
            }
            Value::Object(map) => {
                self.scrub_keys(map);
                if key.is_some_and(|k| HEADER_KEYS.contains(&k.to_ascii_lowercase().as_str())) {
                    self.headers(map);
                } else {
                    for (k, item) in map.iter_mut() {
                        self.scrub_json(Some(k), item);
                    }
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    /// Keys are data too (a cache keyed by token); a key that scrubbing
    /// changes is renamed.
    fn scrub_keys(&self, map: &mut Map<String, Value>) {
        let renamed: Vec<(String, String)> = map
            .keys()
            .filter_map(|k| {
                let clean = self.scrub_text(k);
                (clean != *k).then(|| (k.clone(), clean))
            })
            .collect();
        for (old, new) in renamed {
            if let Some(v) = map.remove(&old) {
                map.insert(new, v);
            }
        }
    }

    /// HAR-style `{name, value}` pairs and `{name: value}` maps of headers.
    fn headers(&self, map: &mut Map<String, Value>) {
        let pair = map.get("name").and_then(Value::as_str).map(str::to_owned);
        if let (Some(name), Some(Value::String(value))) = (pair, map.get_mut("value")) {
            *value = self.header(&name, value);
            if let Some(Value::String(n)) = map.get_mut("name") {
                *n = self.scrub_text(n);
            }
            return;
        }
        for (name, value) in map.iter_mut() {
            match value {
                Value::String(s) => *s = self.header(name, s),
                // A list of header objects, or a header repeated as an array.
                Value::Array(items) => {
                    for item in items {
                        match item {
                            Value::String(s) => *s = self.header(name, s),
                            Value::Object(m) => self.headers(m),
                            other => self.scrub_json(Some(name), other),
                        }
                    }
                }
                other => self.scrub_json(Some(name), other),
            }
        }
    }

    fn json_string(&self, key: Option<&str>, s: &str) -> String {
        let Some(k) = key else {
            return self.scrub_text(s);
        };
        let lk = k.to_ascii_lowercase();
        if NAME_KEYS.contains(&lk.as_str()) {
            return self.scrub_text(s);
        }
        if lk.ends_with("fp") {
            return self.fingerprint_field(s);
        }
        if matches!(
            lk.as_str(),
            "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
        ) {
            return self.header(k, s);
        }
        if URL_KEYS.contains(&lk.as_str()) {
            return self.url(s);
        }
        if lk.contains("email") && !self.options.keep_email {
            return self.scrub_text(&mask_email(s));
        }
        if is_secret_name(&lk) {
            return self.placeholder(s);
        }
        self.scrub_text(s)
    }

    /// A value that should be a fingerprint: kept when it is one, otherwise
    /// (a careless producer put the value itself there) fingerprinted.
    pub(super) fn fingerprint_field(&self, s: &str) -> String {
        if s.is_empty() || Fingerprint(s.to_owned()).is_well_formed() {
            s.to_owned()
        } else {
            self.fingerprint(s).0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::redactor;
    use serde_json::json;

    #[test]
    fn unknown_kind_bodies_are_scrubbed_by_key() {
        let r = redactor();
        let mut v = json!({
            "kind": "custom",
            "authorization": "Bearer rawsecretvalue1",
            "cookie": "sid=rawcookievalue; theme=dark",
            "headers": {"Set-Cookie": "sid=rawcookie2; Path=/", "Accept": "text/html"},
            "request": {"headers": [{"name": "X-Api-Key", "value": "rawkey123"}]},
            "refresh_token": "opaque-refresh-1",
            "user_email": "alice@example.com",
            "url": "/cb?code=rawcode1",
            "note": "Bearer rawbearer99 and eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
            "access_token_fp": "0123456789abcdef",
            "session_fp": "not-a-fingerprint",
            "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.": 1,
        });
        r.scrub_json(None, &mut v);
        let text = v.to_string();
        for secret in [
            "rawsecretvalue1",
            "rawcookievalue",
            "rawcookie2",
            "opaque-refresh-1",
            "alice@",
            "rawcode1",
            "rawkey123",
            "rawbearer99",
            "eyJ",
            "not-a-fingerprint",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        // Structure and names stay debuggable.
        assert!(
            text.contains("sid=[fp:") && text.contains("theme=[fp:") && text.contains("text/html"),
            "{text}"
        );
        assert_eq!(v["access_token_fp"], "0123456789abcdef");
        assert_eq!(v["request"]["headers"][0]["name"], "X-Api-Key");
        let mut again = v.clone();
        r.scrub_json(None, &mut again);
        assert_eq!(again, v, "idempotent");
    }

    #[test]
    fn redacted_tokens_pass_unchanged() {
        let r = redactor();
        let token = json!({"fp": "00112233445566aa", "len": 212,
            "claims": {"kind": "access", "alg": "HS256", "exp": 1_764_000_900, "iss": "https://idp.test"}});
        let mut v = json!({"token": token.clone(), "previous": token.clone()});
        r.scrub_json(None, &mut v);
        assert_eq!(v["token"], token);
        assert_eq!(v["previous"], token);
    }
}
