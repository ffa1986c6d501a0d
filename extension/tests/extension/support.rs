use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use logout_lens_extension::Core;
use logout_lens_extension::held;
use logout_lens_extension::ui::view::{self, Alert};
use logout_lens_model::event::LogoutObserved;
use logout_lens_model::{Event, EventKind, wire};
use serde_json::{Value, json};

pub(super) const BASE: &str = "http://127.0.0.1:4000";
pub(super) const T0: i64 = 1_764_320_000_000;

/// A JWT-shaped token (unsigned: the extension never verifies).
pub(super) fn jwt(kind: &str, exp_s: i64, salt: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD
        .encode(json!({"sub":"1","typ":kind,"exp":exp_s,"iat":exp_s - 60,"jti":salt}).to_string());
    format!("{h}.{p}.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUt{salt}")
}

/// One input's JSON text, as the glue hands it over.
pub(super) fn input(name: &str, details: Value) -> String {
    json!({"input": name, "details": details}).to_string()
}

/// Where the network inputs come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Net {
    /// The opt-in webRequest listeners (every header, Set-Cookie included).
    WebRequest,
    /// The default: the MAIN-world `fetch`/XHR hook's `net` records.
    PageHook,
}

/// A core plus everything it emitted.
pub(super) struct Harness {
    pub(super) core: Core,
    pub(super) events: Vec<Event>,
    /// Every logout settled, with its alert as the pages' module makes it.
    pub(super) alerts: Vec<Alert>,
    pub(super) now: i64,
    pub(super) net: Net,
    /// The site `page` and `request` act on (default [`BASE`]), and the
    /// tab `page` sends from.
    pub(super) base: String,
    pub(super) tab: i64,
    next_req: u64,
}

impl Harness {
    /// A core fed by webRequest.
    pub(super) fn new() -> Self {
        Self::with(Net::WebRequest)
    }

    /// One core per network source, for the stories that must hold with both.
    pub(super) fn both() -> [Self; 2] {
        [Self::with(Net::WebRequest), Self::with(Net::PageHook)]
    }

    pub(super) fn with(net: Net) -> Self {
        let mut h = Harness {
            core: Core::new(
                &[9u8; 32],
                &[1, 2, 3, 4, 5, 6, 7, 8],
                Default::default(),
                Default::default(),
                T0,
            )
            .unwrap(),
            events: Vec::new(),
            alerts: Vec::new(),
            now: T0,
            net,
            base: BASE.to_owned(),
            tab: 1,
            next_req: 0,
        };
        // The glue says first which source is live.
        h.send("capture", json!({"webRequest": net == Net::WebRequest}));
        h
    }

    pub(super) fn at(&mut self, ms: i64) -> &mut Self {
        self.now = T0 + ms;
        self
    }

    /// From now on `page` and `request` act on `base`, `page` from `tab`.
    pub(super) fn on(&mut self, base: &str, tab: i64) -> &mut Self {
        self.base = base.to_owned();
        self.tab = tab;
        self
    }

