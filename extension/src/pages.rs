//! Page records: which document each tab's top frame, and each frame the
//! core has heard from, shows. Every event is filed under the document that
//! produced it, with that document's own origin and path: a cross-origin
//! frame is another site, and a tab that navigated to another site is a new
//! page, not the old one with a new event.

use litemap::LiteMap;

use crate::input::clip;
use crate::limits;
use crate::url::origin_of;

/// One document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub url: String,
    pub origin: String,
    /// When the browser reported a top-level navigation to it (the
    /// navigation dedup window); `None` when it was learnt otherwise.
    pub nav_ms: Option<i64>,
    /// When it was last recorded (for eviction and "newest").
    pub seen_ms: i64,
}

impl Page {
    fn new(url: &str, origin: String, nav_ms: Option<i64>, now_ms: i64) -> Self {
        Page {
            url: clip(url, limits::URL).to_owned(),
            origin,
            nav_ms,
            seen_ms: now_ms,
        }
    }
}

/// Where an event happened: the tab, the frame (0 = top) and that frame's URL.
#[derive(Debug, Clone, Copy, Default)]
pub struct At<'a> {
    pub tab: Option<i64>,
    pub frame: Option<i64>,
    pub url: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct Pages {
    tabs: LiteMap<i64, Page>,
    frames: LiteMap<(i64, i64), Page>,
}

fn is_top(frame: Option<i64>) -> bool {
    matches!(frame, None | Some(0))
}

impl Pages {
    /// The tab's top-level document.
    pub fn top(&self, tab: i64) -> Option<&Page> {
        self.tabs.get(&tab)
    }

    /// The document of `frame` in `tab` (the top one for frame 0 or none).
    pub fn frame(&self, tab: i64, frame: Option<i64>) -> Option<&Page> {
        match frame {
            Some(f) if f != 0 => self.frames.get(&(tab, f)),
            _ => self.top(tab),
        }
    }

    /// A top-level navigation the browser reported: a new page record for
    /// the tab (its frames are gone with the old document). `None` for a
    /// URL that is not a web page.
    pub fn navigated(&mut self, tab: i64, url: &str, now_ms: i64) -> Option<&Page> {
        self.frames.retain(|(t, _), _| *t != tab);
        let Some(origin) = origin_of(url) else {
            self.tabs.remove(&tab);
            return None;
        };
        self.tabs
            .insert(tab, Page::new(url, origin, Some(now_ms), now_ms));
        self.tabs.get(&tab)
    }

    /// A document heard from (a content script's sender: the browser's
    /// word for its frame and URL). A tab's top record learnt this way is
    /// replaced when the sender shows another site; one the browser reported
    /// (`navigated`) stays: a late message from the page the tab left (its
    /// backlog, handed over as it went) does not bring that page back. A
    /// frame's record is replaced whenever its URL differs.
    pub fn heard(&mut self, tab: i64, frame: Option<i64>, url: &str, origin: &str, now_ms: i64) {
        if is_top(frame) {
            match self.tabs.get_mut(&tab) {
                Some(p) if p.origin == origin => p.seen_ms = now_ms,
                Some(p) if p.nav_ms.is_some() => {}
                _ => {
                    self.frames.retain(|(t, _), _| *t != tab);
                    self.tabs
                        .insert(tab, Page::new(url, origin.to_owned(), None, now_ms));
                }
            }
            return;
        }
        let key = (tab, frame.unwrap_or(0));
        match self.frames.get_mut(&key) {
            Some(p) if p.url == clip(url, limits::URL) => p.seen_ms = now_ms,
            _ => {
                if !self.frames.contains_key(&key) && self.frames.len() >= limits::FRAMES_TRACKED {
                    if let Some(old) = self
                        .frames
                        .iter()
                        .min_by_key(|(_, p)| p.seen_ms)
                        .map(|(k, _)| *k)
                    {
                        self.frames.remove(&old);
                    }
                }
                self.frames
                    .insert(key, Page::new(url, origin.to_owned(), None, now_ms));
            }
        }
    }

