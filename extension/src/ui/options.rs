//! The options page's settings: checked and normalised here (the page calls
//! [`check`] before saving); the worker reads them back as a
//! [`crate::policy::Stored`] and applies them as a [`crate::policy::Policy`].

use logout_lens_model::http::SiteHints;
use serde::Serialize;

use crate::policy::{Capture, Stored};

/// Lines per list, and characters per line: a pasted log is not a pattern list.
const MAX_LINES: usize = 100;
const MAX_LINE: usize = 200;

/// The checked settings, as the page stores them.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Checked {
    pub site_hints: SiteHints,
    /// Extra storage keys that hold tokens (recognition stays automatic).
    pub token_keys: Vec<String>,
    pub exclude: Vec<String>,
    pub capture: Capture,
    /// Problems, one sentence each, naming the field and line; empty when
    /// the settings can be saved.
    pub errors: Vec<String>,
}

fn lines(field: &str, text: &str, errors: &mut Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if l.chars().count() > MAX_LINE || l.chars().any(char::is_whitespace) {
            errors.push(format!(
                "{field}, line {}: a pattern is one word of at most {MAX_LINE} characters",
                n + 1
            ));
            continue;
        }
        if !out.iter().any(|o| o == l) {
            out.push(l.to_owned());
        }
    }
    if out.len() > MAX_LINES {
        errors.push(format!("{field}: at most {MAX_LINES} lines"));
        out.truncate(MAX_LINES);
    }
    out
}

/// A URL pattern matches the path: `/signin`, `/auth/*/refresh`. A whole URL
/// is cut down to its path, since that is all the matcher sees.
fn path_pattern(p: String) -> String {
    match p.find("://") {
        Some(i) => {
            let rest = &p[i + 3..];
            let path = rest.find('/').map_or("/", |j| &rest[j..]);
            path.split(['?', '#']).next().unwrap_or("/").to_owned()
        }
        None => p,
    }
}

