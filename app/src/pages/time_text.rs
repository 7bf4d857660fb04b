//! Times as people read them: "2 min ago", with the exact UTC time for the tooltip. Plain arithmetic, so the
//! server and the browser render the same text.

/// "just now", "45 s ago", "2 min ago", "3 h ago", "4 d ago".
pub fn relative(then_ms: i64, now_ms: i64) -> String {
    let secs = ((now_ms - then_ms) / 1000).max(0);
    match secs {
        0..=9 => "just now".to_string(),
        10..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// "2026-11-23 13:45:10 UTC".
pub fn exact(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// "2026-11-23T13:45:10Z", for `<time datetime>`.
pub fn iso(ms: i64) -> String {
    exact(ms).replacen(' ', "T", 1).replace(" UTC", "Z")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_000_000_000;
        assert_eq!(relative(now, now), "just now");
        assert_eq!(relative(now - 45_000, now), "45 s ago");
        assert_eq!(relative(now - 120_000, now), "2 min ago");
        assert_eq!(relative(now - 3 * 3_600_000, now), "3 h ago");
        assert_eq!(relative(now - 4 * 86_400_000, now), "4 d ago");
        assert_eq!(relative(now + 5_000, now), "just now", "a clock slightly ahead is not negative");
    }

    #[test]
    fn exact_times_are_utc() {
        assert_eq!(exact(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(exact(1_700_000_000_123), "2023-11-14 22:13:20 UTC");
        assert_eq!(iso(1_700_000_000_123), "2023-11-14T22:13:20Z");
        assert_eq!(exact(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }
}
