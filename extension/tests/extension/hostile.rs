//! A hostile page: a cross-origin frame forging a sign-in, a logout and a
//! clock; implausible values; a flood of messages.

use logout_lens_extension::Relay;
use logout_lens_extension::limits;
use logout_lens_extension::relay::DEFAULT_CAPACITY;
use logout_lens_model::{Event, EventKind};
use serde_json::json;

use super::support::{Harness, Net, T0, input, jwt};

const BANK: &str = "http://127.0.0.1:4000";
const ADS: &str = "http://localhost:5000";
/// The ads frame's id in the bank's tab.
const FRAME: i64 = 7;

fn logouts(h: &Harness) -> Vec<&Event> {
    h.events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::LogoutObserved(_)))
        .collect()
}

/// A cross-origin frame in the bank's page forges, through the page hook,
/// a successful sign-in with a server clock of 1970 and a stored JWT, then
/// clears its storage and clicks "Log out"; then the bank's tab goes to the
/// bank's sign-in page. None of it changes the bank's state: not signed in,
/// no logout, no skew, no event filed under the bank.
#[test]
fn a_cross_origin_frame_changes_nothing_of_the_top_site() {
    let mut h = Harness::with(Net::PageHook);
    h.on(BANK, 1);
    h.send(
        "tab_updated",
        json!({"tabId":1,"url":format!("{BANK}/home")}),
    );
    h.page("/home", json!({"t":"scan","local":[],"session":[]}));
    h.at(1_000);
    let frame_url = format!("{ADS}/ad?slot=1");
    let token = jwt("access", T0 / 1000 + 3600, "forged");
    let login = json!({"t":"net","id":1,"url":format!("{BANK}/v1/auth/login/"),"method":"POST",
        "start": h.now - 20, "end": h.now, "status": 200, "redirected": false,
        "headers": [["date", "Thu, 01 Jan 1970 00:00:00 GMT"]]});
    h.frame_msg(1, FRAME, &frame_url, login);
    h.frame_msg(1, FRAME, &frame_url, json!({"t":"storage","area":"local","op":"set","key":"access_token","value":token,"old":null}));
    h.frame_msg(
        1,
        FRAME,
        &frame_url,
        json!({"t":"storage","area":"local","op":"clear","entries":[["access_token", token]]}),
    );
    h.frame_msg(1, FRAME, &frame_url, json!({"t":"click","label":"Log out"}));
    h.at(2_000);
    h.send(
        "tab_updated",
        json!({"tabId":1,"url":format!("{BANK}/login")}),
    );

    assert!(!h.core.is_signed_in(BANK), "the frame signed the bank in");
    for e in logouts(&h) {
        assert_ne!(
            e.origin.as_deref(),
            Some(BANK),
            "a forged logout of the bank: {e:?}"
        );
    }
    // Everything the frame said is filed under the frame's own site.
    for e in h.events.iter().filter(|e| e.frame == Some(FRAME)) {
        assert_eq!(e.origin.as_deref(), Some(ADS), "{e:?}");
    }
    let x = h
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::HttpExchange(_)))
        .expect("the frame's exchange");
    assert_eq!(
        (x.origin.as_deref(), x.frame, x.path.as_deref()),
        (Some(ADS), Some(FRAME), Some("/ad"))
    );
    // The −56-year clock is refused and counted, and not kept for the diagnosis.
    assert!(
        !h.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::TimeSample(t) if t.skew_ms.is_some())),
        "a skew sample of 1970"
    );
    match &x.kind {
        EventKind::HttpExchange(x) => assert_eq!(x.date, None),
        _ => unreachable!(),
    }
    assert_eq!(h.core.counts().implausible_skew, 1);
    // The frame's own logout is the frame's, and it is no overlay on the bank's page.
    for a in &h.alerts {
        assert_eq!(a.origin.as_deref(), Some(ADS));
        assert!(
            !a.overlay,
            "an overlay on the top page for a frame's logout"
        );
        assert_eq!(a.tab, None, "a banner on the top page for a frame's logout");
    }
    assert!(!h.all_json().contains(&token));
}

