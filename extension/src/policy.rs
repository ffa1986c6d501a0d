//! What the user chose on the options page, as the capture applies it: the
//! sites watched, what is sent to the collector, the URL patterns and the
//! storage keys named as holding tokens. The core holds one [`Policy`]
//! ([`crate::Core::configure`]) and hands each part to the code that needs
//! it. [`Stored`] is how `chrome.storage.local` keeps it, with the defaults
//! of a fresh install.

use logout_lens_model::event::EventKind;
use logout_lens_model::http::SiteHints;
use logout_lens_model::{Event, RedactionOptions, Signal, classify};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::url::{domain_matches, host_of};

/// How much is sent to the collector. The in-memory timeline (and so the
/// popup and the diagnosis) always keeps everything of a watched site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capture {
    /// Every event.
    #[default]
    Full,
    /// Without plain successful requests, page lifecycle and input activity.
    Auth,
    /// Logouts only.
    Logouts,
}

impl Capture {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "full" | "" => Some(Capture::Full),
            "auth" => Some(Capture::Auth),
            "logouts" => Some(Capture::Logouts),
            _ => None,
        }
    }
}

/// Which sites are watched and what leaves the worker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// Hosts not watched (a host matches itself and its subdomains).
    pub exclude: Vec<String>,
    pub capture: Capture,
    /// Collector off: nothing is queued for it.
    pub collector_off: bool,
}

impl Filter {
    /// Is a page of this origin watched? Events without one (idle state,
    /// sleep) always are.
    pub fn watches(&self, origin: Option<&str>) -> bool {
        let Some(host) = origin.and_then(host_of) else {
            return true;
        };
        !self.exclude.iter().any(|d| domain_matches(d, &host))
    }

    /// Is this (watched) event queued for the collector?
    pub fn sends(&self, e: &Event) -> bool {
        if self.collector_off {
            return false;
        }
        match self.capture {
            Capture::Full => true,
            Capture::Logouts => e.is_logout(),
            Capture::Auth => match &e.kind {
                EventKind::Activity(_) | EventKind::PageLifecycle(_) => false,
                EventKind::HttpExchange(_) => classify(e) != Signal::Noise,
                _ => true,
            },
        }
    }
}

/// Everything the capture applies of the user's options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub hints: SiteHints,
    pub filter: Filter,
    /// Storage keys the user named as holding tokens (recognition stays
    /// automatic; these are added), compared ignoring ASCII case.
    pub token_keys: Vec<String>,
}

impl Policy {
    /// Is `key` one the user named as holding a token?
    pub fn is_token_key(&self, key: &str) -> bool {
        self.token_keys.iter().any(|t| t.eq_ignore_ascii_case(key))
    }
}

/// The options as `chrome.storage.local` keeps them (the options page
/// writes them checked by `ui::options::check`). A missing key, or one of
/// the wrong type, takes the default of a fresh install.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Stored {
    /// JSON text of the site hints.
    #[serde(deserialize_with = "or_default")]
    pub site_hints: String,
    #[serde(deserialize_with = "or_default")]
    pub exclude: Vec<String>,
    #[serde(deserialize_with = "or_default")]
    pub capture: String,
    #[serde(deserialize_with = "or_default")]
    pub collector: bool,
    /// Each logout is also posted to the site's own `/v1/auth/logout-event/`.
    #[serde(deserialize_with = "or_default")]
    pub forward: bool,
    #[serde(deserialize_with = "or_default")]
    pub keep_sub: bool,
    #[serde(deserialize_with = "or_default")]
    pub keep_email: bool,
    #[serde(deserialize_with = "or_default")]
    pub token_keys: Vec<String>,
}

impl Default for Stored {
    fn default() -> Self {
        Stored {
            site_hints: String::new(),
            exclude: Vec::new(),
            capture: String::new(),
            collector: true,
            forward: false,
            keep_sub: false,
            keep_email: false,
            token_keys: Vec::new(),
        }
    }
}

