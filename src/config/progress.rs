//! `[progress]` in `pipelines/rules.toml`: the thresholds of the target-progress
//! assessment ([`crate::progress`] applies them).

/// Small-count threshold: a rate whose numerator is below this is flagged
/// (and, by default, a small count for the progress assessment).
pub const SMALL_COUNT: f64 = 20.0;

/// Settings of the progress assessment (`[progress]` in `pipelines/rules.toml`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProgressSettings {
    /// A value whose numerator is below this many events is a small count (pooled over 3 years).
    pub small_count: f64,
    pub on_track: f64,
    pub needs_acceleration: f64,
    pub fluctuation_multiple: f64,
    pub fluctuation_min_relative: f64,
    /// "About X" is met within this share of X (default 2%).
    pub about_tolerance: f64,
    pub target_years: Vec<i32>,
    /// A small-count series is assessed from a baseline and a latest window of
    /// min(pool_years, years / 2) years each.
    pub pool_years: usize,
    /// Fewer events than this in the latest window: `not_assessable`.
    pub min_events: f64,
    /// Direction-only targets: the Mann–Kendall two-sided level of a clear trend.
    pub trend_alpha: f64,
    /// Direction-only targets: fewer years than this are `insufficient_data`.
    pub trend_min_years: usize,
}

impl Default for ProgressSettings {
    fn default() -> Self {
        ProgressSettings {
            small_count: SMALL_COUNT,
            on_track: 0.95,
            needs_acceleration: 0.6,
            fluctuation_multiple: 2.0,
            fluctuation_min_relative: 0.10,
            about_tolerance: 0.02,
            target_years: vec![2025, 2030],
            pool_years: 3,
            min_events: 10.0,
            trend_alpha: 0.1,
            trend_min_years: 4,
        }
    }
}
