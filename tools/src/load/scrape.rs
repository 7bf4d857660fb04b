//! Reading a target's `/metrics` for what the operating system says about it (memory, open files, open sockets)
//! and where its catch-ups came from.

use futures_util::future::join_all;
use url::Url;

/// The process gauges of one scrape; `None` where the target did not report one (off Linux, or an older sev).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    pub resident_memory_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub open_websockets: Option<u64>,
    pub catchups_from_memory: Option<u64>,
    pub catchups_from_storage: Option<u64>,
}

/// Reads the gauges from Prometheus's text format.
pub fn parse(text: &str) -> Sample {
    let mut sample = Sample::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(value)) = (parts.next(), parts.next()) else { continue };
        let Ok(value) = value.parse::<f64>() else { continue };
        let value = Some(value as u64);
        match name {
            "process_resident_memory_bytes" => sample.resident_memory_bytes = value,
            "process_open_fds" => sample.open_fds = value,
            "sev_open_websockets" => sample.open_websockets = value,
            "sev_catchups_total{source=\"memory\"}" => sample.catchups_from_memory = value,
            "sev_catchups_total{source=\"storage\"}" => sample.catchups_from_storage = value,
            _ => {}
        }
    }
    sample
}

/// One sample per target, in order; a target that cannot be scraped gives an empty sample.
pub async fn sample_all(http: &reqwest::Client, targets: &[Url]) -> Vec<Sample> {
    join_all(targets.iter().map(|target| async move {
        let url = format!("{}/metrics", target.as_str().trim_end_matches('/'));
        match http.get(&url).send().await.and_then(|r| r.error_for_status()) {
            Ok(response) => parse(&response.text().await.unwrap_or_default()),
            Err(e) => {
                tracing::warn!(error = %e, url, "cannot read a target's metrics");
                Sample::default()
            }
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_gauges_are_read_and_the_rest_ignored() {
        let text = "# HELP process_resident_memory_bytes Resident memory size in bytes.\n\
                    # TYPE process_resident_memory_bytes gauge\n\
                    process_resident_memory_bytes 48234496\n\
                    process_open_fds 142\n\
                    sev_open_websockets 100\n\
                    sev_catchups_total{source=\"memory\"} 12\n\
                    sev_webhooks_total{outcome=\"stored\"} 7\n";
        assert_eq!(
            parse(text),
            Sample {
                resident_memory_bytes: Some(48_234_496),
                open_fds: Some(142),
                open_websockets: Some(100),
                catchups_from_memory: Some(12),
                catchups_from_storage: None,
            }
        );
        assert_eq!(parse("sev_open_websockets 3\n"), Sample { open_websockets: Some(3), ..Sample::default() });
    }
}
