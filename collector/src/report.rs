//! The self-contained HTML report: the window around a logout (or any time
//! window) as lanes — token lifetimes, cookies, idle spans, hidden/frozen/
//! sleep spans, one lane per tab for its requests and storage changes, the
//! logout — drawn twice: the whole window, and zoomed in on the last minutes
//! before each logout on an axis that gives every gap between events room
//! (events milliseconds apart stand apart). The diagnosis sits beside it and
//! every event is listed below as key/value rows. No scripts, fonts or
//! images are loaded from anywhere; every value shown has been through the
//! model's scrubber.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use logout_lens_model::event::{
    CookieChange, EventKind, IdleState, LifecycleState, StorageChange, StorageOp,
};
use logout_lens_model::logout::logouts;
use logout_lens_model::time::human_ms;
use logout_lens_model::{Diagnosis, Event, Redactor};
use serde_json::Value;

use crate::units::rfc3339_ms;

const LEFT: f64 = 110.0;
const WIDTH: f64 = 1000.0;
const LANE_H: f64 = 30.0;
const TOP: f64 = 24.0;
/// Tabs with a lane of their own; the rest share one.
const MAX_TAB_LANES: usize = 12;
/// The zoomed view: this long before a logout, this long after, and at most
/// this many events before it.
const ZOOM_BEFORE_MS: i64 = 2 * 60_000;
const ZOOM_AFTER_MS: i64 = 10_000;
const ZOOM_EVENTS: usize = 150;
/// Zoomed axis: a gap of `g` ms between two events is
/// `GAP_MIN + GAP_LOG * ln(1 + g)` px wide (38 ms: 22 px; 1 s: 39 px;
/// 1 min: 59 px).
const GAP_MIN: f64 = 4.0;
const GAP_LOG: f64 = 5.0;
/// Logouts that get a zoomed view (the newest).
const MAX_ZOOMS: usize = 5;

/// A lane of the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Lane {
    Tokens,
    Cookies,
    Idle,
    Page,
    /// Requests and storage changes of one tab (`None`: no tab, or a tab
    /// beyond the ones with a lane of their own).
    Tab(Option<i64>),
    Logout,
}

/// The lanes of one picture, top to bottom.
struct Lanes {
    rows: Vec<(Lane, String)>,
}

impl Lanes {
    /// The fixed lanes, with one lane per tab that made requests or storage
    /// changes (in order of first appearance).
    fn new(events: &[&Event]) -> Lanes {
        let mut tabs: Vec<Option<i64>> = Vec::new();
        for e in events {
            if matches!(
                e.kind,
                EventKind::HttpExchange(_) | EventKind::StorageChange(_)
            ) && !tabs.contains(&e.tab)
            {
                tabs.push(e.tab);
            }
        }
        let mut shared = tabs.len() > MAX_TAB_LANES;
        let mut own: Vec<i64> = tabs.iter().flatten().copied().collect();
        own.truncate(if shared {
            MAX_TAB_LANES - 1
        } else {
            MAX_TAB_LANES
        });
        shared |= tabs.contains(&None);
        let mut rows = vec![
            (Lane::Tokens, "Tokens".to_owned()),
            (Lane::Cookies, "Cookies".to_owned()),
            (Lane::Idle, "Idle".to_owned()),
            (Lane::Page, "Page / sleep".to_owned()),
        ];
        rows.extend(
            own.iter()
                .map(|&t| (Lane::Tab(Some(t)), format!("Tab {t}"))),
        );
        if shared {
            let label = if own.is_empty() {
                "Requests"
            } else {
                "Other / no tab"
            };
            rows.push((Lane::Tab(None), label.to_owned()));
        }
        rows.push((Lane::Logout, "Logout".to_owned()));
        Lanes { rows }
    }

    /// The lane of a tab's marks.
    fn tab(&self, tab: Option<i64>) -> Lane {
        if self.rows.iter().any(|(l, _)| *l == Lane::Tab(tab)) {
            Lane::Tab(tab)
        } else {
            Lane::Tab(None)
        }
    }

    fn y(&self, lane: Lane) -> f64 {
        let i = self.rows.iter().position(|(l, _)| *l == lane).unwrap_or(0);
        TOP + i as f64 * LANE_H
    }

    fn height(&self) -> f64 {
        TOP + self.rows.len() as f64 * LANE_H + 20.0
    }
}

