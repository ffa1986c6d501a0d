//! Logouts waiting for their cause.
//!
//! The model's diagnosis is a large part of the wasm, and the service worker
//! compiles its module every time the browser wakes it, which is often; a
//! logout is rare. So the worker's module has no diagnosis: a logout event
//! the core emits is held here, the glue hands its id and the timeline to
//! the pages' module (instantiated in the worker only then), and the answer
//! settles it (`Core::settle`); then it is alerted and, if the options send
//! it, queued for the collector. An answer that never comes loses nothing:
//! the glue then releases the held events without a cause, as they were.
//!
//! The answer is plain text, one `id<TAB>cause` line per logout asked
//! about: nothing to parse but lines.

use logout_lens_model::logout::{Cause, DiagnoseOptions, Target, diagnose};
use logout_lens_model::{Event, EventId, EventKind};

/// Held at most; an older one is released without a cause (a diagnoser that
/// keeps failing must not hold events forever).
pub const HELD_MAX: usize = 64;

/// Does this event wait for its cause? A logout the core saw, not yet diagnosed.
pub fn needs_cause(e: &Event) -> bool {
    matches!(&e.kind, EventKind::LogoutObserved(o) if o.cause.is_none())
}

/// The held events, oldest first.
#[derive(Debug, Default)]
pub struct Held {
    events: Vec<Event>,
}

impl Held {
    /// Holds `e`; returns an older event pushed out by [`HELD_MAX`], which
    /// goes on without a cause.
    pub fn hold(&mut self, e: Event) -> Option<Event> {
        self.events.push(e);
        (self.events.len() > HELD_MAX).then(|| self.events.remove(0))
    }

    /// The held ids, one per line (`""` when none).
    pub fn ids(&self) -> String {
        self.events
            .iter()
            .map(|e| e.id.0.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Takes out what a diagnoser's answer names, each with its cause (none
    /// for an empty or unknown one); with no answer (the diagnoser failed),
    /// every held event, without a cause. Lines naming nothing held are
    /// ignored.
    pub fn release(&mut self, answer: Option<&str>) -> Vec<(Event, Option<Cause>)> {
        let Some(answer) = answer else {
            return self.events.drain(..).map(|e| (e, None)).collect();
        };
        let mut out = Vec::new();
        for (id, cause) in answer.lines().filter_map(|l| l.split_once('\t')) {
            if let Some(i) = self.events.iter().position(|e| e.id.0 == id) {
                let cause = Cause::ALL.into_iter().find(|c| c.code() == cause);
                out.push((self.events.remove(i), cause));
            }
        }
        out
    }
}

/// The diagnoser's side (the pages' module): the answer for `ids` (one per
/// line) in `timeline`, a line per id. A logout the diagnosis cannot place
/// (no longer in the timeline) is answered with an empty cause, so it is
/// released all the same, without one.
pub fn answer(timeline: &[Event], ids: &str) -> String {
    ids.lines()
        .filter(|id| !id.is_empty())
        .map(|id| {
            let cause = diagnose(
                timeline,
                &Target::Id(EventId(id.to_owned())),
                &DiagnoseOptions::default(),
            )
            .map_or("", |d| d.cause.code());
            format!("{id}\t{cause}\n")
        })
        .collect()
}
