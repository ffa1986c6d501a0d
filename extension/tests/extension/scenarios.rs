use logout_lens_model::event::{CookieWriter, LogoutTrigger, StorageActor, StorageOp};
use logout_lens_model::{Cause, EventKind, LogoutType};
use serde_json::json;

use super::support::{BASE, Harness, Net, T0, input, jwt};

/// Signed in with tokens in localStorage, as the demo app does it.
fn signed_in(h: &mut Harness, access: &str, refresh: &str) {
    h.start_login(T0);
    h.page("/signin", json!({"t":"storage","area":"local","op":"set","key":"access_token","value":access,"old":null,"stack":"at saveTokens (http://127.0.0.1:4000/static/app.js:30:20)"}));
    h.page("/signin", json!({"t":"storage","area":"local","op":"set","key":"refresh_token","value":refresh,"old":null}));
    h.send(
        "tab_updated",
        json!({"tabId":1,"url":format!("{BASE}/dashboard")}),
    );
}

fn remove(h: &mut Harness, key: &str, old: &str) {
    h.page("/dashboard", json!({"t":"storage","area":"local","op":"remove","key":key,"old":old,"stack":"at clearSession (http://127.0.0.1:4000/static/app.js:44:5)"}));
}

#[test]
fn refresh_token_expired_while_idle() {
    for mut h in Harness::both() {
        let (a, r) = (
            jwt("access", T0 / 1000 + 2, "a1"),
            "opaque-refresh-token-0123456789abcdef".to_owned(),
        );
        signed_in(&mut h, &a, &r);
        h.at(1_000).request(
            1,
            "xmlhttprequest",
            "GET",
            "/api/me",
            None,
            json!([{"name":"Authorization","value":format!("Bearer {a}")}]),
            200,
            json!([]),
        );
        h.at(3_000).request(1, "xmlhttprequest", "GET", "/api/me", None, json!([]), 401,
        json!([{"name":"WWW-Authenticate","value":"Bearer error=\"invalid_token\", error_description=\"expired\""},{"name":"X-Auth-Error-Code","value":"expired"}]));
        h.request(
            1,
            "xmlhttprequest",
            "POST",
            "/v1/auth/refresh/",
            Some(&format!(r#"{{"refresh":"{r}"}}"#)),
            json!([]),
            401,
            json!([{"name":"X-Auth-Error-Code","value":"expired"}]),
        );
        remove(&mut h, "access_token", &a);
        assert!(h.logouts().is_empty(), "the refresh token is still there");
        remove(&mut h, "refresh_token", &r);
        let logouts = h.logouts();
        assert_eq!(logouts.len(), 1);
        let (e, o) = logouts[0];
        assert_eq!(o.trigger, LogoutTrigger::CredentialsVanished);
        assert_eq!(o.cause, Some(Cause::RefreshTokenExpired));
        assert_eq!(o.coarse, Some(LogoutType::TokenExpired));
        assert_eq!(o.idle_ms, Some(3_060), "3 s idle, plus the two responses");
        assert_eq!(e.origin.as_deref(), Some(BASE));
        // The app then lands on the sign-in page: the same logout, not a second one.
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{BASE}/signin?reason=TOKEN_EXPIRED")}),
        );
        assert_eq!(h.logouts().len(), 1);
        let all = h.all_json();
        for raw in [a.as_str(), r.as_str()] {
            assert!(!all.contains(raw));
        }
    }
}

#[test]
fn two_tabs_race_on_one_refresh_token() {
    for mut h in Harness::both() {
        let (a, r) = (
            jwt("access", T0 / 1000 + 2, "a2"),
            "opaque-refresh-token-race-0123456789".to_owned(),
        );
        signed_in(&mut h, &a, &r);
        let body = format!(r#"{{"refresh":"{r}"}}"#);
        h.at(3_000).request(
            1,
            "xmlhttprequest",
            "POST",
            "/v1/auth/refresh/",
            Some(&body),
            json!([]),
            200,
            json!([]),
        );
        h.page("/dashboard", json!({"t":"storage","area":"local","op":"set","key":"refresh_token","value":"opaque-refresh-token-new-0123456789ab","old":r}));
        h.at(3_040).request(
            2,
            "xmlhttprequest",
            "POST",
            "/v1/auth/refresh/",
            Some(&body),
            json!([]),
            401,
            json!([{"name":"X-Auth-Error-Code","value":"reused"}]),
        );
        h.send(
            "tab_updated",
            json!({"tabId":2,"url":format!("{BASE}/signin?reason=REFRESH_FAILED")}),
        );
        let logouts = h.logouts();
        assert_eq!(logouts.len(), 1, "{:#?}", h.events);
        assert_eq!(logouts[0].1.trigger, LogoutTrigger::LoginPage);
        assert_eq!(logouts[0].1.cause, Some(Cause::RefreshTokenReused));
        // Both refreshes carry the same fingerprint, and never the token.
        let fps: Vec<_> = h
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::HttpExchange(x) => x.refresh_token_fp.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(fps.len(), 2);
        assert_eq!(fps[0], fps[1]);
        assert!(!h.all_json().contains(&r));
    }
}

#[test]
fn session_cookie_expires() {
    for mut h in Harness::both() {
        h.page("/signin", json!({"t":"activity","last_input_ms": T0}));
        h.request(1, "xmlhttprequest", "POST", "/v1/auth/login/", None, json!([]), 200,
        json!([{"name":"Set-Cookie","value":"ll_access=RAWCOOKIEVALUE0123456789; Path=/; HttpOnly; Max-Age=3"}]));
        let cookie = |removed: bool, cause: &str| {
            json!({"removed":removed,"cause":cause,"cookie":{"name":"ll_access",
        "value":"RAWCOOKIEVALUE0123456789","domain":"127.0.0.1","path":"/","httpOnly":true,"sameSite":"lax",
        "expirationDate": (T0 + 3_000) as f64 / 1000.0}})
        };
        h.send("cookie_changed", cookie(false, "explicit"));
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{BASE}/dashboard")}),
        );
        assert!(h.core.is_signed_in(BASE));
        h.at(4_000).send("cookie_changed", cookie(true, "expired"));
        let logouts = h.logouts();
        assert_eq!(logouts.len(), 1);
        assert_eq!(logouts[0].1.cause, Some(Cause::SessionCookieExpired));
        assert_eq!(logouts[0].1.idle_ms, Some(4_000));
        let writers: Vec<_> = h
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::CookieChange(c) => Some((c.writer, c.request_id.clone())),
                _ => None,
            })
            .collect();
        // Without webRequest no Set-Cookie is seen: the server's by elimination (HttpOnly).
        let login = match h.net {
            Net::WebRequest => Some("1".into()),
            Net::PageHook => None,
        };
        assert_eq!(
            writers,
            vec![
                (Some(CookieWriter::Server), login),
                (Some(CookieWriter::Browser), None)
            ]
        );
        assert!(!h.all_json().contains("RAWCOOKIEVALUE"));
    }
}

