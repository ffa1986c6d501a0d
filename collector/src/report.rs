//! The self-contained HTML report: a timeline picture of token lifetimes,
//! idle spans, hidden/frozen/sleep spans, failed requests and the logout, with
//! the diagnosis beside it. No scripts, fonts or images are loaded from
//! anywhere; every value shown has been through the model's scrubber.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use logout_lens_model::event::{
    CookieChange, EventKind, IdleState, LifecycleState, StorageChange, StorageOp,
};
use logout_lens_model::time::human_ms;
use logout_lens_model::{Diagnosis, Event, Redactor};

use crate::units::rfc3339_ms;

const LEFT: f64 = 110.0;
const WIDTH: f64 = 1000.0;
const LANE_H: f64 = 34.0;
const TOP: f64 = 24.0;
const LANES: [&str; 6] = [
    "Tokens",
    "Cookies",
    "Idle",
    "Page / sleep",
    "Network",
    "Logout",
];

struct Scale {
    t0: i64,
    t1: i64,
}

impl Scale {
    fn x(&self, ts: i64) -> f64 {
        let ts = ts.clamp(self.t0, self.t1);
        LEFT + (ts - self.t0) as f64 / (self.t1 - self.t0) as f64 * (WIDTH - LEFT - 10.0)
    }
}

fn lane_y(lane: usize) -> f64 {
    TOP + lane as f64 * LANE_H
}

/// HTML-escapes text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A span or mark on one lane.
struct Mark {
    lane: usize,
    start: i64,
    end: Option<i64>,
    class: &'static str,
    label: String,
    event: String,
}

/// Renders the report for `events` (the window around one logout).
pub fn render(events: &[Event], diagnosis: Option<&Diagnosis>, redactor: &Redactor) -> String {
    let clean: Vec<Event> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            redactor.scrub_event(&mut e);
            e
        })
        .collect();
    let diagnosis = diagnosis.map(|d| scrub_diagnosis(d, redactor));
    let diagnosis = diagnosis.as_ref();
    let mut sorted: Vec<&Event> = clean.iter().collect();
    sorted.sort_by_key(|e| e.ts_ms);
    let t0 = sorted.first().map_or(0, |e| e.ts_ms);
    let mut t1 = sorted.last().map_or(1, |e| e.ts_ms);
    if t1 <= t0 {
        t1 = t0 + 1000;
    }
    let scale = Scale { t0, t1 };
    let marks = marks(&sorted, t1);
    let logout_ts = diagnosis.map(|d| d.logout_ts_ms);

    let mut html = String::with_capacity(64 * 1024);
    html.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>Logout Lens report</title><style>",
        "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330}",
        "h1{font-size:20px}main{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}",
        "#timeline{flex:1 1 700px;border:1px solid #d7dbe3;border-radius:6px;background:#fbfcfe}",
        "aside{flex:0 1 380px}.finding{border-left:4px solid #6b7bd6;padding:4px 10px;margin:8px 0;background:#f3f5fb}",
        ".finding.top{border-color:#d64545}.conf{color:#5b6275}.lane-label{font-size:12px;fill:#5b6275}",
        ".token{fill:#7fb3f5}.cookie{fill:#9ad1a8}.idle{fill:#f2c46d}.hidden{fill:#c7c9d1}.frozen{fill:#9aa3c7}",
        ".sleep{fill:#6c6f7d}.req{fill:#5a9f68}.req.failed{fill:#d64545}.removed{fill:#d64545}",
        ".logout-marker{stroke:#d64545;stroke-width:2;stroke-dasharray:5 3}.axis{font-size:11px;fill:#5b6275}",
        "table{border-collapse:collapse;width:100%;margin-top:24px;font-size:12px}",
        "td,th{border-bottom:1px solid #e3e6ee;padding:3px 6px;text-align:left;vertical-align:top}",
        "tr.logout{background:#fdecec}code{font-size:11px;word-break:break-all}",
        "</style></head><body>\n<h1>Logout Lens report</h1>\n",
    ));
    if let Some(d) = diagnosis {
        let _ = writeln!(
            html,
            "<p id=\"headline\"><strong>{}</strong> — {} at {}</p>",
            esc(&d.headline),
            esc(d.cause.title()),
            esc(&rfc3339_ms(d.logout_ts_ms))
        );
    }
    html.push_str("<main>\n");
    svg(&mut html, &scale, &marks, logout_ts, diagnosis);
    aside(&mut html, diagnosis);
    html.push_str("</main>\n");
    table(&mut html, &sorted, diagnosis);
    html.push_str("</body></html>\n");
    html
}

