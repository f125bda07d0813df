//! The rate-limit usage headers Graph adds to its answers, and the wait they imply.
//!
//! Meta sends no `Retry-After`. `X-Business-Use-Case-Usage` (Page, Instagram and WhatsApp
//! calls) names `estimated_time_to_regain_access` in minutes per business and use case;
//! `X-App-Usage` and `X-Page-Usage` give percentages of the hourly budget, without a time.

use std::time::Duration;

use http::HeaderMap;
use serde::Deserialize;

/// The header with per-business use-case usage (`estimated_time_to_regain_access`, minutes).
pub const BUSINESS_USE_CASE_USAGE_HEADER: &str = "x-business-use-case-usage";
/// The header with the app's usage, in percent of its budget.
pub const APP_USAGE_HEADER: &str = "x-app-usage";
/// The header with the Page's usage, in percent of its budget.
pub const PAGE_USAGE_HEADER: &str = "x-page-usage";

/// How long to wait when the app or Page budget is used up and Graph names no time: the
/// budget is a rolling hour, so a few minutes frees part of it.
pub const EXHAUSTED_BUDGET_WAIT: Duration = Duration::from_secs(5 * 60);

#[derive(Deserialize)]
struct UseCase {
    #[serde(default)]
    estimated_time_to_regain_access: Option<u64>,
}

#[derive(Deserialize)]
struct Budget {
    #[serde(default)]
    call_count: Option<f64>,
    #[serde(default)]
    total_cputime: Option<f64>,
    #[serde(default)]
    total_time: Option<f64>,
}

/// The wait Graph's usage headers imply, if any:
///
/// - the largest `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`
///   when it is above zero;
/// - otherwise [`EXHAUSTED_BUDGET_WAIT`] when `X-App-Usage` or `X-Page-Usage` report 100 %
///   or more of any budget;
/// - otherwise `None` (the caller backs off on its own).
///
/// ```
/// use std::time::Duration;
/// use http::HeaderMap;
/// use unibox_channel_meta::rate_limit_delay;
/// let mut headers = HeaderMap::new();
/// headers.insert("x-business-use-case-usage", r#"{"104738291837465":[{"type":"messenger","call_count":100,"total_cputime":12,"total_time":30,"estimated_time_to_regain_access":7}]}"#.parse().unwrap());
/// assert_eq!(rate_limit_delay(&headers), Some(Duration::from_secs(7 * 60)));
/// ```
pub fn rate_limit_delay(headers: &HeaderMap) -> Option<Duration> {
    let regain = headers
        .get_all(BUSINESS_USE_CASE_USAGE_HEADER)
        .iter()
        .filter_map(|value| {
            serde_json::from_slice::<std::collections::HashMap<String, Vec<UseCase>>>(value.as_bytes()).ok()
        })
        .flat_map(|usage| usage.into_values().flatten())
        .filter_map(|use_case| use_case.estimated_time_to_regain_access)
        .max()
        .filter(|minutes| *minutes > 0);
    if let Some(minutes) = regain {
        return Some(Duration::from_secs(minutes.saturating_mul(60)));
    }
    let exhausted = [APP_USAGE_HEADER, PAGE_USAGE_HEADER].iter().any(|name| {
        headers.get_all(*name).iter().filter_map(|value| serde_json::from_slice::<Budget>(value.as_bytes()).ok()).any(
            |budget| {
                [budget.call_count, budget.total_cputime, budget.total_time]
                    .into_iter()
                    .flatten()
                    .any(|pct| pct >= 100.0)
            },
        )
    });
    exhausted.then_some(EXHAUSTED_BUDGET_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_longest_regain_time_of_any_business_wins() {
        let map = headers(&[(
            "x-business-use-case-usage",
            r#"{"1":[{"type":"pages","estimated_time_to_regain_access":2}],"2":[{"type":"messenger","estimated_time_to_regain_access":11}]}"#,
        )]);
        assert_eq!(rate_limit_delay(&map), Some(Duration::from_secs(660)));
    }

    #[test]
    fn an_exhausted_app_budget_without_a_time_waits_the_default() {
        let map = headers(&[("x-app-usage", r#"{"call_count":100,"total_time":20,"total_cputime":9}"#)]);
        assert_eq!(rate_limit_delay(&map), Some(EXHAUSTED_BUDGET_WAIT));
        let map = headers(&[("x-page-usage", r#"{"call_count":40,"total_time":101,"total_cputime":9}"#)]);
        assert_eq!(rate_limit_delay(&map), Some(EXHAUSTED_BUDGET_WAIT));
    }

    #[test]
    fn no_usable_header_means_no_delay() {
        assert_eq!(rate_limit_delay(&HeaderMap::new()), None);
        let map = headers(&[
            ("x-business-use-case-usage", r#"{"1":[{"type":"pages","estimated_time_to_regain_access":0}]}"#),
            ("x-app-usage", r#"{"call_count":12}"#),
        ]);
        assert_eq!(rate_limit_delay(&map), None);
        let map = headers(&[("x-business-use-case-usage", "not json"), ("x-app-usage", "{")]);
        assert_eq!(rate_limit_delay(&map), None);
    }
}