#[test]
fn forbidden_then_logout() {
    for mut h in Harness::both() {
        let (a, r) = (
            jwt("access", T0 / 1000 + 3600, "a3"),
            "opaque-refresh-token-403-0123456789".to_owned(),
        );
        signed_in(&mut h, &a, &r);
        h.at(2_000).request(
            1,
            "xmlhttprequest",
            "GET",
            "/api/reports",
            None,
            json!([]),
            403,
            json!([]),
        );
        remove(&mut h, "access_token", &a);
        remove(&mut h, "refresh_token", &r);
        assert_eq!(
            h.logouts()[0].1.cause,
            Some(Cause::ForbiddenTreatedAsLogout)
        );
    }
}

#[test]
fn the_page_clears_its_storage() {
    for mut h in Harness::both() {
        let (a, r) = (
            jwt("access", T0 / 1000 + 3600, "a4"),
            "opaque-refresh-token-clear-012345678".to_owned(),
        );
        signed_in(&mut h, &a, &r);
        h.at(1_000).request(
            1,
            "xmlhttprequest",
            "GET",
            "/api/me",
            None,
            json!([]),
            200,
            json!([]),
        );
        h.at(5_000).page(
            "/dashboard",
            json!({"t":"storage","area":"local","op":"clear",
        "entries":[["access_token",a],["refresh_token",r],["theme","dark"]],
        "stack":"at <anonymous>:1:14"}),
        );
        let logouts = h.logouts();
        assert_eq!(logouts.len(), 1);
        assert_eq!(logouts[0].1.cause, Some(Cause::StorageClearedByPage));
        assert_eq!(logouts[0].0.path.as_deref(), Some("/dashboard"));
        let clear = h
            .events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::StorageChange(s) if s.op == StorageOp::Clear => Some(s),
                _ => None,
            })
            .unwrap();
        assert_eq!(clear.actor, StorageActor::PageScript);
        assert!(clear.is_jwt && clear.stack.is_some());
    }
}

