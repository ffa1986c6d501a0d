//! One browser, several sites: each logout is diagnosed, shown and filed on
//! its own site (127.0.0.1 and localhost are two sites; so are two ports of
//! one host).

use logout_lens_extension::ui::view;
use logout_lens_model::event::LogoutTrigger;
use logout_lens_model::{Cause, Event, EventKind, wire};
use serde_json::json;

use super::support::{Harness, Net, T0, jwt};

const A: &str = "http://127.0.0.1:4000";
const B: &str = "http://localhost:4000";

/// Signed in on the current site with tokens in localStorage, landed on
/// `/dashboard` in the current tab.
fn signed_in(
    h: &mut Harness,
    salt: &str,
    access_ttl_s: i64,
    refresh_ttl_s: i64,
) -> (String, String) {
    let a = jwt("access", h.now / 1000 + access_ttl_s, &format!("a{salt}"));
    let r = jwt("refresh", h.now / 1000 + refresh_ttl_s, &format!("r{salt}"));
    h.start_login(h.now);
    h.page(
        "/signin",
        json!({"t":"storage","area":"local","op":"set","key":"access_token","value":a,"old":null}),
    );
    h.page(
        "/signin",
        json!({"t":"storage","area":"local","op":"set","key":"refresh_token","value":r,"old":null}),
    );
    let (base, tab) = (h.base.clone(), h.tab);
    h.send(
        "tab_updated",
        json!({"tabId": tab, "url": format!("{base}/dashboard")}),
    );
    (a, r)
}

fn logout_of<'a>(h: &'a Harness, origin: &str) -> Vec<&'a Event> {
    h.events
        .iter()
        .filter(|e| {
            matches!(e.kind, EventKind::LogoutObserved(_)) && e.origin.as_deref() == Some(origin)
        })
        .collect()
}

fn cause(e: &Event) -> Option<Cause> {
    match &e.kind {
        EventKind::LogoutObserved(o) => o.cause,
        _ => None,
    }
}

