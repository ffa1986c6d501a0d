//! Redaction at the source: a page that puts secrets in every string it
//! controls (its URL's path, path parameters and fragment, stacks, labels,
//! storage keys, request URLs and headers) leaves none of them in anything
//! the extension keeps, queues or shows.

use logout_lens_extension::Relay;
use logout_lens_extension::relay::DEFAULT_CAPACITY;
use logout_lens_extension::ui::{bundle, view};
use logout_lens_model::{Event, EventKind, wire};
use serde_json::json;

use super::support::{Harness, T0, jwt};

const CODE: &str = "SECRETCODE0123456789";
const SESSION: &str = "SECRETSESSION9876543210";
const RESET: &str = "RESETTOKEN5555544444";
const EMAIL: &str = "alice.secret@example.com";
const BEARER: &str = "RAWBEARERVALUE0123456789abcdef";
const COOKIE: &str = "RAWCOOKIEVALUE0123456789abcdef";

/// Every piece that must not survive: the JWT's parts and the raw values.
fn secrets(token: &str) -> Vec<String> {
    let mut out: Vec<String> = token.split('.').map(str::to_owned).collect();
    out.extend([CODE, SESSION, RESET, EMAIL, BEARER, COOKIE].map(str::to_owned));
    out
}

#[test]
fn no_secret_a_page_controls_reaches_any_output() {
    for mut h in Harness::both() {
        let token = jwt("access", T0 / 1000 + 2, "leak");
        let base = "http://127.0.0.1:4000";
        let page = format!(
            "{base}/magic/{token}/users/{EMAIL};jsessionid={SESSION}?{CODE}#/reset/{RESET}"
        );
        let stack = format!("at onLoad ({base}/cb?code={CODE}:1:9)\nat x (Bearer {BEARER})");
        let msg = |m: serde_json::Value| json!({"msg": m, "tab": 1, "frame": 0, "url": page});
        h.send("tab_updated", json!({"tabId":1,"url": page}));
        h.send("page", msg(json!({"t":"activity","last_input_ms": T0})));
        h.send("page", msg(json!({"t":"net","id":1,"url":format!("{base}/v1/auth/login/{token}?next={CODE}"),
            "method":"POST","auth":format!("Bearer {BEARER}"),"body":format!("password={CODE}"),
            "start":T0,"end":T0 + 10,"status":200,"redirected":true,
            "final_url":format!("{base}/landing;jsessionid={SESSION}#{RESET}"),
            "headers":[["www-authenticate",format!("Bearer error=\"invalid_token\", error_description=\"token {BEARER} is bad\", token={BEARER}")],
                       ["location",format!("{base}/x?code={CODE}")]]})));
        h.send(
            "page",
            msg(
                json!({"t":"storage","area":"local","op":"set","key":format!("tok_{token}"),
            "value":token,"old":null,"stack":stack}),
            ),
        );
        h.send(
            "page",
            msg(json!({"t":"cookie","text":format!("sessionid={COOKIE}; path=/"),"stack":stack})),
        );
        h.send(
            "cookie_changed",
            json!({"removed":false,"cause":"explicit","cookie":{"name":"sessionid",
            "value":COOKIE,"domain":"127.0.0.1","path":"/","httpOnly":false}}),
        );
        h.at(3_000);
        h.send(
            "page",
            msg(json!({"t":"click","label":format!("Log out {token} {EMAIL}")})),
        );
        h.send(
            "page",
            msg(json!({"t":"storage","area":"local","op":"clear",
            "entries":[[format!("tok_{token}"), token]],"stack":stack})),
        );
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{base}/signin?code={CODE}#{RESET}")}),
        );
        assert!(!h.alerts.is_empty(), "{:?}: a logout was seen", h.net);

        // Everything the extension keeps, queues or shows.
        let timeline: Vec<Event> = wire::parse_timeline(h.core.held_timeline().as_bytes()).unwrap();
        let mut relay = Relay::new(DEFAULT_CAPACITY);
        for e in &h.events {
            relay.push(
                e.id.0.clone(),
                e.origin.clone(),
                serde_json::value::to_raw_value(e).unwrap(),
            );
        }
        let cx = view::Context {
            origin: Some(base),
            watched: true,
            signed_in: false,
            idle_ms: 0,
            now_ms: h.now,
            held: &[],
        };
        let popup = serde_json::to_string(&view::popup(h.core.timeline(), cx)).unwrap();
        let state = json!({"popup": serde_json::from_str::<serde_json::Value>(&popup).unwrap(), "events": timeline});
        let diagnoses: Vec<_> = timeline
            .iter()
            .filter(|e| matches!(e.kind, EventKind::LogoutObserved(_)))
            .map(|e| view::diagnosis(&timeline, &e.id.0))
            .collect();
        let outputs = [
            ("events sent", h.all_json()),
            ("timeline", h.core.held_timeline()),
            ("saved ring", relay.snapshot()),
            ("Copy full state", state.to_string()),
            ("Export trace", bundle::export(&timeline, None, h.now)),
            (
                "alerts and banner",
                serde_json::to_string(&h.alerts).unwrap(),
            ),
            ("Diagnose", serde_json::to_string(&diagnoses).unwrap()),
        ];
        for (what, text) in &outputs {
            for s in secrets(&token) {
                assert!(
                    !text.contains(&s),
                    "{:?}: {what} holds `{s}`:\n{text}",
                    h.net
                );
            }
        }
        // What is kept still says where and what: the path's shape, the names.
        let shown = &outputs[1].1;
        assert!(shown.contains("/magic/"), "{shown}");
        assert!(shown.contains("jsessionid="), "{shown}");
    }
}