#[test]
fn a_logout_click() {
    let mut h = Harness::new();
    let (a, r) = (
        jwt("access", T0 / 1000 + 3600, "a5"),
        "opaque-refresh-token-click-01234567".to_owned(),
    );
    signed_in(&mut h, &a, &r);
    h.at(1_000)
        .page("/dashboard", json!({"t":"click","label":"Settings"}));
    assert!(h.logouts().is_empty());
    h.page(
        "/dashboard",
        json!({"t":"activity","last_input_ms": T0 + 1_000}),
    );
    h.page("/dashboard", json!({"t":"click","label":"  Log out "}));
    let logouts = h.logouts();
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0].1.trigger, LogoutTrigger::UserAction);
    assert_eq!(logouts[0].1.cause, Some(Cause::UserLogout));
    assert_eq!(logouts[0].1.idle_ms, Some(0));
    // Clearing the tokens afterwards is part of the same logout.
    remove(&mut h, "access_token", &a);
    remove(&mut h, "refresh_token", &r);
    assert_eq!(h.logouts().len(), 1);
}

#[test]
fn a_login_page_redirect_of_a_signed_in_tab() {
    let mut h = Harness::new();
    let (a, r) = (
        jwt("access", T0 / 1000 + 3600, "a6"),
        "opaque-refresh-token-302-0123456789".to_owned(),
    );
    signed_in(&mut h, &a, &r);
    h.at(2_000);
    let ts = h.now as f64;
    let d = json!({"requestId":"r9","url":format!("{BASE}/dashboard"),"method":"GET","tabId":1,"frameId":0,"type":"main_frame","timeStamp":ts});
    h.send("before_request", d.clone());
    let mut redirect = d.clone();
    redirect["statusCode"] = json!(302);
    redirect["redirectUrl"] = json!(format!("{BASE}/login?next=/dashboard&token=SECRET"));
    h.send("before_redirect", redirect);
    let logouts = h.logouts();
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0].1.trigger, LogoutTrigger::LoginPage);
    assert_eq!(
        logouts[0].1.url.as_deref(),
        Some("http://127.0.0.1:4000/login?next=REDACTED&token=REDACTED")
    );
    assert!(!h.all_json().contains("SECRET"));
}

#[test]
fn not_signed_in_means_no_logout() {
    let mut h = Harness::new();
    h.send(
        "tab_updated",
        json!({"tabId":1,"url":format!("{BASE}/signin")}),
    );
    h.page("/signin", json!({"t":"click","label":"Sign out"}));
    h.page(
        "/signin",
        json!({"t":"storage","area":"local","op":"clear","entries":[]}),
    );
    assert!(h.logouts().is_empty());
}

/// With webRequest live the page hook's records would count every request twice.
#[test]
fn net_records_count_only_without_webrequest() {
    let exchanges = |h: &Harness| {
        h.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::HttpExchange(_)))
            .count()
    };
    let net = json!({"t":"net","id":1,"url":format!("{BASE}/api/me"),"method":"GET",
        "auth":"Bearer RAW-ACCESS-IN-HOOK-0123456789","start":T0,"end":T0 + 5,"status":200,"headers":[]});
    for (live, want) in [(true, 0), (false, 1)] {
        let mut h = Harness::new();
        h.send("capture", json!({"webRequest": live}));
        h.page("/dashboard", net.clone());
        assert_eq!(exchanges(&h), want, "webRequest live: {live}");
        assert!(!h.all_json().contains("RAW-ACCESS-IN-HOOK"));
    }
}

/// A hooked call that the server redirected to the sign-in page: one hop
/// to it, then the final response, as webRequest would report them.
#[test]
fn a_hooked_redirect_is_two_hops() {
    let mut h = Harness::with(Net::PageHook);
    h.page(
        "/dashboard",
        json!({"t":"net","id":3,"url":format!("{BASE}/api/me?token=SECRET-IN-URL"),"method":"GET",
        "start":T0,"end":T0 + 9,"status":200,"redirected":true,"final_url":format!("{BASE}/signin"),
        "headers":[]}),
    );
    let hops: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::HttpExchange(x) => {
                Some((x.status, x.location.clone(), x.request_id.clone()))
            }
            _ => None,
        })
        .collect();
    let id = Some("page:1:0:3".to_owned());
    assert_eq!(
        hops,
        vec![
            (Some(302), Some(format!("{BASE}/signin")), id.clone()),
            (Some(200), None, id)
        ]
    );
    assert!(!h.all_json().contains("SECRET-IN-URL"));
}

