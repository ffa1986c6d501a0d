use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use logout_lens_extension::Core;
use logout_lens_model::event::LogoutObserved;
use logout_lens_model::{Event, EventKind};
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

/// A core plus everything it emitted.
pub(super) struct Harness {
    pub(super) core: Core,
    pub(super) events: Vec<Event>,
    pub(super) now: i64,
    next_req: u64,
}

impl Harness {
    pub(super) fn new() -> Self {
        Harness {
            core: Core::new(
                &[9u8; 32],
                &[1, 2, 3, 4, 5, 6, 7, 8],
                Default::default(),
                Default::default(),
                T0,
            )
            .unwrap(),
            events: Vec::new(),
            now: T0,
            next_req: 0,
        }
    }

    pub(super) fn at(&mut self, ms: i64) -> &mut Self {
        self.now = T0 + ms;
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

    pub(super) fn send(&mut self, input: &str, details: Value) -> Vec<Event> {
        let out = self
            .core
            .handle(input, &details.to_string(), self.now)
            .unwrap();
        self.events.extend(out.clone());
        out
    }

    /// A content-script message from tab 1's top frame on `path`.
    pub(super) fn page(&mut self, path: &str, msg: Value) -> Vec<Event> {
        self.send(
            "page",
            json!({"msg": msg, "tab": 1, "frame": 0, "url": format!("{BASE}{path}")}),
        )
    }

    /// One request through the webRequest events; returns the request id.
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
        let id = self.next_req.to_string();
        let ts = self.now as f64;
        let base = json!({"requestId": id, "url": format!("{BASE}{path}"), "method": method, "tabId": tab,
            "frameId": 0, "type": kind, "timeStamp": ts});
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