/// `https://Example.com:8080/x` → `example.com`.
fn host_entry(p: &str) -> Option<String> {
    let rest = p.split_once("://").map_or(p, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host
        .trim_start_matches("*.")
        .trim_matches('.')
        .to_ascii_lowercase();
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    ok.then_some(host)
}

/// Checks the options form (one pattern per line in each list).
pub fn check(
    login_pages: &str,
    refresh: &str,
    login: &str,
    logout: &str,
    exclude: &str,
    capture: &str,
    token_keys: &str,
) -> Checked {
    let mut errors = Vec::new();
    let mut paths = |field: &str, text: &str| -> Vec<String> {
        lines(field, text, &mut errors)
            .into_iter()
            .map(path_pattern)
            .collect()
    };
    let site_hints = SiteHints {
        login_pages: paths("Login pages", login_pages),
        refresh: paths("Refresh calls", refresh),
        login: paths("Login calls", login),
        logout: paths("Logout calls", logout),
    };
    let token_keys = lines("Token storage keys", token_keys, &mut errors);
    let mut hosts = Vec::new();
    for (n, l) in lines("Excluded sites", exclude, &mut errors)
        .iter()
        .enumerate()
    {
        match host_entry(l) {
            Some(h) if !hosts.contains(&h) => hosts.push(h),
            Some(_) => {}
            None => errors.push(format!(
                "Excluded sites, entry {}: `{l}` is not a host name",
                n + 1
            )),
        }
    }
    let capture = Capture::parse(capture).unwrap_or_else(|| {
        errors.push(format!(
            "Capture level `{capture}` is not full, auth or logouts"
        ));
        Capture::Full
    });
    Checked {
        site_hints,
        token_keys,
        exclude: hosts,
        capture,
        errors,
    }
}

/// What the options form shows for the stored options: each list one item
/// a line, and a fresh install's defaults for whatever is missing or
/// unreadable ([`Stored`]'s).
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Form {
    pub login_pages: String,
    pub refresh: String,
    pub login: String,
    pub logout: String,
    pub exclude: String,
    pub token_keys: String,
    pub capture: Capture,
    pub collector: bool,
    pub forward: bool,
    pub keep_sub: bool,
    pub keep_email: bool,
}

/// The form for the options as `chrome.storage.local` holds them.
pub fn form(stored: &Stored) -> Form {
    let p = stored.policy();
    Form {
        login_pages: p.hints.login_pages.join("\n"),
        refresh: p.hints.refresh.join("\n"),
        login: p.hints.login.join("\n"),
        logout: p.hints.logout.join("\n"),
        exclude: p.filter.exclude.join("\n"),
        token_keys: p.token_keys.join("\n"),
        capture: p.filter.capture,
        collector: stored.collector,
        forward: stored.forward,
        keep_sub: stored.keep_sub,
        keep_email: stored.keep_email,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_trimmed_deduplicated_and_cut_to_paths() {
        let c = check(
            " /signin \n\n# comment\n/signin\nhttps://app.example.com/auth/login?x=1",
            "/auth/*/refresh",
            "",
            "",
            "Example.COM\nhttps://127.0.0.1:4000/x\n*.corp.test",
            "auth",
            "sid\nmyAppAuth\nsid",
        );
        assert_eq!(c.token_keys, ["sid", "myAppAuth"]);
        assert_eq!(c.errors, Vec::<String>::new());
        assert_eq!(c.site_hints.login_pages, ["/signin", "/auth/login"]);
        assert_eq!(c.site_hints.refresh, ["/auth/*/refresh"]);
        assert_eq!(c.exclude, ["example.com", "127.0.0.1", "corp.test"]);
        assert_eq!(c.capture, Capture::Auth);
    }

    #[test]
    fn bad_entries_are_named() {
        for (field, (lp, ex, cap)) in [
            ("Login pages, line 2", ("/a\n/has space", "", "full")),
            ("Excluded sites, line 1", ("", "exa mple", "full")),
            ("Excluded sites, entry 1", ("", "bad_host!", "full")),
            ("Capture level", ("", "", "everything")),
        ] {
            let c = check(lp, "", "", "", ex, cap, "");
            assert_eq!(c.errors.len(), 1, "{field}: {:?}", c.errors);
            assert!(c.errors[0].starts_with(field), "{:?}", c.errors);
        }
        let long = "/x".repeat(MAX_LINE);
        assert_eq!(check(&long, "", "", "", "", "", "").errors.len(), 1);
        assert_eq!(check("", "", "", "", "", "", "a key").errors.len(), 1);
        let many: String = (0..150).map(|i| format!("/p{i}\n")).collect();
        let c = check(&many, "", "", "", "", "", "");
        assert_eq!(c.site_hints.login_pages.len(), MAX_LINES);
        assert_eq!(c.errors.len(), 1);
    }

    #[test]
    fn the_form_shows_what_is_stored_and_the_defaults_for_the_rest() {
        let read = |json: &str| form(&serde_json::from_str::<Stored>(json).unwrap());
        let fresh = read("{}");
        assert_eq!(
            (
                fresh.capture,
                fresh.collector,
                fresh.forward,
                fresh.exclude.as_str()
            ),
            (Capture::Full, true, false, "")
        );
        let f = read(
            r#"{"site_hints":"{\"refresh\":[\"/renew\",\"/token\"]}","exclude":["a.test","b.test"],
                "capture":"logouts","collector":false,"forward":true,"keep_email":true,
                "token_keys":5}"#,
        );
        assert_eq!(f.refresh, "/renew\n/token");
        assert_eq!(f.exclude, "a.test\nb.test");
        assert_eq!(f.capture, Capture::Logouts);
        assert!(!f.collector && f.forward && f.keep_email && !f.keep_sub);
        assert_eq!(f.token_keys, "", "a wrong type is the default");
    }
}