/// The worker's part of a logout (`held`): the logout waits for the pages'
/// module's answer, is diagnosed from the timeline as it was when it
/// happened, and an answer that is wrong or never comes loses nothing.
#[test]
fn a_held_logout_is_settled_by_the_answer_or_released_without_one() {
    use logout_lens_extension::held::{self, HELD_MAX, Held};
    use logout_lens_extension::policy::{Filter, Policy};
    use logout_lens_model::{EventId, wire};

    type Answer = fn(&[String], &str) -> Option<Vec<held::Verdict>>;
    let diagnosed: Answer = |ids, timeline| {
        Some(held::answer(
            &wire::parse_timeline(timeline.as_bytes()).unwrap(),
            ids,
        ))
    };
    let failed: Answer = |_, _| None;
    let unreadable: Answer = |ids, _| Some(held::answer(&[], ids));
    let elsewhere: Answer = |_, _| {
        Some(vec![held::Verdict {
            id: "ext:nothing-held".into(),
            cause: Some(Cause::UserLogout),
        }])
    };
    struct Case {
        case: &'static str,
        answer: Answer,
        collector: bool,
        /// Out of the held set.
        released: bool,
        /// Queued for the collector.
        queued: bool,
        cause: Option<Cause>,
    }
    let user = Some(Cause::UserLogout);
    #[rustfmt::skip]
    let cases = [
        Case { case: "diagnosed", answer: diagnosed, collector: true, released: true, queued: true, cause: user },
        Case { case: "diagnosed, collector off", answer: diagnosed, collector: false, released: true, queued: false, cause: user },
        Case { case: "the diagnoser failed", answer: failed, collector: true, released: true, queued: true, cause: None },
        Case { case: "the timeline was unreadable", answer: unreadable, collector: true, released: true, queued: true, cause: None },
        Case { case: "an answer about another logout", answer: elsewhere, collector: true, released: false, queued: false, cause: None },
    ];
    for Case {
        case,
        answer,
        collector,
        released,
        queued,
        cause,
    } in cases
    {
        let mut h = Harness::new();
        let filter = Filter {
            collector_off: !collector,
            ..Filter::default()
        };
        h.core.configure(Policy {
            filter,
            ..Policy::default()
        });
        let (a, r) = (
            jwt("access", T0 / 1000 + 3600, "h1"),
            "opaque-refresh-token-held-0123456789".to_owned(),
        );
        signed_in(&mut h, &a, &r);
        let url = format!("{BASE}/dashboard");
        let raw = |h: &mut Harness, msg: serde_json::Value| {
            let input_ = json!({"msg": msg, "tab": 1, "frame": 0, "url": url});
            h.core.handle_json(&input("page", input_), h.now).unwrap()
        };
        let out = raw(&mut h, json!({"t":"click","label":"Log out"}));
        assert!(
            out.iter().all(|e| !held::needs_cause(e)),
            "{case}: held, not queued"
        );
        let ids = h.core.held_ids();
        assert_eq!(ids.len(), 1, "{case}: one held");
        let id = ids[0].clone();
        // The diagnosis reads the whole timeline, what came after the
        // logout too (it places events by time itself).
        h.at(5_000);
        raw(&mut h, json!({"t":"activity","last_input_ms": T0 + 5_000}));
        let timeline = h.core.held_timeline();
        let read = wire::parse_timeline(timeline.as_bytes()).unwrap();
        assert_eq!(read.len(), h.core.timeline().len(), "{case}");
        assert!(read.iter().any(|e| e.id.0 == id), "{case}");

        let out = h.core.settle(answer(&ids, &timeline).as_deref()).events;
        assert_eq!(out.len(), usize::from(released), "{case}");
        let sent = out.iter().filter(|e| h.core.sends(e)).count();
        assert_eq!(sent, usize::from(queued), "{case}");
        assert_eq!(h.core.held_ids().is_empty(), released, "{case}");
        let cause_of = |e: &logout_lens_model::Event| match &e.kind {
            EventKind::LogoutObserved(o) => (o.cause, o.coarse),
            _ => panic!("{case}: not a logout"),
        };
        if let Some(e) = out.first() {
            assert_eq!(cause_of(e), (cause, cause.map(Cause::coarse)), "{case}");
        }
        // The popup and the alerts read the core's copy.
        let kept = h.core.timeline().iter().find(|e| e.id.0 == id).unwrap();
        assert_eq!(cause_of(kept).0, cause, "{case}");
        let still_held = h.core.held_ids().contains(&kept.id.0);
        assert_eq!(still_held, !released, "{case}");
    }

    // A diagnoser that never answers holds at most HELD_MAX logouts.
    let mut h = Harness::new();
    signed_in(
        &mut h,
        &jwt("access", T0 / 1000 + 3600, "h2"),
        "opaque-refresh-token-held-2",
    );
    let details = json!({"msg": {"t":"click","label":"Log out"}, "tab": 1, "frame": 0, "url": format!("{BASE}/x")});
    h.core.handle_json(&input("page", details), h.now).unwrap();
    let logout = h.core.timeline().back().unwrap().clone();
    assert!(held::needs_cause(&logout));
    let mut held = Held::default();
    for i in 0..HELD_MAX {
        let mut e = logout.clone();
        e.id = EventId(format!("held-{i}"));
        assert!(held.hold(e).is_none());
    }
    let pushed_out = held.hold(logout).expect("the oldest goes on");
    assert_eq!(pushed_out.id.0, "held-0");
}

