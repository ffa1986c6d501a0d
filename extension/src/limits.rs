//! Every cap and bound of the extension in one place: sizes of
//! page-controlled input, rates, queue sizes and shares, and how far a
//! claimed time may be from its arrival. The JS glue and the content
//! scripts enforce the same caps before anything reaches the core; `cargo
//! xtask dist` writes [`for_js`] into them, so none is repeated by hand.

/// Largest input read (its JSON text); a larger one is refused whole.
pub const PAGE_INPUT_BYTES: usize = 2 * 1024 * 1024;
/// Messages (and request starts) a tab may send at once…
pub const TAB_BURST: i64 = 1_000;
/// …and per second after that (token bucket).
pub const TAB_RATE_PER_S: i64 = 100;
/// Tabs (and sites, for notices) whose rate state is kept.
pub const TABS_TRACKED: usize = 1_000;
/// Sites whose sign-in state, storage credentials and clock are kept
/// (one not signed in makes room first).
pub const SITES_TRACKED: usize = 1_000;
/// Frames whose URL is remembered, all tabs together.
pub const FRAMES_TRACKED: usize = 2_000;
/// Cookies remembered with the sites that depend on them.
pub const COOKIES_TRACKED: usize = 1_000;
/// Events kept in memory for the diagnosis and the popup…
pub const TIMELINE_MAX: usize = 3_000;
/// …of which one site (or the machine's events) holds at most this many.
pub const TIMELINE_SHARE: usize = 1_000;
/// …none older than this.
pub const TIMELINE_AGE_MS: i64 = 2 * 60 * 60 * 1000;
/// Unacked events the relay keeps by default…
pub const RING_MAX: usize = 5_000;
/// …of which one site holds at most this many.
pub const RING_SHARE: usize = 2_000;
/// How long the page hook's messages may have waited in the page for the
/// forwarder (which starts once the page has loaded); an older `at` is
/// clamped.
pub const BACKLOG_MS: i64 = 5 * 60 * 1000;
/// A hooked request may end at most this long before it arrives.
pub const NET_AGE_MS: i64 = 10 * 60 * 1000;
/// A reported last input further back than this is clamped.
pub const INPUT_AGE_MS: i64 = 24 * 60 * 60 * 1000;
/// A server clock further from ours than this is not believed (the
/// model ignores such samples too).
pub const SKEW_MAX_MS: i64 = logout_lens_model::time::PLAUSIBLE_SKEW_MS;
/// One logout notification per site at most this often.
pub const NOTICE_EVERY_MS: i64 = 60_000;
/// Longest URL kept in memory (page, frame, request).
pub const URL: usize = 4_096;
/// Longest page path put on an event.
pub const PATH: usize = 512;
/// Longest request method kept.
pub const METHOD: usize = 16;
/// Response headers of a hooked request looked at, and their sizes.
pub const HEADERS: usize = 16;
pub const HEADER_NAME: usize = 64;
pub const HEADER_VALUE: usize = 1_024;
/// Longest value inspected as a possible token (the model's own cap).
pub const VALUE: usize = logout_lens_model::jwt::MAX_TOKEN_LEN;
/// Longest storage key or cookie name kept.
pub const KEY: usize = 256;
/// Longest stack kept.
pub const STACK: usize = 1_000;
/// Longest click label considered.
pub const LABEL: usize = 64;
/// Most storage entries looked at in one scan or `clear`.
pub const ENTRIES: usize = 500;
/// Characters of storage entries one scan or `clear` carries.
pub const ENTRIES_CHARS: usize = 256 * 1024;
/// Longest request body inspected for a refresh token.
pub const BODY: usize = 16 * 1024;
/// Longest network error text a page may report.
pub const NET_ERROR: usize = 64;
/// The page hook keeps at most this many messages until the forwarder is
/// ready, and hands them over within this many characters.
pub const HOOK_WAITING: usize = 500;
pub const HOOK_HANDOVER_CHARS: usize = 1024 * 1024;
/// The forwarder's token bucket per document: a burst as large as the
/// hook's backlog, then a rate, in messages and in characters.
pub const FORWARDER_BURST: usize = HOOK_WAITING;
pub const FORWARDER_RATE_PER_S: usize = 50;
pub const FORWARDER_BURST_CHARS: usize = 2 * 1024 * 1024;
pub const FORWARDER_RATE_CHARS_PER_S: usize = 256 * 1024;
/// Messages in one forwarder batch as the worker reads it (a document
/// left hands over the hook's backlog and what it gathered since, and the
/// forwarder's dropped count, within this).
pub const BATCH_MESSAGES: usize = 600;
/// Inputs waiting in the worker's glue for the core (before it is ready,
/// and between batches), all tabs together and one tab's at most.
pub const GLUE_PENDING: usize = 10_000;
pub const GLUE_PENDING_PER_TAB: usize = 2_000;

/// The caps the JS enforces before anything reaches the core, by the name
/// the scripts use (`LIMITS.VALUE`); `cargo xtask dist` writes them in as
/// a JSON object in place of `__LOGOUT_LENS_LIMITS__`.
pub fn for_js() -> serde_json::Map<String, serde_json::Value> {
    let table: &[(&str, usize)] = &[
        ("URL", URL),
        ("METHOD", METHOD),
        ("HEADERS", HEADERS),
        ("HEADER_NAME", HEADER_NAME),
        ("HEADER_VALUE", HEADER_VALUE),
        ("VALUE", VALUE),
        ("KEY", KEY),
        ("STACK", STACK),
        ("LABEL", LABEL),
        ("ENTRIES", ENTRIES),
        ("ENTRIES_CHARS", ENTRIES_CHARS),
        ("BODY", BODY),
        ("NET_ERROR", NET_ERROR),
        ("HOOK_WAITING", HOOK_WAITING),
        ("HOOK_HANDOVER_CHARS", HOOK_HANDOVER_CHARS),
        ("FORWARDER_BURST", FORWARDER_BURST),
        ("FORWARDER_RATE_PER_S", FORWARDER_RATE_PER_S),
        ("FORWARDER_BURST_CHARS", FORWARDER_BURST_CHARS),
        ("FORWARDER_RATE_CHARS_PER_S", FORWARDER_RATE_CHARS_PER_S),
        ("BATCH_MESSAGES", BATCH_MESSAGES),
        ("GLUE_PENDING", GLUE_PENDING),
        ("GLUE_PENDING_PER_TAB", GLUE_PENDING_PER_TAB),
    ];
    table
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_forwarder_sends_fits_what_the_core_reads() {
        const {
            // A document's hand-over (the hook's backlog, what was gathered
            // since, the dropped count) fits one batch.
            assert!(HOOK_WAITING < BATCH_MESSAGES);
            // The forwarder's burst covers the hook's whole backlog.
            assert!(FORWARDER_BURST >= HOOK_WAITING);
            // A full batch of capped messages stays under the input cap.
            assert!(HOOK_HANDOVER_CHARS < PAGE_INPUT_BYTES);
            assert!(GLUE_PENDING_PER_TAB < GLUE_PENDING);
        }
        let js = for_js();
        assert_eq!(js["VALUE"], VALUE);
        assert!(
            js.keys()
                .all(|k| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        );
    }
}