/// A "Log out" click on site A, then 9 s later site B's refresh token has
/// run out and B lands on its sign-in page. B's logout is B's: its stored
/// cause, the popup's Diagnose and the overlay all say so, none cites A.
#[test]
fn a_click_on_one_site_is_not_the_cause_on_another() {
    for mut h in Harness::both() {
        h.on(A, 1);
        let (a_access, a_refresh) = signed_in(&mut h, "A", 3600, 86_400);
        h.at(1_000).on(B, 2);
        let (_, b_refresh) = signed_in(&mut h, "B", 60, 120);

        h.at(600_000).on(A, 1);
        h.page(
            "/dashboard",
            json!({"t":"activity","last_input_ms": T0 + 600_000}),
        );
        h.page("/dashboard", json!({"t":"click","label":"Log out"}));
        h.page(
            "/dashboard",
            json!({"t":"storage","area":"local","op":"remove","key":"access_token","old":a_access}),
        );
        h.page("/dashboard", json!({"t":"storage","area":"local","op":"remove","key":"refresh_token","old":a_refresh}));
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{A}/signin")}),
        );

        h.at(609_000).on(B, 2);
        h.request(
            2,
            "xmlhttprequest",
            "POST",
            "/v1/auth/refresh/",
            Some(&format!(r#"{{"refresh":"{b_refresh}"}}"#)),
            json!([]),
            401,
            json!([{"name":"X-Auth-Error-Code","value":"expired"}]),
        );
        h.send(
            "tab_updated",
            json!({"tabId":2,"url":format!("{B}/signin?reason=REFRESH_FAILED")}),
        );

        let a = logout_of(&h, A);
        let b = logout_of(&h, B);
        assert_eq!((a.len(), b.len()), (1, 1), "{:?}", h.net);
        assert_eq!(cause(a[0]), Some(Cause::UserLogout), "{:?}", h.net);
        assert_eq!(cause(b[0]), Some(Cause::RefreshTokenExpired), "{:?}", h.net);

        // The popup's Diagnose, from the worker's whole timeline.
        let timeline: Vec<Event> = wire::parse_timeline(h.core.held_timeline().as_bytes()).unwrap();
        let d = view::diagnosis(&timeline, &b[0].id.0).expect("diagnosis");
        assert_eq!(d.causes[0].code, "refresh_token_expired", "{:?}", h.net);
        let cited: Vec<&String> = d.causes.iter().flat_map(|c| &c.evidence).collect();
        assert!(
            cited
                .iter()
                .all(|l| !l.contains("logout observed (user clicked log out)")
                    && !l.contains("logout action")),
            "{cited:?}"
        );
        // The overlay and the notification.
        let alert = h
            .alerts
            .iter()
            .find(|al| al.id == b[0].id.0)
            .expect("alert");
        assert_eq!(alert.origin.as_deref(), Some(B));
        assert!(
            alert.overlay_text.contains("refresh token expired"),
            "{}",
            alert.overlay_text
        );
        assert_eq!(
            alert.banner.details[1].1,
            "Refresh token expired (refresh_token_expired)"
        );
    }
}

/// A tab that navigates to another site is a new page: the document's own
/// request (webRequest) and what the new page's hook reports are filed
/// under the new site and its path, not the page the tab left.
#[test]
fn a_navigation_to_another_site_starts_a_new_page_record() {
    // webRequest: the main-frame request and its redirect hop.
    let mut h = Harness::with(Net::WebRequest);
    h.on(A, 1);
    signed_in(&mut h, "nav", 3600, 86_400);
    h.at(5_000);
    let ts = h.now as f64;
    let d = json!({"requestId":"n1","url":format!("{B}/welcome"),"method":"GET","tabId":1,"frameId":0,"type":"main_frame","timeStamp":ts});
    h.send("before_request", d.clone());
    let mut done = d.clone();
    done["statusCode"] = json!(200);
    h.send("completed", done);
    let x = h
        .events
        .iter()
        .rev()
        .find(|e| matches!(e.kind, EventKind::HttpExchange(_)))
        .unwrap();
    assert_eq!(
        (x.origin.as_deref(), x.path.as_deref()),
        (Some(B), Some("/welcome"))
    );

    // The page hook: B's page reports before the browser's tab update came.
    let mut h = Harness::with(Net::PageHook);
    h.on(A, 1);
    signed_in(&mut h, "nav2", 3600, 86_400);
    h.at(5_000).on(B, 1);
    let id = h.request(
        1,
        "xmlhttprequest",
        "GET",
        "/api/news",
        None,
        json!([]),
        200,
        json!([]),
    );
    let x = h
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::HttpExchange(x) if x.request_id.as_deref() == Some(&id)))
        .unwrap();
    assert_eq!(
        (x.origin.as_deref(), x.path.as_deref()),
        (Some(B), Some("/dashboard"))
    );
    // And the new page's logout click is B's, not A's (B is not signed in).
    h.page("/dashboard", json!({"t":"click","label":"Log out"}));
    assert!(logout_of(&h, A).is_empty() && logout_of(&h, B).is_empty());
    assert!(
        h.core.is_signed_in(A),
        "A was not left signed out by B's page"
    );
}

/// A navigation to an excluded site is still a new page: nothing that tab
/// does afterwards is filed under the site it left.
#[test]
fn a_navigation_to_an_excluded_site_leaves_nothing_under_the_old_one() {
    use logout_lens_extension::policy::{Filter, Policy};
    let mut h = Harness::with(Net::WebRequest);
    h.core.configure(Policy {
        filter: Filter {
            exclude: vec!["localhost".into()],
            ..Filter::default()
        },
        ..Policy::default()
    });
    h.on(A, 1);
    signed_in(&mut h, "ex", 3600, 86_400);
    let before = h.events.len();
    h.at(5_000);
    h.send(
        "tab_updated",
        json!({"tabId":1,"url":format!("{B}/private")}),
    );
    h.send("tab_updated", json!({"tabId":1,"discarded":true}));
    h.on(B, 1).request(
        1,
        "xmlhttprequest",
        "GET",
        "/api/x",
        None,
        json!([]),
        200,
        json!([]),
    );
    assert_eq!(h.events.len(), before, "{:#?}", &h.events[before..]);
}