/// The same frame, through webRequest: its requests are filed under the
/// frame's document (Chromium's `initiator`, Firefox's `documentUrl`).
#[test]
fn a_frames_requests_are_its_own_with_webrequest() {
    for (extra, page) in [
        (json!({"initiator": ADS}), None),
        (
            json!({"documentUrl": format!("{ADS}/ad?slot=1")}),
            Some("/ad"),
        ),
    ] {
        let mut h = Harness::with(Net::WebRequest);
        h.on(BANK, 1);
        h.send(
            "tab_updated",
            json!({"tabId":1,"url":format!("{BANK}/home")}),
        );
        let mut d = json!({"requestId":"f1","url":format!("{BANK}/v1/auth/login/"),"method":"POST","tabId":1,
            "frameId":FRAME,"type":"xmlhttprequest","timeStamp": h.now as f64});
        for (k, v) in extra.as_object().unwrap() {
            d[k] = v.clone();
        }
        h.send("before_request", d.clone());
        d["statusCode"] = json!(200);
        h.send("completed", d);
        let x = h
            .events
            .iter()
            .find(|e| matches!(e.kind, EventKind::HttpExchange(_)))
            .unwrap();
        assert_eq!(
            (x.origin.as_deref(), x.frame),
            (Some(ADS), Some(FRAME)),
            "{extra}"
        );
        if let Some(p) = page {
            assert_eq!(x.path.as_deref(), Some(p));
        }
        assert!(!h.core.is_signed_in(BANK), "{extra}");
        assert!(h.core.is_signed_in(ADS), "{extra}");
    }
}

/// A frame that clears its own storage does not log the top site out,
/// however signed in the top site is.
#[test]
fn a_frame_clearing_its_storage_logs_out_nobody_else() {
    let mut h = Harness::with(Net::PageHook);
    h.on(BANK, 1);
    let a = jwt("access", T0 / 1000 + 3600, "bank");
    h.start_login(T0);
    h.page(
        "/signin",
        json!({"t":"storage","area":"local","op":"set","key":"access_token","value":a,"old":null}),
    );
    assert!(h.core.is_signed_in(BANK));
    let frame_url = format!("{ADS}/ad");
    h.frame_msg(
        1,
        FRAME,
        &frame_url,
        json!({"t":"storage","area":"local","op":"clear","entries":[["access_token", a]]}),
    );
    h.frame_msg(
        1,
        FRAME,
        &frame_url,
        json!({"t":"scan","local":[],"session":[]}),
    );
    assert!(h.core.is_signed_in(BANK));
    assert!(logouts(&h).is_empty(), "{:#?}", logouts(&h));
}