/// Where a time goes on a picture's x axis.
trait Axis {
    fn x(&self, ts: i64) -> f64;
}

/// The whole window, linear.
struct Linear {
    t0: i64,
    t1: i64,
}

impl Axis for Linear {
    fn x(&self, ts: i64) -> f64 {
        let ts = ts.clamp(self.t0, self.t1);
        LEFT + (ts - self.t0) as f64 / (self.t1 - self.t0).max(1) as f64 * (WIDTH - LEFT - 10.0)
    }
}

/// The zoomed window: every event's time gets a place, each gap between
/// two consecutive times a width that grows with its logarithm; times in
/// between are placed linearly within their gap.
struct Gaps {
    /// (time, x), increasing in both.
    points: Vec<(i64, f64)>,
}

impl Gaps {
    fn new(times: impl IntoIterator<Item = i64>) -> Gaps {
        let mut points: Vec<(i64, f64)> = Vec::new();
        for ts in times {
            match points.last() {
                None => points.push((ts, LEFT)),
                Some(&(prev, x)) if ts > prev => {
                    let gap = (ts - prev) as f64;
                    points.push((ts, x + GAP_MIN + GAP_LOG * gap.ln_1p()));
                }
                Some(_) => {}
            }
        }
        Gaps { points }
    }

    fn width(&self) -> f64 {
        self.points.last().map_or(LEFT, |p| p.1) + 40.0
    }
}

impl Axis for Gaps {
    fn x(&self, ts: i64) -> f64 {
        let i = self.points.partition_point(|p| p.0 <= ts);
        match (i.checked_sub(1).map(|j| self.points[j]), self.points.get(i)) {
            (Some((t0, x0)), Some(&(t1, x1))) => {
                x0 + (ts - t0) as f64 / (t1 - t0).max(1) as f64 * (x1 - x0)
            }
            (Some((_, x0)), None) => x0,
            (None, Some(&(_, x1))) => x1,
            (None, None) => LEFT,
        }
    }
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
    lane: Lane,
    start: i64,
    end: Option<i64>,
    class: &'static str,
    label: String,
    event: String,
}

/// Renders the report for `events` (the window around one logout, or any
/// time window) with the diagnosis of its logout, if there is one.
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
    let lanes = Lanes::new(&sorted);
    let marks = marks(&sorted, &lanes, t1);
    let logout_ts = diagnosis.map(|d| d.logout_ts_ms);

    let mut html = String::with_capacity(64 * 1024);
    html.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>Logout Lens report</title><style>",
        "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330}",
        "h1{font-size:20px}h2{font-size:16px}main{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}",
        "#timeline{flex:1 1 700px;border:1px solid #d7dbe3;border-radius:6px;background:#fbfcfe}",
        ".zoom-box{overflow-x:auto;border:1px solid #d7dbe3;border-radius:6px;background:#fbfcfe;margin:8px 0 16px}",
        ".zoom{display:block}",
        "aside{flex:0 1 380px}.finding{border-left:4px solid #6b7bd6;padding:4px 10px;margin:8px 0;background:#f3f5fb}",
        ".finding.top{border-color:#d64545}.conf{color:#5b6275}.lane-label{font-size:12px;fill:#5b6275}",
        ".lane-line{stroke:#e3e6ee;stroke-width:1}",
        ".token{fill:#7fb3f5}.cookie{fill:#9ad1a8}.idle{fill:#f2c46d}.hidden{fill:#c7c9d1}.frozen{fill:#9aa3c7}",
        ".sleep{fill:#6c6f7d}.req{fill:#5a9f68}.req.failed{fill:#d64545}.store{fill:#7f8fd6}.removed{fill:#d64545}",
        ".logout-marker{stroke:#d64545;stroke-width:2;stroke-dasharray:5 3}.axis{font-size:11px;fill:#5b6275}",
        "table{border-collapse:collapse;width:100%;margin-top:24px;font-size:12px}",
        "td,th{border-bottom:1px solid #e3e6ee;padding:3px 6px;text-align:left;vertical-align:top}",
        "tr.logout{background:#fdecec}code{font-size:11px;word-break:break-all}",
        "dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:0 10px;margin:0}",
        "dl.kv dt{color:#5b6275}dl.kv dd{margin:0;word-break:break-all;font-family:ui-monospace,monospace;font-size:11px}",
        "</style></head><body>\n<h1>Logout Lens report</h1>\n",
    ));
    match diagnosis {
        Some(d) => {
            let _ = writeln!(
                html,
                "<p id=\"headline\"><strong>{}</strong> — {} at {}</p>",
                esc(&d.headline),
                esc(d.cause.title()),
                esc(&rfc3339_ms(d.logout_ts_ms))
            );
        }
        None => {
            let _ = writeln!(
                html,
                "<p id=\"headline\">{} events from {} to {}</p>",
                sorted.len(),
                esc(&rfc3339_ms(t0)),
                esc(&rfc3339_ms(t1))
            );
        }
    }
    html.push_str("<main>\n");
    svg(
        &mut html,
        "timeline",
        &Linear { t0, t1 },
        (WIDTH, false),
        &lanes,
        &marks,
        logout_ts.zip(diagnosis.map(|d| d.logout_id.as_str())),
        &overview_ticks(t0, t1),
    );
    let idle = idle_figure(&marks, logout_ts);
    aside(&mut html, diagnosis, idle);
    html.push_str("</main>\n");
    zooms(&mut html, &clean, &sorted, &marks, &lanes);
    table(&mut html, &sorted, diagnosis);
    html.push_str("</body></html>\n");
    html
}

