//! The UI over a real core: options applied between events, and the popup,
//! badge, alert and bundle built from the timeline the core kept.

use logout_lens_extension::policy::{Capture, Filter, Policy};
use logout_lens_extension::ui::options::check;
use logout_lens_extension::ui::{bundle, view};
use logout_lens_model::event::StorageChange;
use logout_lens_model::{EventKind, RedactionOptions};
use serde_json::json;

use super::support::{BASE, Harness, T0, jwt};

fn sign_in(h: &mut Harness, access: &str) {
    h.start_login(h.now);
    h.page("/signin", json!({"t":"storage","area":"local","op":"set","key":"access_token","value":access,"old":null}));
    h.send(
        "tab_updated",
        json!({"tabId":1,"url":format!("{BASE}/dashboard")}),
    );
}

fn cx(h: &Harness) -> view::Context<'static> {
    view::Context {
        origin: Some(BASE),
        watched: true,
        signed_in: h.core.is_signed_in(BASE),
        idle_ms: h.core.idle_ms(h.now),
        now_ms: h.now,
        held: &[],
    }
}

#[test]
fn popup_badge_alert_and_bundle_follow_a_real_logout() {
    let mut h = Harness::new();
    let access = jwt("access", T0 / 1000 + 270, "a1");
    sign_in(&mut h, &access);
    let p = view::popup(h.core.timeline(), cx(&h));
    assert!(p.status.starts_with("Signed in"), "{}", p.status);
    assert_eq!(p.credentials.len(), 1);
    assert_eq!(p.credentials[0].countdown.text, "in 4 min");
    assert_eq!(p.credentials[0].countdown.level, view::Level::Warn);
    let b = view::badge(h.core.timeline(), Some(BASE), h.now);
    assert_eq!((b.text.as_str(), b.color), ("4m", view::BADGE_WARN));

    h.at(60_000).send(
        "tab_updated",
        json!({"tabId":1,"url":format!("{BASE}/signin")}),
    );
    let p = view::popup(h.core.timeline(), cx(&h));
    assert_eq!(p.logouts.len(), 1, "{:?}", p.logouts);
    let logout = h
        .core
        .timeline()
        .iter()
        .rev()
        .find(|e| e.is_logout())
        .expect("logout")
        .clone();
    let a = view::alert(&logout, None).expect("alert");
    assert_eq!(a.tab, Some(1));
    assert!(a.on_login_page);
    assert_eq!(a.banner.details[4].1, "/signin");

    let events: Vec<_> = h.core.timeline().iter().cloned().collect();
    let text = bundle::export(&events, Some(BASE), h.now);
    assert!(!text.contains(&access), "no raw token in the bundle");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["diagnoses"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["diagnoses"][0]["logout_id"], json!(logout.id.0));
}

#[test]
fn options_apply_from_the_next_event() {
    let mut h = Harness::new();
    let c = check("/custom-signin", "", "", "", "127.0.0.1", "full", "");
    assert!(c.errors.is_empty());
    h.core.configure(Policy {
        hints: c.site_hints.clone(),
        filter: Filter {
            exclude: c.exclude,
            ..Filter::default()
        },
        ..Policy::default()
    });
    sign_in(&mut h, &jwt("access", T0 / 1000 + 600, "a2"));
    assert!(
        h.core
            .timeline()
            .iter()
            .all(|e| e.origin.as_deref() != Some(BASE))
    );
    assert!(
        h.events.iter().all(|e| e.origin.as_deref() != Some(BASE)),
        "nothing sent for an excluded site"
    );

    // Watched again, with the custom login page and only logouts sent on.
    h.core.configure(Policy {
        hints: c.site_hints,
        filter: Filter {
            capture: Capture::Logouts,
            ..Filter::default()
        },
        ..Policy::default()
    });
    h.events.clear();
    sign_in(&mut h, &jwt("access", T0 / 1000 + 600, "a3"));
    h.at(5_000).send(
        "tab_updated",
        json!({"tabId":1,"url":format!("{BASE}/custom-signin")}),
    );
    assert_eq!(h.events.len(), 1, "{:?}", h.events);
    assert!(h.events[0].is_logout());
    assert!(h.core.timeline().len() > 3, "the timeline keeps everything");
}

#[test]
fn the_redaction_opt_in_keeps_the_subject_from_then_on() {
    let mut h = Harness::new();
    let sub = |h: &Harness| {
        h.core.timeline().iter().rev().find_map(|e| match &e.kind {
            EventKind::StorageChange(StorageChange { token: Some(t), .. }) => {
                Some(t.claims.as_ref()?.sub.clone())
            }
            _ => None,
        })
    };
    sign_in(&mut h, &jwt("access", T0 / 1000 + 600, "b1"));
    assert_eq!(sub(&h), Some(None));
    h.core
        .set_redaction(RedactionOptions {
            keep_sub: true,
            keep_email: false,
        })
        .expect("redactor");
    sign_in(&mut h, &jwt("access", T0 / 1000 + 600, "b2"));
    assert_eq!(sub(&h), Some(Some("1".to_owned())));
}