/// A page that logs out before it has loaded: its forwarder hands over the
/// hook's messages only as the page is left, so the refresh that failed
/// reaches the core after the navigation to the sign-in page that showed the
/// logout. Dated when it happened, it is still that logout's evidence, as
/// long as the logout is diagnosed after it arrived (the glue waits).
#[test]
fn evidence_handed_over_as_the_page_is_left_still_counts() {
    use logout_lens_extension::held;
    use logout_lens_model::wire;

    #[rustfmt::skip]
    let cases = [
        ("the backlog arrives, then the diagnosis", true, Some(Cause::RefreshTokenReused)),
        // Without the refresh, the expired access token is all it sees: a wrong guess.
        ("diagnosed before the backlog arrived", false, Some(Cause::AccessExpiredNotRefreshed)),
    ];
    for (case, backlog_first, cause) in cases {
        let mut h = Harness::with(Net::PageHook);
        let (a, r) = (
            jwt("access", T0 / 1000 + 2, "late"),
            "opaque-refresh-token-late-0123456789".to_owned(),
        );
        signed_in(&mut h, &a, &r);
        // The refresh failed at 3.02 s; the page went to /signin at once.
        h.at(3_100);
        let nav = json!({"tabId":1,"url":format!("{BASE}/signin?reason=REFRESH_FAILED")});
        h.core
            .handle_json(&input("tab_updated", nav), h.now)
            .unwrap();
        let ids = h.core.held_ids();
        assert_eq!(ids.len(), 1, "{case}: one logout held");
        let url = format!("{BASE}/refresh-page");
        let backlog = json!({"msg": {"t":"net","id":7,"url":format!("{BASE}/v1/auth/refresh/"),
            "method":"POST","auth":null,"body":format!(r#"{{"refresh":"{r}"}}"#),
            "start":T0 + 3_000,"end":T0 + 3_020,"status":401,"redirected":false,
            "final_url":format!("{BASE}/v1/auth/refresh/"),
            "headers":[["x-auth-error-code","reused"]],"at":T0 + 3_020},
            "tab":1,"frame":0,"url":url});
        let deliver = |h: &mut Harness| {
            h.at(3_150);
            h.core
                .handle_json(&input("page", backlog.clone()), h.now)
                .unwrap();
        };
        if backlog_first {
            deliver(&mut h);
        }
        let timeline = wire::parse_timeline(h.core.held_timeline().as_bytes()).unwrap();
        let settled = h.core.settle(Some(&held::answer(&timeline, &ids))).events;
        if !backlog_first {
            deliver(&mut h);
        }
        assert_eq!(settled.len(), 1, "{case}");
        let EventKind::LogoutObserved(o) = &settled[0].kind else {
            panic!("{case}: not a logout");
        };
        assert_eq!(o.trigger, LogoutTrigger::LoginPage, "{case}");
        assert_eq!(o.cause, cause, "{case}");
        // The late exchange is dated when it happened, before the logout.
        let x = h
            .core
            .timeline()
            .iter()
            .find(|e| matches!(e.kind, EventKind::HttpExchange(_)) && e.ts_ms > T0 + 2_000)
            .unwrap();
        assert!(
            x.ts_ms < settled[0].ts_ms,
            "{case}: {} < {}",
            x.ts_ms,
            settled[0].ts_ms
        );
        assert!(
            !serde_json::to_string(h.core.timeline())
                .unwrap()
                .contains(&r),
            "{case}"
        );
    }
}