/// Values no page or server can mean are refused or clamped, and counted.
#[test]
fn implausible_values_are_clamped_and_counted() {
    let mut h = Harness::with(Net::PageHook);
    h.on(BANK, 1).at(3_600_000);
    let now = h.now;
    // A hook's message claiming to have happened in the future, and an
    // hour ago (longer than a page keeps its backlog). Only the hook's
    // messages (storage, cookie, net) carry `at`.
    h.page(
        "/x",
        json!({"t":"cookie","text":"theme=dark","at": now + 86_400_000}),
    );
    h.page(
        "/x",
        json!({"t":"cookie","text":"theme=light","at": now - 3_600_000}),
    );
    // Input in the future, and before the epoch.
    h.page(
        "/x",
        json!({"t":"activity","last_input_ms": now + 10_000_000}),
    );
    h.page("/x", json!({"t":"activity","last_input_ms": -5}));
    // A request ending before it started.
    h.page(
        "/x",
        json!({"t":"net","id":1,"url":format!("{BANK}/api"),"method":"GET",
        "start": now - 100, "end": now - 200, "status": 200}),
    );
    // A server clock two days ahead (a sample within a day is kept).
    h.page("/x", json!({"t":"net","id":2,"url":format!("{BANK}/api"),"method":"GET",
        "start": now - 10, "end": now, "status": 200, "headers": [["date", "Sat, 30 Nov 2025 09:00:00 GMT"]]}));
    h.page("/x", json!({"t":"net","id":3,"url":format!("{BANK}/api"),"method":"GET",
        "start": now - 10, "end": now, "status": 200, "headers": [["date", "Fri, 28 Nov 2025 10:13:20 GMT"]]}));
    let c = h.core.counts();
    assert_eq!(
        (c.time_clamped, c.negative_duration, c.implausible_skew),
        (4, 1, 1),
        "{c:?}"
    );
    for e in &h.events {
        assert!(
            e.ts_ms <= now && e.ts_ms >= now - limits::BACKLOG_MS,
            "{e:?}"
        );
        if let EventKind::Activity(a) = &e.kind {
            assert!(a.last_input_ms <= now, "{e:?}");
        }
        if let EventKind::HttpExchange(x) = &e.kind {
            assert!(x.duration_ms.is_some_and(|d| d <= 10), "{e:?}");
        }
    }
    let skews: Vec<i64> = h
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TimeSample(t) => t.skew_ms,
            _ => None,
        })
        .collect();
    assert_eq!(skews.len(), 1, "{skews:?}");
    assert!(skews[0].abs() < limits::SKEW_MAX_MS);
    // A field over its cap is cut, and counted.
    h.page("/x", json!({"t":"click","label": "x".repeat(10_000)}));
    assert_eq!(h.core.counts().clipped, 1);
    // The forwarder's own count of what it dropped.
    h.page("/x", json!({"t":"dropped","n": 250}));
    assert_eq!(h.core.counts().forwarder_dropped, 250);
    // A message over the size cap is refused whole.
    let huge = "y".repeat(limits::PAGE_INPUT_BYTES);
    let out = h.page("/x", json!({"t":"click","label": huge}));
    assert!(out.is_empty());
    assert_eq!(h.core.counts().too_large, 1);
}

/// One tab floods 100,000 messages while another site's tab is quiet: the
/// flood is rate-limited (counted), keeps at most its share of the
/// timeline and of the relay ring (the collector is away), and costs the
/// quiet site none of its events.
#[test]
fn a_flood_costs_another_site_none_of_its_events() {
    let mut h = Harness::with(Net::PageHook);
    let mut relay = Relay::new(DEFAULT_CAPACITY);
    h.on(BANK, 1);
    let a = jwt("access", T0 / 1000 + 3600, "quiet");
    h.start_login(T0);
    h.page(
        "/signin",
        json!({"t":"storage","area":"local","op":"set","key":"access_token","value":a,"old":null}),
    );
    for i in 0..40 {
        h.at(1_000 + i * 100);
        h.request(
            1,
            "xmlhttprequest",
            "GET",
            "/api/me",
            None,
            json!([]),
            200,
            json!([]),
        );
    }
    let quiet: Vec<String> = h
        .events
        .iter()
        .filter(|e| e.origin.as_deref() == Some(BANK))
        .map(|e| e.id.0.clone())
        .collect();
    assert!(quiet.len() >= 40, "{}", quiet.len());
    for e in &h.events {
        relay.push(
            e.id.0.clone(),
            e.origin.clone(),
            serde_json::value::to_raw_value(e).unwrap(),
        );
    }

    // The flood: 100,000 messages, 1 ms apart, each a request the page claims it made.
    let url = format!("{ADS}/spam");
    for i in 0..100_000i64 {
        let t = T0 + 10_000 + i;
        let msg = json!({"msg": {"t":"net","id": i,"url": format!("{ADS}/api/{i}"),"method":"GET",
            "start": t, "end": t, "status": 200}, "tab": 2, "frame": 0, "url": url});
        for e in h.core.handle_json(&input("page", msg), t).unwrap() {
            let json = serde_json::value::to_raw_value(&e).unwrap();
            relay.push(e.id.0.clone(), e.origin.clone(), json);
        }
    }
    let c = h.core.counts();
    let accepted = 100_000 - c.rate_limited as i64;
    // The burst, then the rate over the flood's 99.999 s.
    assert_eq!(
        accepted,
        limits::TAB_BURST + limits::TAB_RATE_PER_S * 99_999 / 1000,
        "{c:?}"
    );

    let timeline = h.core.timeline();
    for id in &quiet {
        assert!(
            timeline.iter().any(|e| &e.id.0 == id),
            "the quiet site lost {id} from the timeline"
        );
    }
    let flood_kept = timeline
        .iter()
        .filter(|e| e.origin.as_deref() == Some(ADS))
        .count();
    assert_eq!(flood_kept, limits::TIMELINE_SHARE);
    assert!(timeline.len() <= limits::TIMELINE_MAX);

    let saved: serde_json::Value = serde_json::from_str(&relay.snapshot()).unwrap();
    let ring = saved["events"].as_array().unwrap();
    for id in &quiet {
        assert!(
            ring.iter().any(|e| e["id"] == id.as_str()),
            "the quiet site lost {id} from the ring"
        );
    }
    let ring_flood = ring.iter().filter(|e| e["origin"] == ADS).count();
    assert_eq!(ring_flood, limits::RING_SHARE);

    // The quiet tab is not limited by the other's flood.
    h.at(200_000);
    h.request(
        1,
        "xmlhttprequest",
        "GET",
        "/api/me",
        None,
        json!([]),
        200,
        json!([]),
    );
    assert_eq!(h.core.counts().rate_limited, c.rate_limited);
}

