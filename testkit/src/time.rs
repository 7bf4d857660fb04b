//! Timestamps as Twitch writes them, for generated profiles and messages.

use std::time::{SystemTime, UNIX_EPOCH};

/// Formats Unix seconds as an RFC 3339 UTC timestamp, the way Helix writes `created_at`
/// (`2016-12-14T20:32:28Z`). Written out here because nothing else in the testkit needs a date
/// library.
pub fn rfc3339_utc(unix: u64) -> String {
    let days = unix / 86_400;
    let second_of_day = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Formats a time as RFC 3339 UTC with nine fractional digits (`2021-03-19T23:51:24.637747359Z`), the form
/// EventSub uses for `created_at`, event times and the `Message-Timestamp` header. Clients that parse only
/// milliseconds break on it, so the mock always sends all nine digits.
pub fn rfc3339_utc_nanos(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = rfc3339_utc(since_epoch.as_secs());
    let without_zone = seconds.trim_end_matches('Z');
    format!("{without_zone}.{:09}Z", since_epoch.subsec_nanos())
}

/// Converts days since 1970-01-01 into a proleptic Gregorian (year, month, day), using the
/// era-based algorithm (eras of 400 years, years starting in March so leap days fall last).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_481_747_548), "2016-12-14T20:32:28Z");
        // 2020-02-29 is a leap day; 2000-03-01 follows a leap day in a century year.
        assert_eq!(rfc3339_utc(1_582_934_400), "2020-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(951_868_800), "2000-03-01T00:00:00Z");
    }

    #[test]
    fn nanosecond_timestamps_always_have_nine_fractional_digits() {
        let time = UNIX_EPOCH + Duration::new(1_481_747_548, 1_500);
        assert_eq!(rfc3339_utc_nanos(time), "2016-12-14T20:32:28.000001500Z");
        assert_eq!(rfc3339_utc_nanos(UNIX_EPOCH), "1970-01-01T00:00:00.000000000Z");
    }
}
