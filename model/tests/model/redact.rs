//! The redactor under generated hostile input: every scrub is idempotent, and
//! its output never holds a JWT-shaped string, an e-mail address, or a bearer
//! credential or cookie value that was seeded into the input.
//!
//! Case count: `PROPTEST_CASES` (default 256). A long run:
//! `PROPTEST_CASES=200000 cargo test --release -p logout-lens-model --test model redact`.

use logout_lens_model::redact::{
    RedactionOptions, Redactor, contains_email, contains_jwt, is_placeholder, redact_url,
};
use logout_lens_model::wire::parse_event;
use proptest::prelude::*;
use serde_json::{Value, json};

fn redactor() -> Redactor {
    Redactor::new(
        b"property-test-secret-0123456789",
        RedactionOptions::default(),
    )
    .unwrap()
}

/// A credential as producers make them: letters, digits and `-_`, with a
/// marker so a test can look for it (`Zq` never comes out of a scrub).
fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{6,30}".prop_map(|s| format!("Zq{s}9"))
}

fn jwt() -> impl Strategy<Value = String> {
    (
        "[A-Za-z0-9_-]{1,30}",
        "[A-Za-z0-9_-]{1,40}",
        "[A-Za-z0-9_-]{0,43}",
    )
        .prop_map(|(h, p, s)| format!("eyJ{h}.{p}.{s}"))
}

fn email() -> impl Strategy<Value = String> {
    ("[a-z0-9._%+-]{1,12}", "[a-z0-9-]{1,10}", "[a-z]{2,6}")
        .prop_map(|(l, d, t)| format!("{l}@{d}.{t}"))
}

/// A piece of text with a secret in it, and the secret (if it has one a
/// scrub must remove; JWTs and e-mails are checked by shape instead).
fn seeded() -> impl Strategy<Value = (String, Option<String>)> {
    prop_oneof![
        secret().prop_map(|s| (format!(" Bearer {s} "), Some(s))),
        secret().prop_map(|s| (format!(" Authorization: Basic {s}\n"), Some(s))),
        (secret(), secret()).prop_map(|(a, b)| (format!(" Cookie: sid={a}; theme={b}\n"), Some(a))),
        secret().prop_map(|s| (
            format!(" Set-Cookie: session={s}; Path=/; HttpOnly\n"),
            Some(s)
        )),
        secret().prop_map(|s| (format!(" sessionid={s} "), Some(s))),
        secret().prop_map(|s| (format!(" Bearer realm=\"a\", token=\"{s}\" "), Some(s))),
        secret().prop_map(|s| (format!(" {{\"password\": \"{s}\"}} "), Some(s))),
        secret().prop_map(|s| (format!(" sid='{s}' "), Some(s))),
        secret().prop_map(|s| (format!(" https://a.test/cb?code={s}&state=x "), Some(s))),
        secret().prop_map(|s| (format!(" https://a.test/app;jsessionid={s} "), Some(s))),
        secret().prop_map(|s| (format!(" https://u:{s}@a.test/ "), Some(s))),
        jwt().prop_map(|j| (format!(" https://a.test/magic/{j} "), None)),
        jwt().prop_map(|j| (format!(" {j} "), None)),
        email().prop_map(|e| (format!(" {e} "), None)),
    ]
}

/// Text that tries to confuse the scanner: marks a scrub leaves, shapes cut
/// in half, separators, and anything at all.
fn noise() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,12}",
        "\\PC{0,12}",
        Just("eyJ".to_owned()),
        Just(".".to_owned()),
        Just("@".to_owned()),
        Just("=".to_owned()),
        Just(";".to_owned()),
        Just(":".to_owned()),
        Just("://".to_owned()),
        Just("\n".to_owned()),
        Just("Bearer ".to_owned()),
        Just("bearer\t".to_owned()),
        Just("Cookie:".to_owned()),
        Just("set-".to_owned()),
        Just("token=".to_owned()),
        Just("\"token\": ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("\\".to_owned()),
        Just("REDACTED".to_owned()),
        Just(":REDACTED".to_owned()),
        Just("***".to_owned()),
        "[0-9a-f]{16}".prop_map(|h| format!("[fp:{h} len:19]")),
        "[0-9a-f]{16}".prop_map(|h| format!("[fp:{h} len:")),
        jwt(),
        email(),
        "[a-z]{1,5}".prop_map(|s| format!("https://{s}.test/{s}?{s}={s}#{s}")),
    ]
}

/// Noise with seeded secrets between it.
fn hostile_text() -> impl Strategy<Value = (String, Vec<String>)> {
    proptest::collection::vec(
        prop_oneof![noise().prop_map(|n| (n, None)), seeded(),],
        0..12,
    )
    .prop_map(|parts| {
        let mut text = String::new();
        let mut secrets = Vec::new();
        for (piece, secret) in parts {
            text.push_str(&piece);
            secrets.extend(secret);
        }
        (text, secrets)
    })
}

fn assert_clean(out: &str, secrets: &[String]) -> Result<(), TestCaseError> {
    prop_assert!(!contains_jwt(out), "a JWT survived: {out:?}");
    prop_assert!(!contains_email(out), "an e-mail survived: {out:?}");
    for s in secrets {
        prop_assert!(!out.contains(s.as_str()), "{s} survived: {out:?}");
    }
    Ok(())
}

/// Every string of a JSON value, keys included.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|i| strings(i, out)),
        Value::Object(m) => {
            for (k, i) in m {
                out.push(k.clone());
                strings(i, out);
            }
        }
        _ => {}
    }
}

