//! Web-storage credentials per origin: what the MAIN-world hook and the
//! periodic scan report, turned into `storage_change` events.

use litemap::LiteMap;
use logout_lens_model::event::{StorageActor, StorageArea, StorageChange, StorageOp};
use logout_lens_model::{Fingerprint, RedactedToken, Redactor, http, jwt};

use crate::input::clip;
use crate::limits;
use crate::policy::Policy;

/// Does this storage entry hold a credential? A JWT anywhere, or a long
/// opaque value under a key that names a token or session (or that the
/// user named as holding one).
pub fn is_credential(key: &str, value: &str, policy: &Policy) -> bool {
    let v = jwt::strip_wrapping(value);
    if jwt::looks_like_jwt(v) {
        return true;
    }
    (http::is_auth_cookie(key) || policy.is_token_key(key))
        && v.len() >= 16
        && v.len() <= limits::VALUE
        && !v.contains(char::is_whitespace)
}

fn area_key(a: StorageArea) -> u8 {
    match a {
        StorageArea::Local => 0,
        StorageArea::Session => 1,
    }
}

#[derive(Debug, Default)]
struct OriginState {
    scanned: bool,
    creds: LiteMap<(u8, String), Fingerprint>,
}

/// One storage operation as reported by the hook.
#[derive(Debug, Clone, Copy)]
pub struct Op<'a> {
    pub area: StorageArea,
    pub op: StorageOp,
    pub key: &'a str,
    pub value: Option<&'a str>,
    pub old: Option<&'a str>,
    pub entries: &'a [(String, String)],
    pub stack: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct Tracker {
    origins: LiteMap<String, OriginState>,
}

impl Tracker {
    /// `origin`'s state; beyond [`limits::SITES_TRACKED`] sites one holding
    /// no credential makes room first.
    fn origin(&mut self, origin: &str) -> &mut OriginState {
        if !self.origins.contains_key(origin) && self.origins.len() >= limits::SITES_TRACKED {
            let spare = self
                .origins
                .iter()
                .find(|(_, s)| s.creds.is_empty())
                .or_else(|| self.origins.iter().next())
                .map(|(o, _)| o.clone());
            if let Some(o) = spare {
                self.origins.remove(&o);
            }
        }
        self.origins.entry(origin.to_owned()).or_default()
    }

    pub fn has_credentials(&self, origin: &str) -> bool {
        self.origins
            .get(origin)
            .is_some_and(|o| !o.creds.is_empty())
    }

    fn redact(r: &Redactor, key: &str, value: &str) -> RedactedToken {
        r.token(clip(value, limits::VALUE), Some(key))
    }

    /// A hooked call by the page's own script. Returns the event worth
    /// recording (credential writes/removals, and every `clear`).
    pub fn hooked(
        &mut self,
        origin: &str,
        op: Op<'_>,
        r: &Redactor,
        policy: &Policy,
    ) -> Option<StorageChange> {
        let state = self.origin(origin);
        let ak = area_key(op.area);
        let key = clip(op.key, limits::KEY);
        let stack = op.stack.map(|s| clip(s, limits::STACK).to_owned());
        match op.op {
            StorageOp::Set => {
                let value = op.value.unwrap_or("");
                let now_cred = is_credential(key, value, policy);
                let was = state.creds.contains_key(&(ak, key.to_owned()))
                    || op.old.is_some_and(|o| is_credential(key, o, policy));
                if !now_cred && !was {
                    return None;
                }
                let token = now_cred.then(|| Self::redact(r, key, value));
                match &token {
                    Some(t) => state.creds.insert((ak, key.to_owned()), t.fp.clone()),
                    None => state.creds.remove(&(ak, key.to_owned())),
                };
                Some(StorageChange {
                    area: op.area,
                    key: key.to_owned(),
                    op: StorageOp::Set,
                    is_jwt: jwt::looks_like_jwt(jwt::strip_wrapping(value)),
                    token,
                    previous: op
                        .old
                        .filter(|o| is_credential(key, o, policy))
                        .map(|o| Self::redact(r, key, o)),
                    actor: StorageActor::PageScript,
                    stack,
                })
            }
            StorageOp::Remove => {
                let tracked = state.creds.remove(&(ak, key.to_owned())).is_some();
                let old_cred = op.old.is_some_and(|o| is_credential(key, o, policy));
                if !tracked && !old_cred {
                    return None;
                }
                Some(StorageChange {
                    area: op.area,
                    key: key.to_owned(),
                    op: StorageOp::Remove,
                    is_jwt: op
                        .old
                        .is_some_and(|o| jwt::looks_like_jwt(jwt::strip_wrapping(o))),
                    token: None,
                    previous: op.old.filter(|_| old_cred).map(|o| Self::redact(r, key, o)),
                    actor: StorageActor::PageScript,
                    stack,
                })
            }
            StorageOp::Clear => {
                state.creds.retain(|(a, _), _| *a != ak);
                let first_jwt = op.entries.iter().take(limits::ENTRIES).find(|(k, v)| {
                    is_credential(k, v, policy) && jwt::looks_like_jwt(jwt::strip_wrapping(v))
                });
                Some(StorageChange {
                    area: op.area,
                    key: String::new(),
                    op: StorageOp::Clear,
                    is_jwt: first_jwt.is_some(),
                    token: None,
                    previous: first_jwt.map(|(k, v)| Self::redact(r, k, v)),
                    actor: StorageActor::PageScript,
                    stack,
                })
            }
        }
    }