    /// The sign-in page's start: an empty storage scan, input activity and a
    /// successful `POST /v1/auth/login/`.
    pub(super) fn start_login(&mut self, last_input_ms: i64) {
        self.page("/signin", json!({"t":"scan","local":[],"session":[]}));
        self.page(
            "/signin",
            json!({"t":"activity","last_input_ms": last_input_ms}),
        );
        self.request(
            1,
            "xmlhttprequest",
            "POST",
            "/v1/auth/login/",
            Some(r#"{"email":"a@b.c","password":"pw"}"#),
            json!([]),
            200,
            json!([]),
        );
    }

    /// One input, and then what the worker's glue does: held logouts are
    /// diagnosed from the timeline (as the pages' module would) and settled.
    pub(super) fn send(&mut self, name: &str, details: Value) -> Vec<Event> {
        let mut out = self
            .core
            .handle_json(&input(name, details), self.now)
            .unwrap();
        let ids = self.core.held_ids();
        if !ids.is_empty() {
            let timeline = wire::parse_timeline(self.core.held_timeline().as_bytes()).unwrap();
            let settled = self.core.settle(Some(&held::answer(&timeline, &ids)));
            // What the worker hands the pages' module for the alerts.
            self.alerts
                .extend(view::alerts(&settled.events, &settled.quiet));
            out.extend(settled.events.into_iter().filter(|e| self.core.sends(e)));
        }
        self.events.extend(out.clone());
        out
    }

    /// A content-script message from the current tab's top frame on `path`
    /// of the current site.
    pub(super) fn page(&mut self, path: &str, msg: Value) -> Vec<Event> {
        let url = format!("{}{path}", self.base);
        let tab = self.tab;
        self.frame_msg(tab, 0, &url, msg)
    }

    /// A content-script message from frame `frame` of `tab`, showing `url`.
    pub(super) fn frame_msg(&mut self, tab: i64, frame: i64, url: &str, msg: Value) -> Vec<Event> {
        self.send(
            "page",
            json!({"msg": msg, "tab": tab, "frame": frame, "url": url}),
        )
    }

    /// One request through the webRequest events, or as the page hook
    /// reports it (which sees no `Set-Cookie`); returns the request id.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn request(
        &mut self,
        tab: i64,
        kind: &str,
        method: &str,
        path: &str,
        body: Option<&str>,
        request_headers: Value,
        status: u16,
        response_headers: Value,
    ) -> String {
        self.next_req += 1;
        if self.net == Net::PageHook {
            return self.hooked(
                tab,
                method,
                path,
                body,
                &request_headers,
                status,
                &response_headers,
            );
        }
        let id = self.next_req.to_string();
        let ts = self.now as f64;
        let base = json!({"requestId": id, "url": format!("{}{path}", self.base), "method": method, "tabId": tab,
            "frameId": 0, "type": kind, "timeStamp": ts, "initiator": self.base});
        let with = |extra: Value| {
            let mut b = base.clone();
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        self.send("before_request", with(json!({"bodyText": body})));
        self.send(
            "send_headers",
            with(json!({"requestHeaders": request_headers})),
        );
        let resp = json!({"statusCode": status, "responseHeaders": response_headers, "timeStamp": ts + 20.0});
        self.send("headers_received", with(resp.clone()));
        self.send("completed", with(resp));
        // The page reacts after the response.
        self.now += 30;
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn hooked(
        &mut self,
        tab: i64,
        method: &str,
        path: &str,
        body: Option<&str>,
        request_headers: &Value,
        status: u16,
        response_headers: &Value,
    ) -> String {
        let header = |list: &Value, name: &str| -> Option<String> {
            list.as_array()?
                .iter()
                .find(|h| {
                    h["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .and_then(|h| h["value"].as_str().map(str::to_owned))
        };
        // Only what `headers.get` would return to the page.
        let readable: Vec<Value> = ["date", "www-authenticate", "x-auth-error-code", "location"]
            .iter()
            .filter_map(|n| header(response_headers, n).map(|v| json!([n, v])))
            .collect();
        let start = self.now;
        let url = format!("{}{path}", self.base);
        let msg = json!({"t": "net", "id": self.next_req, "url": url, "method": method,
            "auth": header(request_headers, "authorization"), "body": body,
            "start": start, "end": start + 20, "status": status, "redirected": false,
            "final_url": url, "headers": readable});
        // Posted when the response is in.
        self.now += 20;
        let page = format!("{}/dashboard", self.base);
        self.send(
            "page",
            json!({"msg": msg, "tab": tab, "frame": 0, "url": page}),
        );
        self.now += 10;
        format!("page:{tab}:0:{}", self.next_req)
    }

    pub(super) fn logouts(&self) -> Vec<(&Event, &LogoutObserved)> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::LogoutObserved(o) => Some((e, o)),
                _ => None,
            })
            .collect()
    }

    pub(super) fn all_json(&self) -> String {
        serde_json::to_string(&self.events).unwrap()
    }
}