/// Five labels across the whole window; with the date when it spans more
/// than one day.
fn overview_ticks(t0: i64, t1: i64) -> Vec<(i64, String)> {
    let days = t0.div_euclid(86_400_000) != t1.div_euclid(86_400_000);
    (0..=4)
        .map(|k| {
            let ts = t0 + (t1 - t0) * k / 4;
            let text = rfc3339_ms(ts);
            let label = if days {
                format!("{} {}", &text[..10], &text[11..16])
            } else {
                text[11..19].to_owned()
            };
            (ts, label)
        })
        .collect()
}

/// A zoomed view of the last minutes before each logout (the newest few).
fn zooms(html: &mut String, clean: &[Event], sorted: &[&Event], marks: &[Mark], lanes: &Lanes) {
    let reps = logouts(clean);
    let shown = reps.len().saturating_sub(MAX_ZOOMS);
    for (i, id) in reps.iter().enumerate().skip(shown) {
        let Some(logout) = sorted.iter().find(|e| &e.id == id) else {
            continue;
        };
        let ts = logout.ts_ms;
        let before = sorted.partition_point(|e| e.ts_ms < ts.saturating_sub(ZOOM_BEFORE_MS));
        let at = sorted.partition_point(|e| e.ts_ms <= ts);
        let from = before.max(at.saturating_sub(ZOOM_EVENTS));
        let until = sorted.partition_point(|e| e.ts_ms <= ts.saturating_add(ZOOM_AFTER_MS));
        let window = &sorted[from..until];
        let (z0, z1) = (
            window.first().map_or(ts, |e| e.ts_ms),
            window.last().map_or(ts, |e| e.ts_ms),
        );
        let axis = Gaps::new(window.iter().map(|e| e.ts_ms));
        // Every event in the window is a point; spans are clipped to it.
        let inside: Vec<Mark> = marks
            .iter()
            .filter(|m| m.start <= z1 && m.end.unwrap_or(m.start) >= z0)
            .map(|m| Mark {
                lane: m.lane,
                start: m.start.max(z0),
                end: m.end.map(|e| e.min(z1)),
                class: m.class,
                label: m.label.clone(),
                event: m.event.clone(),
            })
            .collect();
        let ticks = zoom_ticks(&axis);
        let _ = writeln!(
            html,
            "<h2>Zoom: {} before the logout at {}</h2>\n<div class=\"zoom-box\">",
            esc(&human_ms((ts - z0).max(0))),
            esc(&rfc3339_ms(ts))
        );
        svg(
            html,
            &format!("zoom-{i}"),
            &axis,
            (axis.width(), true),
            lanes,
            &inside,
            Some((ts, id.as_str())),
            &ticks,
        );
        html.push_str("</div>\n");
    }
}

/// Labels along a zoomed axis: an event's time (with milliseconds) wherever
/// there is room for one.
fn zoom_ticks(axis: &Gaps) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut last_x = f64::NEG_INFINITY;
    for &(ts, x) in &axis.points {
        if x - last_x >= 120.0 {
            out.push((ts, rfc3339_ms(ts)[11..23].to_owned()));
            last_x = x;
        }
    }
    out
}