/// One event of `kind` whose every string field holds `text`.
fn event_of(kind: usize, text: &str, n: i64) -> Value {
    let t = text;
    let token = json!({"fp": t, "len": 5, "claims": {"kind": "access", "alg": t, "iss": t,
        "aud": [t], "jti": t, "sub": t, "sub_fp": t}});
    let body = match kind {
        0 => json!({"kind": "storage_change", "area": "local", "key": t, "op": "set",
            "actor": "page_script", "token": token, "previous": token, "stack": t}),
        1 => json!({"kind": "cookie_change", "name": t, "domain": t, "cookie_path": t,
            "removed": false, "cause": "explicit", "value": token, "request_id": t}),
        2 => json!({"kind": "http_exchange", "request_id": t, "method": t, "url": t,
            "error": t, "www_authenticate": t, "auth_error_code": t, "location": t, "date": t,
            "set_cookie_deletions": [t], "refresh_token_fp": t, "access_token_fp": t}),
        3 => json!({"kind": "navigation", "url": t}),
        4 => json!({"kind": "logout_observed", "trigger": "login_page", "url": t}),
        5 => json!({"kind": "logout_action", "label": t}),
        6 => json!({"kind": "app_report", "type": t, "message": t, "location": t,
            "context": {"userId": t, "userEmail": t}}),
        _ => json!({"kind": format!("future_{n}"), "note": t, "url": t, "authorization": t,
            "cookie": t, "headers": {"Set-Cookie": t, "X-Other": t}, "nested": [{"token": t}],
            "user_email": t, t: t}),
    };
    let mut e = json!({"schema": 1, "id": t, "ts_ms": n, "origin": t, "path": t});
    e.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    e
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn scrub_text_is_idempotent_on_anything(s in "\\PC{0,200}") {
        let r = redactor();
        let once = r.scrub_text(&s);
        prop_assert_eq!(r.scrub_text(&once), once);
    }

    #[test]
    fn scrub_text_removes_every_seeded_secret((text, secrets) in hostile_text()) {
        let r = redactor();
        let once = r.scrub_text(&text);
        assert_clean(&once, &secrets)?;
        prop_assert_eq!(r.scrub_text(&once), once);
    }

    #[test]
    fn urls_are_idempotent_and_clean((text, secrets) in hostile_text(), s in "\\PC{0,80}") {
        for input in [text.as_str(), s.as_str()] {
            let once = redact_url(input);
            prop_assert_eq!(redact_url(&once), once.clone());
            prop_assert!(!contains_jwt(&once) && !contains_email(&once), "{:?}", once);
        }
        let r = redactor();
        let field = r.url(&text);
        assert_clean(&field, &secrets)?;
        prop_assert_eq!(r.url(&field), field);
    }

    #[test]
    fn headers_are_idempotent(name in prop_oneof![
            Just("Authorization"), Just("Cookie"), Just("Set-Cookie"), Just("WWW-Authenticate"),
            Just("Location"), Just("X-Api-Key"), Just("Accept"), Just("X-Auth-Error-Code")],
        (text, _) in hostile_text()) {
        let r = redactor();
        let once = r.header(name, &text);
        prop_assert_eq!(r.header(name, &once), once.clone());
        prop_assert!(!contains_jwt(&once) && !contains_email(&once), "{}: {:?}", name, once);
    }

    #[test]
    fn scrub_json_is_idempotent_and_clean(
        (text, secrets) in hostile_text(),
        key in prop_oneof![Just("url"), Just("token"), Just("note"), Just("cookie"),
            Just("headers"), Just("user_email"), Just("session_fp"), Just("name")],
    ) {
        let r = redactor();
        let mut v = json!({key: text, "list": [text, {key: text}], text.clone(): 1});
        r.scrub_json(None, &mut v);
        let mut all = Vec::new();
        strings(&v, &mut all);
        for s in &all {
            assert_clean(s, &secrets)?;
        }
        let mut again = v.clone();
        r.scrub_json(None, &mut again);
        prop_assert_eq!(again, v);
    }

    #[test]
    fn scrub_event_is_idempotent_and_clean(
        kind in 0usize..8,
        (text, secrets) in hostile_text(),
        n in any::<i64>(),
    ) {
        let r = redactor();
        let raw = event_of(kind, &text, n);
        // Text that breaks JSON strings cannot reach an event; the rest must.
        let Ok(mut event) = parse_event(raw.to_string().as_bytes()) else {
            return Ok(());
        };
        r.scrub_event(&mut event);
        let mut all = Vec::new();
        strings(&serde_json::to_value(&event).unwrap(), &mut all);
        for s in &all {
            assert_clean(s, &secrets)?;
        }
        let mut again = event.clone();
        r.scrub_event(&mut again);
        prop_assert_eq!(again, event);
    }

    #[test]
    fn placeholders_survive_every_hop(value in "\\PC{1,40}") {
        let r = redactor();
        let p = r.placeholder(&value);
        prop_assert!(is_placeholder(&p) || p == value);
        prop_assert_eq!(r.placeholder(&p), p.clone());
        prop_assert_eq!(r.scrub_text(&format!("Bearer {p}")), format!("Bearer {p}"));
        let t = r.token(&p, None);
        let again = r.token(&format!("[fp:{} len:{}]", t.fp, t.len), None);
        prop_assert_eq!((again.fp, again.len), (t.fp, t.len));
    }
}