/// The `chrome.storage.local` keys of the options.
pub const STORED_KEYS: &[&str] = &[
    "site_hints",
    "exclude",
    "capture",
    "collector",
    "forward",
    "keep_sub",
    "keep_email",
    "token_keys",
];

/// A value of the wrong type reads as the default (an older or hand-edited
/// setting must not stop the extension).
fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

impl Stored {
    /// The policy these options make (unreadable site hints read as none).
    pub fn policy(&self) -> Policy {
        let trimmed = |l: &String| {
            let l = l.trim();
            (!l.is_empty()).then(|| l.to_owned())
        };
        Policy {
            hints: serde_json::from_str(&self.site_hints).unwrap_or_default(),
            filter: Filter {
                exclude: self
                    .exclude
                    .iter()
                    .filter_map(trimmed)
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
                capture: Capture::parse(&self.capture).unwrap_or_default(),
                collector_off: !self.collector,
            },
            token_keys: self.token_keys.iter().filter_map(trimmed).collect(),
        }
    }

    pub fn redaction(&self) -> RedactionOptions {
        RedactionOptions {
            keep_sub: self.keep_sub,
            keep_email: self.keep_email,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logout_lens_model::event::{Activity, LogoutObserved, LogoutTrigger};

    #[test]
    fn stored_options_default_what_is_missing_or_wrong() {
        let read = |json: &str| serde_json::from_str::<Stored>(json).unwrap();
        assert_eq!(read("{}"), Stored::default());
        let s = read(
            r#"{"site_hints":"{\"refresh\":[\"/renew\"]}","exclude":[" Example.COM ",""],
                "capture":"auth","collector":false,"forward":true,"keep_sub":"yes",
                "token_keys":["sid", " "],"relay":"{…}"}"#,
        );
        let p = s.policy();
        assert_eq!(p.hints.refresh, ["/renew"]);
        assert_eq!(p.filter.exclude, ["example.com"]);
        assert_eq!(p.filter.capture, Capture::Auth);
        assert!(p.filter.collector_off && s.forward);
        assert!(!s.keep_sub, "a wrong type is the default");
        assert_eq!(p.token_keys, ["sid"]);
        assert!(p.is_token_key("SID") && !p.is_token_key("sidx"));
        let broken = read(r#"{"site_hints":"{not json","capture":"everything","exclude":5}"#);
        assert_eq!(broken.policy(), Policy::default());
    }

    #[test]
    fn the_filter_excludes_hosts_and_subdomains_and_limits_what_is_sent() {
        let f = Filter {
            exclude: vec!["example.com".into()],
            ..Filter::default()
        };
        for (origin, watched) in [
            (Some("https://example.com"), false),
            (Some("https://app.example.com:8443"), false),
            (Some("https://notexample.com"), true),
            (Some("http://127.0.0.1:3000"), true),
            (None, true),
        ] {
            assert_eq!(f.watches(origin), watched, "{origin:?}");
        }
        let activity = Event::new("a", 1, EventKind::Activity(Activity { last_input_ms: 1 }));
        let logout = Event::new(
            "b",
            2,
            EventKind::LogoutObserved(LogoutObserved {
                trigger: LogoutTrigger::LoginPage,
                url: None,
                idle_ms: None,
                coarse: None,
                cause: None,
            }),
        );
        for (capture, off, sends_activity, sends_logout) in [
            (Capture::Full, false, true, true),
            (Capture::Auth, false, false, true),
            (Capture::Logouts, false, false, true),
            (Capture::Full, true, false, false),
        ] {
            let f = Filter {
                capture,
                collector_off: off,
                ..Filter::default()
            };
            assert_eq!(f.sends(&activity), sends_activity, "{capture:?} {off}");
            assert_eq!(f.sends(&logout), sends_logout, "{capture:?} {off}");
        }
    }
}