    /// The content script's look at storage. The first scan of an origin sets
    /// the baseline silently; later ones report what changed unseen (another
    /// tab, devtools, an extension).
    pub fn scan(
        &mut self,
        origin: &str,
        area: StorageArea,
        entries: &[(String, String)],
        r: &Redactor,
        policy: &Policy,
    ) -> Vec<StorageChange> {
        let state = self.origin(origin);
        let ak = area_key(area);
        // Keyed like `creds` (the last entry for a key wins), so the wasm
        // carries one map type, not two; `values` holds the raw values for
        // the events, looked up from the back for the same last-wins rule.
        let mut now: LiteMap<(u8, String), Fingerprint> = LiteMap::new();
        let mut values: Vec<(String, &str)> = Vec::new();
        for (k, v) in entries.iter().take(limits::ENTRIES) {
            if is_credential(k, v, policy) {
                let k = clip(k, limits::KEY).to_owned();
                let t = Self::redact(r, &k, v);
                now.insert((ak, k.clone()), t.fp);
                values.push((k, v.as_str()));
            }
        }
        let first = !state.scanned;
        let mut out = Vec::new();
        let before: Vec<(String, Fingerprint)> = state
            .creds
            .iter()
            .filter(|((a, _), _)| *a == ak)
            .map(|((_, k), fp)| (k.clone(), fp.clone()))
            .collect();
        for (k, _) in &before {
            if !now.contains_key(&(ak, k.clone())) {
                state.creds.remove(&(ak, k.clone()));
                if !first {
                    out.push(StorageChange {
                        area,
                        key: k.clone(),
                        op: StorageOp::Remove,
                        is_jwt: false,
                        token: None,
                        previous: None,
                        actor: StorageActor::ExtensionScan,
                        stack: None,
                    });
                }
            }
        }
        for ((_, k), fp) in now.iter() {
            let v = values
                .iter()
                .rev()
                .find(|(vk, _)| vk == k)
                .map_or("", |(_, v)| *v);
            let known = before.iter().any(|(bk, bfp)| bk == k && bfp == fp);
            state.creds.insert((ak, k.clone()), fp.clone());
            if !known && !first {
                out.push(StorageChange {
                    area,
                    key: k.clone(),
                    op: StorageOp::Set,
                    is_jwt: jwt::looks_like_jwt(jwt::strip_wrapping(v)),
                    token: Some(Self::redact(r, k, v)),
                    previous: None,
                    actor: StorageActor::ExtensionScan,
                    stack: None,
                });
            }
        }
        if area == StorageArea::Session {
            state.scanned = true;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjMiLCJleHAiOjE3NjQzMjM2MDAsInR5cCI6ImFjY2VzcyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

    fn r() -> Redactor {
        Redactor::new(&[3u8; 32], Default::default()).unwrap()
    }

    fn op<'a>(o: StorageOp, key: &'a str, value: Option<&'a str>, old: Option<&'a str>) -> Op<'a> {
        Op {
            area: StorageArea::Local,
            op: o,
            key,
            value,
            old,
            entries: &[],
            stack: Some("at x (http://h.test/app.js:1:2)"),
        }
    }