/// Draws one picture. `size`: its width, and whether that is its real size
/// in pixels (the zoom, which scrolls) or a view box scaled to the page.
#[allow(clippy::too_many_arguments)]
fn svg(
    html: &mut String,
    id: &str,
    axis: &dyn Axis,
    size: (f64, bool),
    lanes: &Lanes,
    marks: &[Mark],
    logout: Option<(i64, &str)>,
    ticks: &[(i64, String)],
) {
    let (width, real) = size;
    let height = lanes.height();
    let class = if real { "zoom" } else { "overview" };
    let dims = if real {
        format!(" width=\"{width:.0}\" height=\"{height:.0}\"")
    } else {
        String::new()
    };
    let _ = writeln!(
        html,
        "<svg id=\"{}\" class=\"{class}\" viewBox=\"0 0 {width:.0} {height}\"{dims} role=\"img\" \
         aria-label=\"Timeline\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(id)
    );
    for (lane, name) in &lanes.rows {
        let y = lanes.y(*lane);
        let _ = writeln!(
            html,
            "<line class=\"lane-line\" x1=\"0\" y1=\"{y}\" x2=\"{width:.0}\" y2=\"{y}\"/>\
             <text class=\"lane-label\" data-lane=\"{}\" x=\"8\" y=\"{}\">{}</text>",
            esc(name),
            y + LANE_H / 2.0 + 4.0,
            esc(name)
        );
    }
    let last = ticks.len().saturating_sub(1);
    for (k, (ts, label)) in ticks.iter().enumerate() {
        let anchor = match k {
            0 => "start",
            k if k == last && !real => "end",
            _ => "middle",
        };
        let _ = writeln!(
            html,
            "<text class=\"axis\" x=\"{:.1}\" y=\"14\" text-anchor=\"{anchor}\">{}</text>",
            axis.x(*ts),
            esc(label)
        );
    }
    for m in marks {
        let top = lanes.y(m.lane);
        // Sleep shares the page lane: page states on top, sleep below.
        let (y, h) = match m.class {
            "sleep" => (top + LANE_H / 2.0, LANE_H / 2.0 - 5.0),
            "hidden" | "frozen" => (top + 5.0, LANE_H / 2.0 - 5.0),
            _ => (top + 5.0, LANE_H - 10.0),
        };
        let x = axis.x(m.start);
        let title = format!("<title>{}</title>", esc(&m.label));
        let (x, w) = match m.end {
            Some(end) => (x, (axis.x(end) - x).max(2.0)),
            None => (x - 1.5, 3.0),
        };
        let _ = writeln!(
            html,
            "<rect class=\"{}\" data-event=\"{}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\">{title}</rect>",
            m.class,
            esc(&m.event),
        );
    }
    if let Some((ts, logout_id)) = logout {
        let x = axis.x(ts);
        let marker_id = if real { "" } else { " id=\"logout-marker\"" };
        let _ = writeln!(
            html,
            "<line{marker_id} class=\"logout-marker\" data-logout-id=\"{}\" x1=\"{x:.1}\" y1=\"{}\" \
             x2=\"{x:.1}\" y2=\"{}\"><title>logout {}</title></line>",
            esc(logout_id),
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

/// The idle span the report names: the last one that began before the
/// logout — the same span, and the same figure, as its bar on the Idle lane.
struct IdleFigure {
    start: i64,
    end: i64,
    label: String,
}

fn idle_figure(marks: &[Mark], logout_ts: Option<i64>) -> Option<IdleFigure> {
    let ts = logout_ts?;
    marks
        .iter()
        .filter(|m| m.class == "idle" && m.start <= ts)
        .max_by_key(|m| m.start)
        .map(|m| IdleFigure {
            start: m.start,
            end: m.end.unwrap_or(ts),
            label: m.label.clone(),
        })
}

fn aside(html: &mut String, d: Option<&Diagnosis>, idle: Option<IdleFigure>) {
    html.push_str("<aside id=\"diagnosis\">\n<h2>Diagnosis</h2>\n");
    let Some(d) = d else {
        html.push_str("<p>No logout in this window.</p></aside>\n");
        return;
    };
    // One idle figure: the Idle lane's span when the browser reported one
    // (its bar says the same), else the time since the last input.
    match (idle, d.idle_ms) {
        (Some(i), _) => {
            let when = if i.end >= d.logout_ts_ms {
                "until the logout".to_owned()
            } else {
                format!(
                    "ended {} before the logout",
                    human_ms(d.logout_ts_ms - i.end)
                )
            };
            let _ = writeln!(
                html,
                "<p id=\"idle\">Browser {} ({} to {}), {}.</p>",
                esc(&i.label),
                esc(&rfc3339_ms(i.start)[11..19]),
                esc(&rfc3339_ms(i.end)[11..19]),
                esc(&when)
            );
        }
        (None, Some(ms)) => {
            let _ = writeln!(
                html,
                "<p id=\"idle\">No input for {} before the logout.</p>",
                esc(&human_ms(ms))
            );
        }
        (None, None) => {}
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
        let mut rows = Vec::new();
        key_values("", &body, &mut rows);
        let details: String = rows
            .iter()
            .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", esc(k), esc(v)))
            .collect();
        let place = format!(
            "{}{}",
            e.origin.as_deref().unwrap_or(""),
            e.path.as_deref().unwrap_or("")
        );
        let _ = writeln!(
            html,
            "<tr id=\"ev-{}\"{}><td>{}</td><td>{}</td><td>{}</td><td><dl class=\"kv\">{details}</dl></td></tr>",
            esc(e.id.as_str()),
            if is_logout { " class=\"logout\"" } else { "" },
            esc(&rfc3339_ms(e.ts_ms)[11..23]),
            esc(e.kind.name()),
            esc(&place),
        );
    }
    html.push_str("</tbody></table>\n");
}

/// An event's fields as `key: value` rows, nested objects as dotted keys
/// (`token.claims.exp`), lists of plain values on one row; times in
/// milliseconds (`…_ms`) and JWT times (`exp`, `iat`, `nbf`, seconds) with
/// the date beside them.
fn key_values(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                key_values(&key, v, out);
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let list: Vec<String> = items.iter().map(plain).collect();
            out.push((prefix.to_owned(), list.join(", ")));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                key_values(&format!("{prefix}[{i}]"), item, out);
            }
        }
        other => {
            let mut text = plain(other);
            let last = prefix.rsplit('.').next().unwrap_or(prefix);
            if let Some(n) = other.as_i64() {
                if last.ends_with("_ms") && n > 1_000_000_000_000 {
                    text = format!("{n} ({})", rfc3339_ms(n));
                } else if matches!(last, "exp" | "iat" | "nbf") && n > 1_000_000_000 {
                    text = format!("{n} ({})", rfc3339_ms(n.saturating_mul(1000)));
                }
            }
            out.push((prefix.to_owned(), text));
        }
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Turns events into lane marks: spans close at the event that ends them.
fn marks(events: &[&Event], lanes: &Lanes, end: i64) -> Vec<Mark> {
    let mut out = Vec::new();
    let mut idle_since: Option<(i64, String)> = None;
    let mut page_since: BTreeMap<i64, (i64, &'static str, String)> = BTreeMap::new();
    for e in events {
        let id = e.id.0.clone();
        match &e.kind {
            EventKind::StorageChange(StorageChange { op, token, key, .. }) => {
                let tab = lanes.tab(e.tab);
                match (op, token) {
                    (StorageOp::Set, Some(t)) => {
                        let exp = t.claims.as_ref().and_then(|c| c.exp_ms());
                        out.push(Mark {
                            lane: Lane::Tokens,
                            start: e.ts_ms,
                            end: Some(exp.unwrap_or(end).max(e.ts_ms)),
                            class: "token",
                            label: format!(
                                "{key} stored{}",
                                exp.map_or(String::new(), |x| format!(
                                    ", expires {}",
                                    rfc3339_ms(x)
                                ))
                            ),
                            event: id.clone(),
                        });
                        out.push(point(tab, e.ts_ms, "store", format!("{key} stored"), id));
                    }
                    (StorageOp::Remove | StorageOp::Clear, _) => {
                        out.push(point(
                            Lane::Tokens,
                            e.ts_ms,
                            "removed",
                            format!("{key} removed"),
                            id.clone(),
                        ));
                        out.push(point(tab, e.ts_ms, "removed", format!("{key} removed"), id));
                    }
                    _ => out.push(point(tab, e.ts_ms, "store", format!("{key} changed"), id)),
                }
            }
            EventKind::CookieChange(CookieChange {
                name,
                removed,
                expires_ms,
                cause,
                ..
            }) => {
                if *removed {
                    out.push(point(
                        Lane::Cookies,
                        e.ts_ms,
                        "removed",
                        format!("cookie {name} removed ({cause:?})"),
                        id,
                    ));
                } else {
                    out.push(Mark {
                        lane: Lane::Cookies,
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
                lane: Lane::Page,
                start: e.ts_ms - t.gap_ms(),
                end: Some(e.ts_ms),
                class: "sleep",
                label: format!("asleep {}", human_ms(t.gap_ms())),
                event: id,
            }),
            EventKind::HttpExchange(x) => {
                let failed = !matches!(x.status, Some(100..=399));
                out.push(point(
                    lanes.tab(e.tab),
                    e.ts_ms,
                    if failed { "req failed" } else { "req" },
                    format!(
                        "{} {} → {}",
                        x.method,
                        logout_lens_model::http::path_of(&logout_lens_model::redact::redact_url(
                            &x.url
                        )),
                        x.status
                            .map_or_else(|| x.error.clone().unwrap_or_default(), |s| s.to_string())
                    ),
                    id,
                ));
            }
            _ if e.is_logout() => out.push(point(
                Lane::Logout,
                e.ts_ms,
                "removed",
                e.kind.name().to_owned(),
                id,
            )),
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

fn point(lane: Lane, ts: i64, class: &'static str, label: String, event: String) -> Mark {
    Mark {
        lane,
        start: ts,
        end: None,
        class,
        label,
        event,
    }
}

fn idle_mark(start: i64, end: i64, event: String) -> Mark {
    Mark {
        lane: Lane::Idle,
        start,
        end: Some(end),
        class: "idle",
        label: format!("idle {}", human_ms(end - start)),
        event,
    }
}

fn page_mark(start: i64, end: i64, class: &'static str, event: String) -> Mark {
    Mark {
        lane: Lane::Page,
        start,
        end: Some(end),
        class,
        label: format!("{class} {}", human_ms(end - start)),
        event,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_shows_dates_when_the_window_spans_days() {
        let t0 = 1_764_000_000_000; // 2025-11-24T16:00Z
        let one_day: Vec<String> = overview_ticks(t0, t0 + 3_600_000)
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(one_day[0], "16:00:00");
        let days: Vec<String> = overview_ticks(t0, t0 + 3 * 86_400_000)
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(days[0], "2025-11-24 16:00");
        assert_eq!(days[4], "2025-11-27 16:00");
    }

    #[test]
    fn the_zoomed_axis_gives_every_gap_room() {
        let axis = Gaps::new([0, 38, 40, 1_038, 61_038]);
        let x: Vec<f64> = [0, 38, 40, 1_038, 61_038]
            .iter()
            .map(|&t| axis.x(t))
            .collect();
        assert!(x[1] - x[0] >= 20.0, "38 ms: {x:?}");
        assert!(x.windows(2).all(|w| w[1] > w[0]), "{x:?}");
        // A minute takes little more room than a second.
        assert!(x[4] - x[3] < 2.0 * (x[3] - x[2]), "{x:?}");
        // Between two events, times fall between them.
        assert!(axis.x(19) > x[0] && axis.x(19) < x[1]);
        assert_eq!(axis.x(-5), x[0]);
        assert_eq!(axis.x(99_999), x[4]);
    }

    #[test]
    fn details_are_key_value_rows() {
        let v = serde_json::json!({
            "method": "POST", "status": 401,
            "token": {"claims": {"exp": 1_764_000_900, "kind": "access"}, "len": 180},
            "expires_ms": 1_764_000_000_000_i64,
            "set_cookie_deletions": ["sessionid", "csrftoken"],
        });
        let mut rows = Vec::new();
        key_values("", &v, &mut rows);
        let get = |k: &str| rows.iter().find(|r| r.0 == k).map(|r| r.1.as_str());
        assert_eq!(get("method"), Some("POST"));
        assert_eq!(get("status"), Some("401"));
        assert_eq!(
            get("token.claims.exp"),
            Some("1764000900 (2025-11-24T16:15:00.000Z)")
        );
        assert_eq!(get("token.len"), Some("180"));
        assert_eq!(
            get("expires_ms"),
            Some("1764000000000 (2025-11-24T16:00:00.000Z)")
        );
        assert_eq!(get("set_cookie_deletions"), Some("sessionid, csrftoken"));
    }
}