/// Two apps on two ports of one host share a cookie jar: a cookie app
/// (4001) whose session cookie expires, and a token app (4002) whose tab
/// was opened more recently and is on its sign-in page. The expiry is the
/// cookie app's logout, with its cause; the token app, which never
/// depended on that cookie, gets no logout.
#[test]
fn a_cookie_shared_by_two_ports_counts_only_for_its_site() {
    const P: &str = "http://127.0.0.1:4001";
    const Q: &str = "http://127.0.0.1:4002";
    for mut h in Harness::both() {
        h.on(P, 1);
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{P}/signin")}),
        );
        h.page("/signin", json!({"t":"activity","last_input_ms": T0}));
        h.at(500).on(Q, 2);
        h.send(
            "tab_updated",
            json!({"tabId":2,"url":format!("{Q}/signin")}),
        );
        h.page("/signin", json!({"t":"scan","local":[],"session":[]}));
        h.page("/signin", json!({"t":"activity","last_input_ms": T0 + 500}));

        // P signs in; the browser reports the cookie before the page hook's
        // record of the login (which waits for the forwarder's batch).
        h.at(1_000).on(P, 1);
        let cookie = |removed: bool, cause: &str| {
            json!({"removed":removed,"cause":cause,"cookie":{"name":"ll_access",
                "value":"RAWCOOKIEVALUE0123456789","domain":"127.0.0.1","path":"/","httpOnly":true,
                "sameSite":"lax","expirationDate": (T0 + 4_000) as f64 / 1000.0}})
        };
        if h.net == Net::WebRequest {
            h.request(1, "xmlhttprequest", "POST", "/v1/auth/login/", None, json!([]), 200,
                json!([{"name":"Set-Cookie","value":"ll_access=RAWCOOKIEVALUE0123456789; Path=/; HttpOnly; Max-Age=3"}]));
            h.now -= 25;
            h.send("cookie_changed", cookie(false, "explicit"));
        } else {
            h.send("cookie_changed", cookie(false, "explicit"));
            h.request(
                1,
                "xmlhttprequest",
                "POST",
                "/v1/auth/login/",
                None,
                json!([]),
                200,
                json!([]),
            );
        }
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{P}/dashboard")}),
        );
        assert!(h.core.is_signed_in(P), "{:?}", h.net);
        assert!(!h.core.is_signed_in(Q), "{:?}: Q did not sign in", h.net);

        h.at(4_000).send("cookie_changed", cookie(true, "expired"));
        h.at(4_100).on(P, 1);
        h.request(
            1,
            "xmlhttprequest",
            "GET",
            "/api/me",
            None,
            json!([]),
            401,
            json!([]),
        );
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{P}/signin")}),
        );

        assert!(
            logout_of(&h, Q).is_empty(),
            "{:?}: a phantom logout on Q: {:#?}",
            h.net,
            logout_of(&h, Q)
        );
        let p = logout_of(&h, P);
        assert_eq!(p.len(), 1, "{:?}", h.net);
        assert_eq!(
            cause(p[0]),
            Some(Cause::SessionCookieExpired),
            "{:?}",
            h.net
        );
        if let EventKind::LogoutObserved(o) = &p[0].kind {
            assert_eq!(o.trigger, LogoutTrigger::CredentialsVanished);
        }
        // The cookie's changes are filed under the app that depends on it.
        for e in h
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::CookieChange(_)))
        {
            assert_eq!(e.origin.as_deref(), Some(P), "{:?}", h.net);
        }
        // And the popup of Q lists no cookie of P's.
        let cx = view::Context {
            origin: Some(Q),
            watched: true,
            signed_in: false,
            idle_ms: 0,
            now_ms: h.now,
            held: &[],
        };
        assert!(view::popup(h.core.timeline(), cx).credentials.is_empty());
        assert!(!h.all_json().contains("RAWCOOKIEVALUE"));
    }
}

