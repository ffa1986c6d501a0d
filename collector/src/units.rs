//! Durations, points in time and sizes as typed on the command line, and
//! timestamps as printed.

use crate::error::{CollectorError, Result};

fn bad(what: &str, s: &str, hint: &str) -> CollectorError {
    CollectorError::BadArgument(format!("invalid {what} `{s}`: {hint}"))
}

/// `30d`, `12h`, `90m`, `45s`, `500ms`, `2w`, or combinations like `1h30m`.
pub fn parse_duration_ms(s: &str) -> Result<i64> {
    let hint = "use a number and a unit: ms, s, m, h, d, w (e.g. 30d, 1h30m)";
    let t = s.trim();
    if t.is_empty() {
        return Err(bad("duration", s, hint));
    }
    let mut total: i64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad("duration", s, hint));
        }
        let n: i64 = rest[..digits]
            .parse()
            .map_err(|_| bad("duration", s, hint))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let factor = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            _ => return Err(bad("duration", s, hint)),
        };
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| bad("duration", s, "too large"))?;
    }
    Ok(total)
}

/// A point in time: a duration ago (`2h`), `now`, epoch milliseconds
/// (`1764000000000`), a date (`2026-11-28`) or a UTC date-time
/// (`2026-11-28T13:05:00Z`, seconds and `Z` optional).
pub fn parse_time_ms(s: &str, now_ms: i64) -> Result<i64> {
    let t = s.trim();
    if t == "now" {
        return Ok(now_ms);
    }
    if t.len() >= 12 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse()
            .map_err(|_| bad("time", s, "epoch milliseconds out of range"));
    }
    if let Ok(d) = parse_duration_ms(t) {
        return Ok(now_ms.saturating_sub(d));
    }
    parse_utc(t).ok_or_else(|| {
        bad(
            "time",
            s,
            "use a duration ago (2h), epoch ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z",
        )
    })
}

fn parse_utc(t: &str) -> Option<i64> {
    let t = t.strip_suffix('Z').unwrap_or(t);
    let (date, time) = match t.split_once(['T', ' ']) {
        Some((d, tm)) => (d, Some(tm)),
        None => (t, None),
    };
    let mut d = date.splitn(3, '-');
    let y: i64 = num(d.next()?, 4)?;
    let m: i64 = num(d.next()?, 2)?;
    let day: i64 = num(d.next()?, 2)?;
    if !(1..=12).contains(&m) || !(1..=days_in_month(y, m)).contains(&day) {
        return None;
    }
    let (mut hh, mut mm, mut ss) = (0, 0, 0);
    if let Some(tm) = time {
        let mut p = tm.splitn(3, ':');
        hh = num(p.next()?, 2)?;
        mm = num(p.next()?, 2)?;
        ss = p.next().map_or(Some(0), |x| num(x, 2))?;
        if hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
    }
    Some(((days_from_civil(y, m, day) * 24 + hh) * 60 + mm) * 60_000 + ss * 1000)
}

fn num(s: &str, len: usize) -> Option<i64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `2026-11-28T13:05:00.123Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

/// `500MB`, `1GiB`, `64k`, `1048576` (bytes).
pub fn parse_size(s: &str) -> Result<u64> {
    let hint = "use bytes or a unit: KB, MB, GB (×1000) or KiB, MiB, GiB (×1024)";
    let t = s.trim();
    let digits = t.bytes().take_while(|b| b.is_ascii_digit()).count();
    let n: u64 = t[..digits].parse().map_err(|_| bad("size", s, hint))?;
    let factor: u64 = match t[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return Err(bad("size", s, hint)),
    };
    n.checked_mul(factor)
        .ok_or_else(|| bad("size", s, "too large"))
}

/// `1.3 MB`, `512 B`: a size as people read it (decimal units, like `parse_size`'s MB).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1_300_000), "1.3 MB");
        assert_eq!(human_bytes(40_960), "41.0 KB");
        assert_eq!(human_bytes(u64::MAX), "18446744.1 TB");
    }

    #[test]
    fn duration_table() {
        let cases: &[(&str, Option<i64>)] = &[
            ("30d", Some(30 * 86_400_000)),
            ("1h30m", Some(5_400_000)),
            ("500ms", Some(500)),
            ("2w", Some(14 * 86_400_000)),
            ("45s", Some(45_000)),
            ("", None),
            ("d", None),
            ("10y", None),
            ("-5m", None),
            ("99999999999999999999d", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration_ms(s).ok(), *want, "{s}");
        }
    }

    #[test]
    fn time_table() {
        let now = 1_764_338_700_000;
        let cases: &[(&str, Option<i64>)] = &[
            ("now", Some(now)),
            ("2h", Some(now - 7_200_000)),
            ("1764000000000", Some(1_764_000_000_000)),
            ("1970-01-01", Some(0)),
            ("2000-02-29T12:00Z", Some(951_825_600_000)),
            ("2025-11-28T13:05:07Z", Some(1_764_335_107_000)),
            ("2025-02-29", None),
            ("2026-13-01", None),
            ("yesterday", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_time_ms(s, now).ok(), *want, "{s}");
        }
    }

    #[test]
    fn size_table() {
        assert_eq!(parse_size("500MB").unwrap(), 500_000_000);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("42").unwrap(), 42);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5PB").is_err());
    }

    #[test]
    fn rfc3339_known_points() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_764_335_107_123), "2025-11-28T13:05:07.123Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,24}") {
            let _ = parse_duration_ms(&s);
            let _ = parse_time_ms(&s, 0);
            let _ = parse_size(&s);
        }

        #[test]
        fn rfc3339_round_trips(ms in -62_135_596_800_000_i64..253_402_300_799_000) {
            let text = rfc3339_ms(ms);
            let secs = text.split('.').next().unwrap().to_owned() + "Z";
            prop_assert_eq!(parse_time_ms(&secs, 0).unwrap(), ms.div_euclid(1000) * 1000);
        }
    }
}
