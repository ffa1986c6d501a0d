//! The relay to the native collector: sequence numbers, acks, and a bounded
//! ring of unacknowledged events that survives worker restarts.
//!
//! Pure state machine: the wasm layer feeds it (events, host messages,
//! connection changes, the clock) and performs the [`Action`]s it returns.
//! Events are replayed with their original ids after any disconnect; the
//! collector stores by id, so every event lands exactly once.

use std::collections::{HashSet, VecDeque};

use logout_lens_model::host::{self, Ack, ErrorReply, HelloReply, Request, Response};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::ExtError;
use crate::guard::{Counts, Shares};
use crate::limits;

/// The native host's name.
pub const HOST_NAME: &str = host::HOST_NAME;

/// What this build says it is in `hello`.
const CLIENT: &str = concat!("logout-lens-extension/", env!("CARGO_PKG_VERSION"));

/// Unacked events kept by default; beyond this (or a site's share,
/// [`limits::RING_SHARE`]) a site's oldest are dropped.
pub const DEFAULT_CAPACITY: usize = limits::RING_MAX;
/// Events per batch (well under the host's limit and the 64 MiB frame cap).
pub const BATCH_MAX: usize = 250;
/// Batches sent but not yet acked.
pub const MAX_IN_FLIGHT: usize = 4;
/// How many times a due save waits once more for the collector's ack of
/// events it already holds (see [`Relay::save_due`]).
pub const SAVE_WAITS_MAX: u32 = 3;
const FIRST_BACKOFF_MS: i64 = 1_000;
const MAX_BACKOFF_MS: i64 = 8_000;

/// What the wasm layer must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `runtime.connectNative(HOST_NAME)`.
    Connect,
    /// `port.postMessage(JSON.parse(text))`.
    Send(String),
    /// `port.disconnect()`.
    Disconnect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conn {
    Down {
        retry_at: i64,
    },
    /// Port open, `hello` sent, waiting for the reply.
    Greeting,
    Ready,
}

/// One queued event, already redacted and written.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    id: String,
    /// The event's site (its share of the ring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
    /// Saved as a string (the ring's format since its first version).
    #[serde(serialize_with = "raw_as_string", deserialize_with = "raw_from_string")]
    json: Box<RawValue>,
}

fn raw_as_string<S: Serializer>(raw: &RawValue, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(raw.get())
}

fn raw_from_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Box<RawValue>, D::Error> {
    RawValue::from_string(String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// What is written to `chrome.storage.local`.
#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    next_seq: u64,
    dropped: u64,
    events: Vec<Stored>,
}

/// What a due save should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Save {
    /// Nothing a restart would see changed: no write.
    Clean,
    /// Every queued event is with the collector, unacked yet: wait once
    /// more, since the ack that empties the ring makes the write needless.
    Wait,
    /// Write the snapshot now.
    Now,
}

/// What `logoutLensStatus()` and the popup show: the relay's counters, and
/// what the core refused, clamped or held back (`refused` in all, `guard`
/// by reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    #[serde(flatten)]
    pub relay: Stats,
    pub refused: u64,
    pub guard: Counts,
}

impl Status {
    pub fn new(relay: Stats, guard: Counts) -> Self {
        Status {
            relay,
            refused: guard.total(),
            guard,
        }
    }
}

/// Counters for the popup and the tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Stats {
    pub queued: usize,
    pub in_flight: usize,
    pub acked: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub dropped: u64,
    pub connected: bool,
    /// What the collector last said of itself in answer to `hello`. Kept
    /// after a disconnect, so the popup can still name the collector
    /// (`ui::collector`).
    pub host: Option<HostSaid>,
}

/// The collector's answer to `hello`: its own (naming its version,
/// protocol and schema), or, when it refused ours, the versions it speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostSaid {
    Hello(HelloReply),
    Refused { supported: Vec<u32> },
}

/// The longest collector name kept (a real one is `logout-lens/0.1.0`).
const HOST_NAME_MAX: usize = 128;