/// Two apps on one host that both depend on one cookie (same name, domain
/// and path): its expiry is a logout of both, each with its own cause.
#[test]
fn a_cookie_both_apps_depend_on_logs_both_out() {
    const P: &str = "http://127.0.0.1:4001";
    const Q: &str = "http://127.0.0.1:4002";
    let mut h = Harness::with(Net::WebRequest);
    let cookie = |removed: bool, cause: &str| {
        json!({"removed":removed,"cause":cause,"cookie":{"name":"sessionid",
            "value":"RAWSESSION0123456789abcdef","domain":"127.0.0.1","path":"/","httpOnly":true,
            "expirationDate": (T0 + 60_000) as f64 / 1000.0}})
    };
    for (i, (site, tab)) in [(P, 1), (Q, 2)].into_iter().enumerate() {
        h.at(i as i64 * 1_000).on(site, tab);
        h.send(
            "tab_updated",
            json!({"tabId":tab,"url":format!("{site}/signin")}),
        );
        h.page("/signin", json!({"t":"activity","last_input_ms": h.now}));
        h.request(tab, "xmlhttprequest", "POST", "/v1/auth/login/", None, json!([]), 200,
            json!([{"name":"Set-Cookie","value":"sessionid=RAWSESSION0123456789abcdef; Path=/; HttpOnly"}]));
        h.now -= 25;
        if i == 1 {
            h.send("cookie_changed", cookie(true, "overwrite"));
        }
        h.send("cookie_changed", cookie(false, "explicit"));
    }
    assert!(h.core.is_signed_in(P) && h.core.is_signed_in(Q));
    h.at(60_000).send("cookie_changed", cookie(true, "expired"));
    for site in [P, Q] {
        let l = logout_of(&h, site);
        assert_eq!(l.len(), 1, "{site}");
        assert_eq!(cause(l[0]), Some(Cause::SessionCookieExpired), "{site}");
    }
}

/// A cookie app keeps its access token in a cookie for `/` and its refresh
/// token in one scoped to `/v1/auth/` (as the server library sets them):
/// the access cookie running out is no logout while the refresh cookie is
/// there (the app refreshes), and the refresh cookie's loss then is.
#[test]
fn a_path_scoped_refresh_cookie_still_counts_for_its_site() {
    for mut h in Harness::both() {
        let cookie = |name: &str, path: &str, removed: bool, cause: &str| {
            json!({"removed":removed,"cause":cause,"cookie":{"name":name,
                "value":"RAWCOOKIEVALUE0123456789","domain":"127.0.0.1","path":path,"httpOnly":true,
                "expirationDate": (T0 + 60_000) as f64 / 1000.0}})
        };
        h.on(A, 1);
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{A}/signin")}),
        );
        h.page("/signin", json!({"t":"activity","last_input_ms": T0}));
        h.request(
            1,
            "xmlhttprequest",
            "POST",
            "/v1/auth/login/",
            None,
            json!([]),
            200,
            json!([]),
        );
        h.send(
            "cookie_changed",
            cookie("ll_access", "/", false, "explicit"),
        );
        h.send(
            "cookie_changed",
            cookie("ll_refresh", "/v1/auth/", false, "explicit"),
        );
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{A}/dashboard")}),
        );
        h.at(60_000)
            .send("cookie_changed", cookie("ll_access", "/", true, "expired"));
        assert!(
            logout_of(&h, A).is_empty(),
            "{:?}: the refresh cookie is still there",
            h.net
        );
        h.at(61_000).send(
            "cookie_changed",
            cookie("ll_refresh", "/v1/auth/", true, "expired"),
        );
        let l = logout_of(&h, A);
        assert_eq!(l.len(), 1, "{:?}", h.net);
        for e in h
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::CookieChange(_)))
        {
            assert_eq!(e.origin.as_deref(), Some(A), "{:?}: {e:?}", h.net);
        }
    }
}

/// With webRequest, a tab's document load of an excluded site is not
/// recorded, and still makes it the tab's page.
#[test]
fn a_document_load_of_an_excluded_site_is_still_the_tabs_page() {
    use logout_lens_extension::policy::{Filter, Policy};
    let mut h = Harness::with(Net::WebRequest);
    h.on(A, 1);
    signed_in(&mut h, "exw", 3600, 86_400);
    h.core.configure(Policy {
        filter: Filter {
            exclude: vec!["localhost".into()],
            ..Filter::default()
        },
        ..Policy::default()
    });
    let before = h.events.len();
    h.at(5_000);
    let ts = h.now as f64;
    let d = json!({"requestId":"x1","url":format!("{B}/private"),"method":"GET","tabId":1,"frameId":0,"type":"main_frame","timeStamp":ts});
    h.send("before_request", d.clone());
    let mut done = d;
    done["statusCode"] = json!(200);
    h.send("completed", done);
    // The tab's next lifecycle change is the excluded page's: nothing recorded.
    h.send("tab_updated", json!({"tabId":1,"discarded":true}));
    assert_eq!(h.events.len(), before, "{:#?}", &h.events[before..]);
}