fn svg(
    html: &mut String,
    scale: &Scale,
    marks: &[Mark],
    logout_ts: Option<i64>,
    d: Option<&Diagnosis>,
) {
    let height = TOP + LANES.len() as f64 * LANE_H + 20.0;
    let _ = writeln!(
        html,
        "<svg id=\"timeline\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"Timeline\" \
         xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, name) in LANES.iter().enumerate() {
        let y = lane_y(i) + LANE_H / 2.0 + 4.0;
        let _ = writeln!(
            html,
            "<text class=\"lane-label\" x=\"8\" y=\"{y}\">{name}</text>"
        );
    }
    for k in 0..=4 {
        let ts = scale.t0 + (scale.t1 - scale.t0) * k / 4;
        let x = scale.x(ts);
        let label = rfc3339_ms(ts);
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            html,
            "<text class=\"axis\" x=\"{x:.1}\" y=\"14\" text-anchor=\"{anchor}\">{}</text>",
            esc(&label[11..19])
        );
    }
    for m in marks {
        // Sleep shares the page lane: page states on top, sleep below.
        let (y, h) = match m.class {
            "sleep" => (lane_y(m.lane) + LANE_H / 2.0, LANE_H / 2.0 - 6.0),
            "hidden" | "frozen" => (lane_y(m.lane) + 6.0, LANE_H / 2.0 - 6.0),
            _ => (lane_y(m.lane) + 6.0, LANE_H - 12.0),
        };
        let x = scale.x(m.start);
        let title = format!("<title>{}</title>", esc(&m.label));
        match m.end {
            Some(end) => {
                let w = (scale.x(end) - x).max(2.0);
                let _ = writeln!(
                    html,
                    "<rect class=\"{}\" data-event=\"{}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\">{title}</rect>",
                    m.class,
                    esc(&m.event),
                );
            }
            None => {
                let _ = writeln!(
                    html,
                    "<rect class=\"{}\" data-event=\"{}\" x=\"{:.1}\" y=\"{y}\" width=\"3\" height=\"{h}\">{title}</rect>",
                    m.class,
                    esc(&m.event),
                    x - 1.5,
                );
            }
        }
    }
    if let (Some(ts), Some(d)) = (logout_ts, d) {
        let x = scale.x(ts);
        let _ = writeln!(
            html,
            "<line id=\"logout-marker\" class=\"logout-marker\" data-logout-id=\"{}\" x1=\"{x:.1}\" y1=\"{}\" \
             x2=\"{x:.1}\" y2=\"{}\"><title>logout {}</title></line>",
            esc(d.logout_id.as_str()),
            TOP - 4.0,
            height - 8.0,
            esc(&rfc3339_ms(ts))
        );
        let _ = writeln!(
            html,
            "<text class=\"axis\" x=\"{:.1}\" y=\"{}\" text-anchor=\"end\" style=\"fill:#d64545\">logout</text>",
            x - 4.0,
            height - 8.0
        );
    }
    html.push_str("</svg>\n");
}