impl HostSaid {
    /// What a reply to `hello` says (its name cut to `HOST_NAME_MAX`); a
    /// reply of another type says nothing.
    pub fn of<R>(reply: Response<R>) -> Option<HostSaid> {
        match reply {
            Response::Hello(mut h) => {
                let keep = crate::input::clip(&h.host, HOST_NAME_MAX).len();
                h.host.truncate(keep);
                Some(HostSaid::Hello(h))
            }
            Response::Error(e) => Some(HostSaid::Refused {
                supported: e.supported.unwrap_or_default(),
            }),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Relay {
    capacity: usize,
    queue: VecDeque<Stored>,
    /// How many queued events each site holds.
    shares: Shares,
    /// How many events at the front of `queue` are in flight.
    sent: usize,
    in_flight: VecDeque<(u64, Vec<String>)>,
    next_seq: u64,
    conn: Conn,
    /// Wait before the next connection attempt; doubles on each failure.
    backoff_ms: i64,
    stats: Stats,
    dirty: bool,
    /// What the last saved ring (snapshot or restore) held: whether it had
    /// no events, and the dropped count. An absent ring is empty.
    saved_empty: bool,
    saved_dropped: u64,
}

impl Relay {
    pub fn new(capacity: usize) -> Self {
        Relay {
            capacity: capacity.max(1),
            queue: VecDeque::new(),
            shares: Shares::default(),
            sent: 0,
            in_flight: VecDeque::new(),
            next_seq: 1,
            conn: Conn::Down { retry_at: 0 },
            backoff_ms: FIRST_BACKOFF_MS,
            stats: Stats::default(),
            dirty: false,
            saved_empty: true,
            saved_dropped: 0,
        }
    }

    /// Restores the ring saved by [`Relay::snapshot`]; a corrupt snapshot is
    /// an error (the caller starts empty and says so).
    pub fn restore(&mut self, saved: &str) -> Result<(), ExtError> {
        // A corrupt ring is replaced by the next save.
        self.saved_empty = false;
        let s: Saved = serde_json::from_str(saved).map_err(ExtError::BadState)?;
        self.next_seq = s.next_seq.max(1);
        self.stats.dropped = s.dropped;
        self.saved_empty = s.events.is_empty();
        self.saved_dropped = s.dropped;
        for e in s.events {
            self.push(e.id, e.origin, e.json);
        }
        self.dirty = false;
        Ok(())
    }

    /// The ring as JSON, to persist; clears the dirty flag.
    pub fn snapshot(&mut self) -> String {
        self.dirty = false;
        self.saved_empty = self.queue.is_empty();
        self.saved_dropped = self.stats.dropped;
        let saved = Saved {
            next_seq: self.next_seq,
            dropped: self.stats.dropped,
            events: self.queue.iter().cloned().collect(),
        };
        serde_json::to_string(&saved).unwrap_or_default()
    }

    /// Whether the ring changed since the last snapshot in a way a restart
    /// would see. Events pushed and acked between two saves leave an empty
    /// ring saved as empty clean: with the collector connected, most pages'
    /// events are acked within the save delay, and no write is needed. The
    /// saved batch number is then stale, which is harmless: batch numbers
    /// need only increase within one connection (PROTOCOL.md).
    pub fn dirty(&self) -> bool {
        self.dirty
            && !(self.queue.is_empty()
                && self.saved_empty
                && self.stats.dropped == self.saved_dropped)
    }

    /// What a save that came due should do, after it has already waited
    /// `waits` times. Events sent on a ready connection are with the
    /// collector (a worker restart no longer loses them) and are usually
    /// acked within milliseconds; saving them just before that ack costs
    /// two writes (the events, then the empty ring) instead of none. So the
    /// save waits while events are queued and all of them are in flight, at most
    /// [`SAVE_WAITS_MAX`] times; anything not yet sent is saved at once.
    pub fn save_due(&self, waits: u32) -> Save {
        if !self.dirty() {
            Save::Clean
        } else if self.conn == Conn::Ready
            && !self.queue.is_empty()
            && self.sent == self.queue.len()
            && waits < SAVE_WAITS_MAX
        {
            Save::Wait
        } else {
            Save::Now
        }
    }

    pub fn stats(&self) -> Stats {
        Stats {
            queued: self.queue.len(),
            in_flight: self.sent,
            connected: self.conn == Conn::Ready,
            ..self.stats.clone()
        }
    }

    /// Queues one event of the site `origin`. Never blocks: beyond the
    /// site's share or the capacity an oldest event goes, the site's own or
    /// that of the site holding the most (never one holding fewer).
    pub fn push(&mut self, id: String, origin: Option<String>, json: Box<RawValue>) {
        let share = limits::RING_SHARE.min(self.capacity);
        if let Some(victim) =
            self.shares
                .victim(origin.as_deref(), self.queue.len(), self.capacity, share)
        {
            if let Some(i) = self
                .queue
                .iter()
                .position(|e| e.origin.as_deref() == victim.as_deref())
            {
                self.queue.remove(i);
                self.shares.removed(victim.as_deref());
                self.stats.dropped += 1;
                if i < self.sent {
                    self.sent -= 1;
                }
            }
        }
        self.shares.added(origin.as_deref());
        self.queue.push_back(Stored { id, origin, json });
        self.dirty = true;
    }

    /// What to do now: connect when due, send what the window allows.
    pub fn poll(&mut self, now_ms: i64) -> Vec<Action> {
        match self.conn {
            Conn::Down { retry_at } if now_ms >= retry_at && !self.queue.is_empty() => {
                self.conn = Conn::Greeting;
                let hello: Request<&RawValue> = Request::Hello {
                    versions: host::SUPPORTED_VERSIONS.to_vec(),
                    client: Some(CLIENT.to_owned()),
                };
                vec![Action::Connect, Action::Send(frame(&hello))]
            }
            Conn::Ready => {
                let mut out = Vec::new();
                while self.in_flight.len() < MAX_IN_FLIGHT && self.sent < self.queue.len() {
                    let end = (self.sent + BATCH_MAX).min(self.queue.len());
                    let batch: Vec<&Stored> = self.queue.range(self.sent..end).collect();
                    let seq = self.next_seq;
                    self.next_seq += 1;
                    let request = Request::Batch {
                        seq,
                        events: batch.iter().map(|e| &*e.json).collect(),
                    };
                    let text = frame(&request);
                    self.in_flight
                        .push_back((seq, batch.iter().map(|e| e.id.clone()).collect()));
                    self.sent = end;
                    self.dirty = true;
                    out.push(Action::Send(text));
                }
                out
            }
            _ => Vec::new(),
        }
    }

    /// When the next connection attempt is due, if one is waiting.
    pub fn retry_at(&self) -> Option<i64> {
        match self.conn {
            Conn::Down { retry_at } if !self.queue.is_empty() => Some(retry_at),
            _ => None,
        }
    }

    /// The port closed (host missing, crashed, or refused us).
    pub fn disconnected(&mut self, now_ms: i64) {
        if self.conn == Conn::Ready {
            self.backoff_ms = FIRST_BACKOFF_MS;
        }
        self.requeue();
        self.conn = Conn::Down {
            retry_at: now_ms + self.backoff_ms,
        };
        self.backoff_ms = (self.backoff_ms * 2).min(MAX_BACKOFF_MS);
    }

    fn requeue(&mut self) {
        self.in_flight.clear();
        self.sent = 0;
    }

    /// One message from the host.
    pub fn on_message(&mut self, text: &str, now_ms: i64) -> Result<Vec<Action>, ExtError> {
        // Query results are for the popup, not the relay: skipped unread.
        let msg: Response<IgnoredAny> =
            serde_json::from_str(text).map_err(ExtError::BadHostMessage)?;
        match msg {
            Response::Hello(hello) => {
                let version = hello.version;
                // The popup shows what the collector says of itself.
                self.stats.host = HostSaid::of(Response::<()>::Hello(hello));
                if !host::SUPPORTED_VERSIONS.contains(&version) {
                    self.disconnected(now_ms);
                    return Err(ExtError::HostVersion(version));
                }
                self.conn = Conn::Ready;
                self.backoff_ms = FIRST_BACKOFF_MS;
                Ok(self.poll(now_ms))
            }
            Response::Ack(Ack {
                seq,
                stored,
                duplicates,
                rejected,
            }) => {
                // The ack of a batch given up on (a reconnect replays it) counts nothing.
                if self.ack(seq) {
                    self.stats.acked += stored as u64;
                    self.stats.duplicates += duplicates as u64;
                    self.stats.rejected += rejected.len() as u64;
                }
                Ok(self.poll(now_ms))
            }
            Response::Error(ErrorReply {
                code,
                message,
                fatal,
                seq,
                supported,
                ..
            }) => {
                if fatal {
                    self.disconnected(now_ms);
                    return Ok(vec![Action::Disconnect]);
                }
                if self.conn == Conn::Greeting {
                    // Most likely `unsupported_version`, naming what it speaks.
                    self.stats.host = Some(HostSaid::Refused {
                        supported: supported.unwrap_or_default(),
                    });
                }
                if seq.is_some() || self.conn == Conn::Greeting {
                    // A batch was not stored (e.g. `store_failed`), or the
                    // greeting failed (`unsupported_version`): start over
                    // after a pause; replayed events are deduplicated.
                    self.disconnected(now_ms);
                    return Ok(vec![Action::Disconnect]);
                }
                Err(ExtError::HostRefused { code, message })
            }
            // Query results are for the popup, not the relay; a newer
            // host's messages are not for this build.
            Response::Result(_) | Response::Unknown => Ok(Vec::new()),
        }
    }

    /// Removes the events of batch `seq`: stored, duplicates and rejected
    /// alike (a rejected event will never be accepted). `false` when no
    /// such batch is in flight.
    fn ack(&mut self, seq: u64) -> bool {
        let Some(pos) = self.in_flight.iter().position(|(s, _)| *s == seq) else {
            return false;
        };
        // Acks arrive in order; anything older than this one was lost with
        // its reply and is covered by this ack's successors or a replay.
        let (_, ids) = self.in_flight.remove(pos).unwrap_or_default();
        let ids: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut removed = 0;
        let front = self.sent;
        let mut kept = VecDeque::with_capacity(self.queue.len());
        for (i, e) in self.queue.drain(..).enumerate() {
            if i < front && ids.contains(e.id.as_str()) {
                removed += 1;
                self.shares.removed(e.origin.as_deref());
            } else {
                kept.push_back(e);
            }
        }
        self.queue = kept;
        self.sent -= removed;
        self.dirty = true;
        true
    }
}

/// One request as the text `port.postMessage` is given.
fn frame(r: &Request<&RawValue>) -> String {
    // Our own types with string keys: writing them cannot fail.
    serde_json::to_string(r).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    /// A stand-in for the host's replies, to drive the state machine; the
    /// real collector is exercised end to end in `e2e/`.
    #[derive(Default)]
    struct Host {
        stored: HashMap<String, usize>,
        outbox: Vec<String>,
    }

    impl Host {
        /// Reads a request as the collector does and answers it.
        fn receive(&mut self, text: &str) {
            let reply = match host::parse_request::<&RawValue>(text).unwrap() {
                Request::Hello { versions, client } => {
                    assert_eq!(versions, host::SUPPORTED_VERSIONS, "{text}");
                    assert!(
                        client.unwrap().starts_with("logout-lens-extension/"),
                        "{text}"
                    );
                    Response::<host::QueryResult>::Hello(HelloReply {
                        version: 1,
                        host: "t".into(),
                        schema: 1,
                        max_batch_events: host::MAX_BATCH_EVENTS,
                        max_frame_bytes: 1,
                    })
                }
                Request::Batch { seq, events } => {
                    let (mut stored, mut duplicates) = (0, 0);
                    for e in events {
                        let v: serde_json::Value = serde_json::from_str(e.get()).unwrap();
                        let n = self
                            .stored
                            .entry(v["id"].as_str().unwrap().to_owned())
                            .or_default();
                        if *n == 0 {
                            stored += 1
                        } else {
                            duplicates += 1
                        }
                        *n += 1;
                    }
                    Response::Ack(Ack {
                        seq,
                        stored,
                        duplicates,
                        rejected: Vec::new(),
                    })
                }
                other => panic!("unexpected {other:?}"),
            };
            self.outbox.push(serde_json::to_string(&reply).unwrap());
        }
    }

    fn ev(i: usize) -> (String, Box<RawValue>) {
        let id = format!("e{i}");
        let json = json!({"schema":1,"id":id,"ts_ms":i,"kind":"activity","last_input_ms":0});
        (id, serde_json::value::to_raw_value(&json).unwrap())
    }

    fn pump(relay: &mut Relay, host: &mut Host, now: i64) {
        let actions = relay.poll(now);
        run(relay, host, actions, now);
    }

    /// Performs actions against the host and feeds back its replies until quiet.
    fn run(relay: &mut Relay, host: &mut Host, actions: Vec<Action>, now: i64) {
        let mut pending = actions;
        while !pending.is_empty() {
            for a in std::mem::take(&mut pending) {
                match a {
                    Action::Connect | Action::Disconnect => {}
                    Action::Send(t) => host.receive(&t),
                }
            }
            for reply in std::mem::take(&mut host.outbox) {
                pending.extend(relay.on_message(&reply, now).unwrap());
            }
        }
    }

    #[test]
    fn events_flow_and_acks_empty_the_ring() {
        let mut relay = Relay::new(DEFAULT_CAPACITY);
        let mut host = Host::default();
        for i in 0..600 {
            let (id, j) = ev(i);
            relay.push(id, None, j);
        }
        let a = relay.poll(0);
        assert_eq!(a[0], Action::Connect);
        run(&mut relay, &mut host, a, 0);
        assert_eq!(host.stored.len(), 600);
        assert!(host.stored.values().all(|n| *n == 1));
        let s = relay.stats();
        assert_eq!(
            (s.queued, s.in_flight, s.acked, s.connected),
            (0, 0, 600, true)
        );
        assert!(relay.poll(1).is_empty(), "nothing to do");
    }

    #[test]
    fn a_missing_host_keeps_the_newest_events_and_backs_off() {
        let mut relay = Relay::new(100);
        for i in 0..250 {
            let (id, j) = ev(i);
            relay.push(id, None, j);
        }
        assert_eq!(relay.stats().queued, 100);
        assert_eq!(relay.stats().dropped, 150);
        let mut now = 0;
        let mut gaps = Vec::new();
        for _ in 0..6 {
            assert_eq!(relay.poll(now)[0], Action::Connect);
            relay.disconnected(now);
            let at = relay.retry_at().unwrap();
            assert!(relay.poll(at - 1).is_empty(), "not before it is due");
            gaps.push(at - now);
            now = at;
        }
        assert_eq!(gaps, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
        // The host appears: the newest 100 arrive, each once.
        let mut host = Host::default();
        pump(&mut relay, &mut host, now);
        assert_eq!(host.stored.len(), 100);
        assert!(host.stored.contains_key("e249") && !host.stored.contains_key("e149"));
    }

    #[test]
    fn a_disconnect_mid_flight_replays_and_the_host_dedups() {
        let mut relay = Relay::new(DEFAULT_CAPACITY);
        let mut host = Host::default();
        for i in 0..1_000 {
            let (id, j) = ev(i);
            relay.push(id, None, j);
        }
        // Connect; the host stores the first batches but the port dies before the acks arrive.
        for a in relay.poll(0) {
            if let Action::Send(t) = a {
                host.receive(&t);
            }
        }
        let hello = host.outbox.remove(0);
        for a in relay.on_message(&hello, 0).unwrap() {
            if let Action::Send(t) = a {
                host.receive(&t);
            }
        }
        host.outbox.clear();
        assert_eq!(host.stored.len(), 1_000);
        relay.disconnected(0);
        assert_eq!(relay.stats().queued, 1_000, "unacked events are kept");
        let due = relay.retry_at().unwrap();
        pump(&mut relay, &mut host, due);
        assert_eq!(relay.stats().queued, 0);
        assert_eq!(relay.stats().duplicates, 1_000);
        assert_eq!(host.stored.len(), 1_000, "stored once each");
    }

    /// A site flooding the ring while the collector is away evicts its
    /// own events, never another site's.
    #[test]
    fn a_flooding_site_evicts_only_its_own() {
        let mut relay = Relay::new(DEFAULT_CAPACITY);
        let quiet = Some("https://quiet.test".to_owned());
        for i in 0..50 {
            let (id, j) = ev(i);
            relay.push(id, quiet.clone(), j);
        }
        for i in 50..100_050 {
            let (id, j) = ev(i);
            relay.push(id, Some("https://flood.test".into()), j);
        }
        let (id, j) = ev(200_000);
        relay.push(id, quiet.clone(), j);
        let s = relay.stats();
        assert_eq!(s.queued, 51 + limits::RING_SHARE);
        assert_eq!(s.dropped, 100_000 - limits::RING_SHARE as u64);
        let kept = |o: &str| {
            relay
                .queue
                .iter()
                .filter(|e| e.origin.as_deref() == Some(o))
                .count()
        };
        assert_eq!(
            kept("https://quiet.test"),
            51,
            "none of the quiet site's went"
        );
        assert_eq!(kept("https://flood.test"), limits::RING_SHARE);
        // The newest of the flood are the ones kept.
        assert!(relay.queue.iter().any(|e| e.id == "e100049"));
        assert!(!relay.queue.iter().any(|e| e.id == "e50"));
        // The shares survive a restart.
        let mut again = Relay::new(DEFAULT_CAPACITY);
        again.restore(&relay.snapshot()).unwrap();
        let (id, j) = ev(300_000);
        again.push(id, Some("https://flood.test".into()), j);
        assert_eq!(again.stats().queued, 51 + limits::RING_SHARE);
        assert!(again.queue.iter().filter(|e| e.origin == quiet).count() == 51);
    }

    /// A full ring (many sites, none over its share): a newcomer takes the
    /// room of the site holding the most.
    #[test]
    fn a_full_ring_makes_room_from_the_biggest_site() {
        let mut relay = Relay::new(10);
        for (i, o) in ["a", "a", "a", "a", "b", "b", "b", "c", "c", "c"]
            .iter()
            .enumerate()
        {
            let (id, j) = ev(i);
            relay.push(id, Some((*o).to_owned()), j);
        }
        let (id, j) = ev(99);
        relay.push(id, Some("d".into()), j);
        let order: Vec<&str> = relay.queue.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            order,
            ["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e99"]
        );
        assert_eq!(relay.stats().dropped, 1);
    }

    #[test]
    fn the_ring_survives_a_restart() {
        let mut relay = Relay::new(DEFAULT_CAPACITY);
        for i in 0..10 {
            let (id, j) = ev(i);
            relay.push(id, None, j);
        }
        assert!(relay.dirty());
        let saved = relay.snapshot();
        assert!(!relay.dirty());
        let mut again = Relay::new(DEFAULT_CAPACITY);
        again.restore(&saved).unwrap();
        assert_eq!(again.stats().queued, 10);
        assert!(matches!(again.restore("{nope"), Err(ExtError::BadState(_))));
    }

    #[test]
    fn a_due_save_waits_only_for_events_the_collector_holds() {
        /// A relay with one event, greeted and acked by the host when
        /// `greet`; then `n` more events, sent (never acked) when `send`.
        fn relay_with(greet: bool, n: usize, send: bool) -> Relay {
            let mut relay = Relay::new(DEFAULT_CAPACITY);
            let (id, j) = ev(0);
            relay.push(id, None, j);
            let mut host = Host::default();
            if greet {
                pump(&mut relay, &mut host, 0);
                assert_eq!(relay.stats().queued, 0);
            }
            for i in 1..=n {
                let (id, j) = ev(i);
                relay.push(id, None, j);
            }
            if send {
                let _ = relay.poll(0);
            }
            relay
        }
        // (case, greeted, more events, sent, waits so far, expected)
        let cases = [
            ("all acked, saved empty", true, 0, false, 0, Save::Clean),
            ("all sent, unacked", true, 2, true, 0, Save::Wait),
            ("last wait", true, 2, true, SAVE_WAITS_MAX - 1, Save::Wait),
            ("waited enough", true, 2, true, SAVE_WAITS_MAX, Save::Now),
            ("not sent yet", true, 2, false, 0, Save::Now),
            ("no collector", false, 2, false, 0, Save::Now),
        ];
        for (case, greet, n, send, waits, want) in cases {
            let relay = relay_with(greet, n, send);
            assert_eq!(relay.save_due(waits), want, "{case}");
        }
        // One sent, one not: the unsent one is saved at once.
        let mut relay = relay_with(true, 1, true);
        let (id, j) = ev(7);
        relay.push(id, None, j);
        assert_eq!(relay.save_due(0), Save::Now);

        // Nothing queued, but the saved ring still holds acked events:
        // nothing to wait for, the empty ring is written at once.
        let mut saved = Relay::new(DEFAULT_CAPACITY);
        let (id, j) = ev(9);
        saved.push(id, None, j);
        let mut relay = Relay::new(DEFAULT_CAPACITY);
        relay.restore(&saved.snapshot()).unwrap();
        pump(&mut relay, &mut Host::default(), 0);
        assert_eq!(relay.stats().queued, 0);
        assert_eq!(relay.save_due(0), Save::Now);
    }

    #[test]
    fn events_acked_before_the_save_leave_nothing_to_write() {
        /// Pushes events `ids`, lets the host ack them, and says whether
        /// the ring still needs a save.
        fn acked(relay: &mut Relay, host: &mut Host, ids: std::ops::Range<usize>) -> bool {
            for i in ids {
                let (id, j) = ev(i);
                relay.push(id, None, j);
            }
            assert!(relay.dirty(), "unacked events must be saved");
            pump(relay, host, 0);
            assert_eq!(relay.stats().queued, 0, "all acked");
            relay.dirty()
        }
        let mut host = Host::default();

        let mut relay = Relay::new(DEFAULT_CAPACITY);
        assert!(
            !acked(&mut relay, &mut host, 0..3),
            "empty, and saved (absent) as empty"
        );

        // A restored ring with events must be rewritten once they are acked,
        // and only then.
        let mut saved = Relay::new(DEFAULT_CAPACITY);
        let (id, j) = ev(9);
        saved.push(id, None, j);
        let mut again = Relay::new(DEFAULT_CAPACITY);
        again.restore(&saved.snapshot()).unwrap();
        assert!(!again.dirty());
        pump(&mut again, &mut host, 0);
        assert_eq!(again.stats().queued, 0);
        assert!(again.dirty(), "the saved ring still holds the event");
        let empty = again.snapshot();
        assert!(!acked(&mut again, &mut host, 10..11), "{empty}");

        // A corrupt ring is replaced by the next save, even an empty one.
        let mut broken = Relay::new(DEFAULT_CAPACITY);
        assert!(broken.restore("{nope").is_err());
        assert!(acked(&mut broken, &mut host, 11..12));
    }

    #[test]
    fn host_errors() {
        let mut relay = Relay::new(10);
        let (id, j) = ev(1);
        relay.push(id, None, j);
        relay.poll(0);
        let cases = [
            (
                r#"{"type":"error","code":"caller_not_allowed","message":"x","fatal":true}"#,
                true,
            ),
            (
                r#"{"type":"error","code":"store_failed","message":"x","fatal":false,"seq":1}"#,
                true,
            ),
        ];
        for (msg, disconnects) in cases {
            let out = relay.on_message(msg, 0).unwrap();
            assert_eq!(out == vec![Action::Disconnect], disconnects, "{msg}");
            assert_eq!(relay.stats().queued, 1);
        }
        assert!(relay.on_message("not json", 0).is_err());
        assert!(relay.on_message(r#"{"type":"ack"}"#, 0).is_err());
        assert!(
            relay
                .on_message(r#"{"type":"progress","done":1}"#, 0)
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            relay.on_message(r#"{"type":"error","code":"code_of_2030","message":"m"}"#, 0),
            Err(ExtError::HostRefused {
                code: host::ErrorCode::Unrecognized,
                ..
            })
        ));
        assert!(
            relay
                .on_message(r#"{"type":"hello","version":9}"#, 0)
                .is_err()
        );
        assert!(
            relay
                .on_message(r#"{"type":"result","id":1,"query":"status","status":{"events":1,"logouts":0}}"#, 0)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_hosts_answer_to_hello_is_kept_after_a_disconnect() {
        let hello = r#"{"type":"hello","version":1,"host":"logout-lens/0.2.0","schema":1}"#;
        let refusal = r#"{"type":"error","code":"unsupported_version","supported":[2,3],"fatal":false,"message":"m"}"#;
        let other = r#"{"type":"hello","version":2,"host":"logout-lens/9.0.0","schema":3}"#;
        let long = format!(
            r#"{{"type":"hello","version":1,"host":"{}"}}"#,
            "x".repeat(1000)
        );
        let said = |version, host: &str, schema| {
            Some(HostSaid::Hello(HelloReply {
                version,
                host: host.into(),
                schema,
                max_batch_events: 0,
                max_frame_bytes: 0,
            }))
        };
        // The host's answer → what is kept, whether the relay is ready after it.
        let cases: &[(&str, Option<HostSaid>, bool)] = &[
            (hello, said(1, "logout-lens/0.2.0", 1), true),
            (
                refusal,
                Some(HostSaid::Refused {
                    supported: vec![2, 3],
                }),
                false,
            ),
            (other, said(2, "logout-lens/9.0.0", 3), false),
            (&long, said(1, "", 0), true),
        ];
        for (reply, kept, ready) in cases {
            let mut relay = Relay::new(10);
            assert_eq!(relay.stats().host, None);
            let (id, j) = ev(0);
            relay.push(id, None, j);
            assert_eq!(relay.poll(0)[0], Action::Connect);
            let _ = relay.on_message(reply, 0);
            assert_eq!(relay.stats().connected, *ready, "{reply}");
            relay.disconnected(10);
            assert_eq!(&relay.stats().host, kept, "{reply}");
            assert!(relay.retry_at().is_some(), "{reply}: it tries again later");
        }
    }

    proptest::proptest! {
        /// Any interleaving of new events, lost replies and reconnects ends
        /// with every surviving event stored exactly once.
        #[test]
        fn exactly_once_under_any_interleaving(ops in proptest::collection::vec(0u8..4, 1..200)) {
            let mut relay = Relay::new(50);
            let mut host = Host::default();
            let mut n = 0;
            let mut now = 0;
            for op in ops {
                now += 500;
                match op {
                    0 | 1 => { let (id, j) = ev(n); n += 1; relay.push(id, None, j); }
                    2 => { // deliver with replies
                        pump(&mut relay, &mut host, now);
                    }
                    _ => { // deliver, lose the replies, drop the port
                        for a in relay.poll(now) { if let Action::Send(t) = a { host.receive(&t) } }
                        host.outbox.clear();
                        relay.disconnected(now);
                    }
                }
            }
            for _ in 0..10 {
                now += 10_000;
                pump(&mut relay, &mut host, now);
            }
            proptest::prop_assert_eq!(relay.stats().queued, 0);
            let dropped = relay.stats().dropped as usize;
            // Every event not dropped arrived; nothing arrived that was not sent.
            proptest::prop_assert!(host.stored.len() + dropped >= n);
            proptest::prop_assert!(host.stored.len() <= n);
        }
    }
}
