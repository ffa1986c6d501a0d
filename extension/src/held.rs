//! Logouts waiting for their cause.
//!
//! The service worker's module has no diagnosis: the browser compiles the
//! worker's module every time it wakes it, which is often, and a logout is
//! rare. So a logout event the core emits is held here, the glue hands the
//! held ids and the timeline to the pages' module (instantiated in the
//! worker only then), and its answer ([`Verdict`]s, JSON) settles them
//! (`Core::settle`); then each is alerted and, if the options send it,
//! queued for the collector. An answer that never comes loses nothing: the
//! glue then releases the held events without a cause, as they were.

use logout_lens_model::logout::{Cause, DiagnoseOptions, Target, diagnose};
use logout_lens_model::{Event, EventId, EventKind};
use serde::{Deserialize, Serialize};

/// The diagnoser's answer about one held logout: its cause, or none when
/// the diagnosis could not place it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub id: String,
    #[serde(default)]
    pub cause: Option<Cause>,
}

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

    /// The held ids, oldest first.
    pub fn ids(&self) -> Vec<String> {
        self.events.iter().map(|e| e.id.0.clone()).collect()
    }

    /// Takes out what a diagnoser's answer names, each with its cause;
    /// with no answer (the diagnoser failed), every held event, without a
    /// cause. Verdicts about nothing held are ignored.
    pub fn release(&mut self, answer: Option<&[Verdict]>) -> Vec<(Event, Option<Cause>)> {
        let Some(answer) = answer else {
            return self.events.drain(..).map(|e| (e, None)).collect();
        };
        let mut out = Vec::new();
        for v in answer {
            if let Some(i) = self.events.iter().position(|e| e.id.0 == v.id) {
                out.push((self.events.remove(i), v.cause));
            }
        }
        out
    }
}

/// The diagnoser's side (the pages' module): a verdict for each of `ids`
/// in `timeline`. A logout the diagnosis cannot place (no longer in the
/// timeline) gets no cause, so it is released all the same, without one.
pub fn answer(timeline: &[Event], ids: &[String]) -> Vec<Verdict> {
    ids.iter()
        .map(|id| Verdict {
            id: id.clone(),
            cause: diagnose(
                timeline,
                &Target::Id(EventId(id.clone())),
                &DiagnoseOptions::default(),
            )
            .ok()
            .map(|d| d.cause),
        })
        .collect()
}