    pub fn remove_tab(&mut self, tab: i64) {
        self.tabs.remove(&tab);
        self.frames.retain(|(t, _), _| *t != tab);
    }

    /// The newest page of `origin`: where its logout is shown.
    pub fn newest_of(&self, origin: &str) -> Option<At<'_>> {
        let tops = self.tabs.iter().map(|(t, p)| (*t, Some(0), p));
        let frames = self.frames.iter().map(|((t, f), p)| (*t, Some(*f), p));
        tops.chain(frames)
            .filter(|(_, _, p)| p.origin == origin)
            .max_by_key(|(_, _, p)| p.seen_ms)
            .map(|(tab, frame, p)| At {
                tab: Some(tab),
                frame: frame.filter(|f| *f != 0),
                url: Some(p.url.as_str()),
            })
    }

    /// Every document known, top frames and frames.
    pub fn all(&self) -> impl Iterator<Item = &Page> {
        self.tabs.values().chain(self.frames.values())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "http://127.0.0.1:4001";
    const B: &str = "http://localhost:4002";

    #[test]
    fn navigations_and_senders_keep_each_document_apart() {
        let mut p = Pages::default();
        p.heard(1, Some(0), &format!("{A}/dashboard"), A, 10);
        p.heard(1, Some(5), "https://ads.test/frame", "https://ads.test", 11);
        assert_eq!(p.frame(1, Some(5)).unwrap().origin, "https://ads.test");
        assert_eq!(p.frame(1, Some(0)).unwrap().origin, A);
        // The top frame's sender shows another site: a new record.
        p.heard(1, Some(0), &format!("{B}/home"), B, 20);
        let top = p.top(1).unwrap();
        assert_eq!((top.origin.as_str(), top.nav_ms), (B, None));
        assert!(
            p.frame(1, Some(5)).is_none(),
            "the old document's frames are gone"
        );
        // The same site again: the record (and its URL) stays.
        p.heard(1, None, &format!("{B}/other"), B, 21);
        assert_eq!(p.top(1).unwrap().url, format!("{B}/home"));
        // A reported navigation replaces it, with its time for the dedup.
        p.navigated(1, &format!("{A}/signin"), 30);
        assert_eq!(p.top(1).unwrap().nav_ms, Some(30));
        assert!(p.navigated(1, "chrome://newtab", 31).is_none());
        assert!(p.top(1).is_none());
        // A reported navigation is the tab's page: a late message from the
        // page it left changes nothing.
        p.navigated(2, &format!("{B}/next"), 40);
        p.heard(2, Some(0), &format!("{A}/left"), A, 41);
        assert_eq!(p.top(2).unwrap().url, format!("{B}/next"));
    }

    #[test]
    fn the_newest_page_of_a_site() {
        let mut p = Pages::default();
        p.navigated(1, &format!("{A}/a"), 10);
        p.navigated(2, &format!("{A}/b"), 20);
        p.heard(3, Some(4), &format!("{A}/framed"), A, 30);
        let at = p.newest_of(A).unwrap();
        assert_eq!(
            (at.tab, at.frame, at.url),
            (Some(3), Some(4), Some("http://127.0.0.1:4001/framed"))
        );
        p.remove_tab(3);
        assert_eq!(p.newest_of(A).unwrap().tab, Some(2));
        assert!(p.newest_of(B).is_none());
    }

    #[test]
    fn frames_are_bounded() {
        let mut p = Pages::default();
        for i in 0..(limits::FRAMES_TRACKED as i64 + 5) {
            p.heard(1, Some(i + 1), "https://f.test/", "https://f.test", i);
        }
        assert_eq!(p.frames.len(), limits::FRAMES_TRACKED);
        assert!(p.frame(1, Some(1)).is_none(), "the oldest made room");
    }
}