    #[test]
    fn credentials() {
        let cases = [
            ("access_token", JWT, true),
            ("anything", JWT, true),
            ("anything", &format!("\"{JWT}\"") as &str, true),
            ("refresh", "0123456789abcdef0123456789abcdef", true),
            ("refresh", "short", false),
            ("theme", "0123456789abcdef0123456789abcdef", false),
            ("session_note", "has some spaces in it, not a token", false),
        ];
        for (k, v, want) in cases {
            assert_eq!(is_credential(k, v, &Policy::default()), want, "{k}={v}");
        }
    }

    #[test]
    fn configured_token_keys() {
        let (key, value) = ("blob_x", "0123456789abcdef0123");
        let none = Policy::default();
        assert!(!is_credential(key, value, &none));
        let named = Policy {
            token_keys: vec!["BLOB_X".into()],
            ..Policy::default()
        };
        assert!(is_credential(key, value, &named));
        assert!(!is_credential(key, "short", &named));
    }

    #[test]
    fn hook_sequence() {
        let r = r();
        let mut t = Tracker::default();
        let o = "http://h.test";
        assert!(
            t.hooked(
                o,
                op(StorageOp::Set, "theme", Some("dark"), None),
                &r,
                &Policy::default()
            )
            .is_none()
        );
        let set = t
            .hooked(
                o,
                op(StorageOp::Set, "access", Some(JWT), None),
                &r,
                &Policy::default(),
            )
            .unwrap();
        assert!(set.is_jwt && set.token.as_ref().unwrap().claims.is_some());
        assert!(t.has_credentials(o));
        let rm = t
            .hooked(
                o,
                op(StorageOp::Remove, "access", None, Some(JWT)),
                &r,
                &Policy::default(),
            )
            .unwrap();
        assert_eq!(rm.op, StorageOp::Remove);
        assert!(rm.is_jwt && rm.previous.is_some());
        assert!(!t.has_credentials(o));
        assert!(
            t.hooked(
                o,
                op(StorageOp::Remove, "theme", None, Some("dark")),
                &r,
                &Policy::default()
            )
            .is_none()
        );
        // clear is always recorded, and names the JWT it took.
        t.hooked(
            o,
            op(StorageOp::Set, "access", Some(JWT), None),
            &r,
            &Policy::default(),
        )
        .unwrap();
        let entries = vec![
            ("access".to_owned(), JWT.to_owned()),
            ("theme".into(), "dark".into()),
        ];
        let clear = t
            .hooked(
                o,
                Op {
                    entries: &entries,
                    ..op(StorageOp::Clear, "", None, None)
                },
                &r,
                &Policy::default(),
            )
            .unwrap();
        assert!(clear.is_jwt && clear.stack.is_some());
        assert!(!t.has_credentials(o));
        let json = serde_json::to_string(&clear).unwrap();
        assert!(!json.contains(JWT));
    }

    #[test]
    fn sites_are_bounded_keeping_those_with_credentials() {
        let r = r();
        let mut t = Tracker::default();
        let signed = "https://keep.test";
        t.hooked(
            signed,
            op(StorageOp::Set, "access", Some(JWT), None),
            &r,
            &Policy::default(),
        );
        for i in 0..(limits::SITES_TRACKED + 10) {
            t.scan(
                &format!("https://f{i}.test"),
                StorageArea::Local,
                &[],
                &r,
                &Policy::default(),
            );
        }
        assert_eq!(t.origins.len(), limits::SITES_TRACKED);
        assert!(t.has_credentials(signed));
    }

    #[test]
    fn scans_diff_after_a_silent_baseline() {
        let r = r();
        let mut t = Tracker::default();
        let o = "http://h.test";
        let with = vec![("access".to_owned(), JWT.to_owned())];
        assert!(
            t.scan(o, StorageArea::Local, &with, &r, &Policy::default())
                .is_empty()
        );
        assert!(
            t.scan(o, StorageArea::Session, &[], &r, &Policy::default())
                .is_empty()
        );
        assert!(t.has_credentials(o));
        assert!(
            t.scan(o, StorageArea::Local, &with, &r, &Policy::default())
                .is_empty(),
            "no change, no event"
        );
        let gone = t.scan(o, StorageArea::Local, &[], &r, &Policy::default());
        assert_eq!(gone.len(), 1);
        assert_eq!(
            (gone[0].op, gone[0].actor),
            (StorageOp::Remove, StorageActor::ExtensionScan)
        );
        let back = t.scan(o, StorageArea::Local, &with, &r, &Policy::default());
        assert_eq!(back[0].op, StorageOp::Set);
    }
}
