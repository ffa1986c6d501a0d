//! Human-readable durations for explanations and UI ("23 min", "19 d 12 h"),
//! and what a believable clock difference is.

/// Server and local clocks further apart than this are not a skew but a
/// forged or broken `Date` (a day: no real clock that far off still
/// produces tokens a server accepts). The diagnosis ignores such samples;
/// the extension refuses them.
pub const PLAUSIBLE_SKEW_MS: i64 = 24 * 60 * 60 * 1000;

/// Format a duration given in ms the way a person would say it.
pub fn human_ms(ms: i64) -> String {
    let neg = ms < 0;
    let ms = ms.unsigned_abs();
    let s = ms / 1000;
    let text = if ms < 1000 {
        format!("{ms} ms")
    } else if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else if s < 86_400 {
        let m = (s % 3600) / 60;
        if m == 0 {
            format!("{} h", s / 3600)
        } else {
            format!("{} h {m} min", s / 3600)
        }
    } else {
        let h = (s % 86_400) / 3600;
        if h == 0 {
            format!("{} d", s / 86_400)
        } else {
            format!("{} d {h} h", s / 86_400)
        }
    };
    if neg { format!("-{text}") } else { text }
}

/// Compact form for a badge: "45m", "4m", "3h", "2d", "30s".
pub fn badge_ms(ms: i64) -> String {
    if ms <= 0 {
        return "!".to_owned();
    }
    let s = ms / 1000;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_table() {
        for (ms, want) in [
            (38, "38 ms"),
            (4_200, "4 s"),
            (23 * 60_000 + 5_000, "23 min"),
            (2 * 3_600_000 + 5 * 60_000, "2 h 5 min"),
            (3_600_000, "1 h"),
            (19 * 86_400_000 + 12 * 3_600_000, "19 d 12 h"),
            (-90_000, "-1 min"),
        ] {
            assert_eq!(human_ms(ms), want);
        }
    }

    #[test]
    fn badge_table() {
        for (ms, want) in [
            (45 * 60_000, "45m"),
            (0, "!"),
            (-5, "!"),
            (30_000, "30s"),
            (3 * 86_400_000, "3d"),
        ] {
            assert_eq!(badge_ms(ms), want);
        }
    }
}