/// A page forging logout after logout gets one notification a minute;
/// another site's logout in that minute still gets its own.
#[test]
fn forged_logouts_notify_once_a_minute_per_site() {
    let mut h = Harness::with(Net::PageHook);
    for i in 0..10 {
        h.on(ADS, 2).at(i * 5_000);
        h.start_login(h.now);
        let token = jwt("access", T0 / 1000 - 10, &format!("f{i}"));
        h.page("/x", json!({"t":"storage","area":"local","op":"set","key":"access_token","value":token,"old":null}));
        h.page(
            "/x",
            json!({"t":"storage","area":"local","op":"clear","entries":[["access_token", token]]}),
        );
    }
    h.on(BANK, 1).at(20_000);
    let a = jwt("access", T0 / 1000 + 3600, "bank");
    h.start_login(h.now);
    h.page(
        "/signin",
        json!({"t":"storage","area":"local","op":"set","key":"access_token","value":a,"old":null}),
    );
    h.page(
        "/signin",
        json!({"t":"storage","area":"local","op":"clear","entries":[["access_token", a]]}),
    );
    let notified: Vec<&str> = h
        .alerts
        .iter()
        .filter(|a| a.notification.is_some())
        .filter_map(|a| a.origin.as_deref())
        .collect();
    let ads_alerts = h
        .alerts
        .iter()
        .filter(|a| a.origin.as_deref() == Some(ADS))
        .count();
    assert_eq!(
        ads_alerts, 10,
        "every logout is still settled and shown in its page"
    );
    assert_eq!(notified, [ADS, BANK], "{:#?}", h.alerts);
    assert_eq!(h.core.counts().notice_throttled, 9);
    // A minute later the site may notify again.
    h.on(ADS, 2).at(61_000);
    h.start_login(h.now);
    let token = jwt("access", T0 / 1000 - 10, "late");
    h.page("/x", json!({"t":"storage","area":"local","op":"set","key":"access_token","value":token,"old":null}));
    h.page(
        "/x",
        json!({"t":"storage","area":"local","op":"clear","entries":[["access_token", token]]}),
    );
    assert!(h.alerts.last().unwrap().notification.is_some());
}