fn aside(html: &mut String, d: Option<&Diagnosis>) {
    html.push_str("<aside id=\"diagnosis\">\n<h2>Diagnosis</h2>\n");
    let Some(d) = d else {
        html.push_str("<p>No logout in this trace.</p></aside>\n");
        return;
    };
    if let Some(idle) = d.idle_ms {
        let _ = writeln!(
            html,
            "<p>Idle for {} before the logout.</p>",
            esc(&human_ms(idle))
        );
    }
    if let Some(t) = &d.reported_type {
        let _ = writeln!(html, "<p>The app reported <code>{}</code>.</p>", esc(t));
    }
    for (i, f) in d.causes.iter().enumerate() {
        let evidence: Vec<String> = f
            .evidence
            .iter()
            .map(|id| format!("<a href=\"#ev-{0}\">{0}</a>", esc(id.as_str())))
            .collect();
        let _ = writeln!(
            html,
            "<div class=\"finding{}\" data-cause=\"{}\"><strong>{}</strong> <span class=\"conf\">{}%</span>\
             <p>{}</p><p><em>Fix:</em> {}</p><p class=\"evidence\">Evidence: {}</p></div>",
            if i == 0 { " top" } else { "" },
            esc(f.cause.code()),
            esc(f.cause.title()),
            f.confidence,
            esc(&f.explanation),
            esc(&f.fix_hint),
            evidence.join(", ")
        );
    }
    html.push_str("</aside>\n");
}

/// The diagnosis's text quotes event data; it is scrubbed like the events.
fn scrub_diagnosis(d: &Diagnosis, redactor: &Redactor) -> Diagnosis {
    let mut d = d.clone();
    let text = |s: &mut String| *s = redactor.scrub_text(s);
    text(&mut d.logout_id.0);
    text(&mut d.headline);
    if let Some(o) = d.origin.as_mut() {
        *o = redactor.url(o);
    }
    if let Some(r) = d.reported_type.as_mut() {
        text(r);
    }
    for f in &mut d.causes {
        text(&mut f.explanation);
        text(&mut f.fix_hint);
        f.evidence.iter_mut().for_each(|id| text(&mut id.0));
    }
    d
}

fn table(html: &mut String, events: &[&Event], d: Option<&Diagnosis>) {
    html.push_str("<table id=\"events\"><thead><tr><th>Time</th><th>Kind</th><th>Where</th><th>Details</th></tr></thead><tbody>\n");
    for e in events {
        let is_logout = d.is_some_and(|d| d.logout_id == e.id);
        let mut body = serde_json::to_value(e).unwrap_or_default();
        if let Some(o) = body.as_object_mut() {
            for k in ["schema", "id", "ts_ms", "origin", "path", "kind", "source"] {
                o.remove(k);
            }
        }
        let place = format!(
            "{}{}",
            e.origin.as_deref().unwrap_or(""),
            e.path.as_deref().unwrap_or("")
        );
        let _ = writeln!(
            html,
            "<tr id=\"ev-{}\"{}><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(e.id.as_str()),
            if is_logout { " class=\"logout\"" } else { "" },
            esc(&rfc3339_ms(e.ts_ms)[11..23]),
            esc(e.kind.name()),
            esc(&place),
            esc(&body.to_string())
        );
    }
    html.push_str("</tbody></table>\n");
}

/// Turns events into lane marks: spans close at the event that ends them.
fn marks(events: &[&Event], end: i64) -> Vec<Mark> {
    let mut out = Vec::new();
    let mut idle_since: Option<(i64, String)> = None;
    let mut page_since: BTreeMap<i64, (i64, &'static str, String)> = BTreeMap::new();
    for e in events {
        let id = e.id.0.clone();
        match &e.kind {
            EventKind::StorageChange(StorageChange { op, token, key, .. }) => match (op, token) {
                (StorageOp::Set, Some(t)) => {
                    let exp = t.claims.as_ref().and_then(|c| c.exp_ms());
                    out.push(Mark {
                        lane: 0,
                        start: e.ts_ms,
                        end: Some(exp.unwrap_or(end).max(e.ts_ms)),
                        class: "token",
                        label: format!(
                            "{key} stored{}",
                            exp.map_or(String::new(), |x| format!(", expires {}", rfc3339_ms(x)))
                        ),
                        event: id,
                    });
                }
                (StorageOp::Remove | StorageOp::Clear, _) => out.push(Mark {
                    lane: 0,
                    start: e.ts_ms,
                    end: None,
                    class: "removed",
                    label: format!("{key} removed"),
                    event: id,
                }),
                _ => {}
            },
            EventKind::CookieChange(CookieChange {
                name,
                removed,
                expires_ms,
                cause,
                ..
            }) => {
                if *removed {
                    out.push(Mark {
                        lane: 1,
                        start: e.ts_ms,
                        end: None,
                        class: "removed",
                        label: format!("cookie {name} removed ({cause:?})"),
                        event: id,
                    });
                } else {
                    out.push(Mark {
                        lane: 1,
                        start: e.ts_ms,
                        end: Some(expires_ms.unwrap_or(end).max(e.ts_ms)),
                        class: "cookie",
                        label: format!("cookie {name} set"),
                        event: id,
                    });
                }
            }
            EventKind::IdleState(s) => match s.state {
                IdleState::Idle | IdleState::Locked => {
                    idle_since.get_or_insert((e.ts_ms, id));
                }
                IdleState::Active => {
                    if let Some((start, ev)) = idle_since.take() {
                        out.push(idle_mark(start, e.ts_ms, ev));
                    }
                }
            },
            EventKind::PageLifecycle(p) => {
                let tab = e.tab.unwrap_or(-1);
                match p.state {
                    LifecycleState::Hidden => {
                        page_since.entry(tab).or_insert((e.ts_ms, "hidden", id));
                    }
                    LifecycleState::Frozen | LifecycleState::Discarded => {
                        if let Some((start, class, ev)) = page_since.remove(&tab) {
                            out.push(page_mark(start, e.ts_ms, class, ev));
                        }
                        page_since.insert(tab, (e.ts_ms, "frozen", id));
                    }
                    LifecycleState::Visible | LifecycleState::Resumed => {
                        if let Some((start, class, ev)) = page_since.remove(&tab) {
                            out.push(page_mark(start, e.ts_ms, class, ev));
                        }
                    }
                }
            }
            EventKind::TimeSample(t) if t.gap_ms() >= 60_000 => out.push(Mark {
                lane: 3,
                start: e.ts_ms - t.gap_ms(),
                end: Some(e.ts_ms),
                class: "sleep",
                label: format!("asleep {}", human_ms(t.gap_ms())),
                event: id,
            }),
            EventKind::HttpExchange(x) => {
                let failed = !matches!(x.status, Some(100..=399));
                out.push(Mark {
                    lane: 4,
                    start: e.ts_ms,
                    end: None,
                    class: if failed { "req failed" } else { "req" },
                    label: format!(
                        "{} {} → {}",
                        x.method,
                        logout_lens_model::http::path_of(&logout_lens_model::redact::redact_url(
                            &x.url
                        )),
                        x.status
                            .map_or_else(|| x.error.clone().unwrap_or_default(), |s| s.to_string())
                    ),
                    event: id,
                });
            }
            _ if e.is_logout() => out.push(Mark {
                lane: 5,
                start: e.ts_ms,
                end: None,
                class: "removed",
                label: format!("{} ", e.kind.name()),
                event: id,
            }),
            _ => {}
        }
    }
    if let Some((start, ev)) = idle_since {
        out.push(idle_mark(start, end, ev));
    }
    for (_, (start, class, ev)) in page_since {
        out.push(page_mark(start, end, class, ev));
    }
    out
}

fn idle_mark(start: i64, end: i64, event: String) -> Mark {
    Mark {
        lane: 2,
        start,
        end: Some(end),
        class: "idle",
        label: format!("idle {}", human_ms(end - start)),
        event,
    }
}

fn page_mark(start: i64, end: i64, class: &'static str, event: String) -> Mark {
    Mark {
        lane: 3,
        start,
        end: Some(end),
        class,
        label: format!("{class} {}", human_ms(end - start)),
        event,
    }
}
