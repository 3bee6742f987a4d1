//! Small numbers: pooled windows and `not_assessable`.

use super::*;

// ---- small numbers: pooled windows and not_assessable ----------------

/// Exact Poisson limits of a count, as a rate per 100,000 of `den` (the caller's window rate).
fn per_100k(events: f64, den: f64) -> Option<(f64, Option<f64>, Option<f64>)> {
    let (l, h) = crate::compute::stats::poisson_exact(events, 0.95)?;
    Some((events / den * 1e5, Some(l / den * 1e5), Some(h / den * 1e5)))
}

#[test]
fn windows_are_of_equal_length_and_do_not_overlap() {
    let years: Vec<(i32, f64, f64)> = (2020..=2024).map(|y| (y, 1.0, 5000.0)).collect();
    let (b, l) = windows(&years, 3, per_100k).unwrap();
    // Five years: two windows of two years, 2020–2021 and 2023–2024, midpoints 2020.5 and 2023.5.
    assert_eq!((b.from, b.to, l.from, l.to), (2020, 2021, 2023, 2024));
    assert_eq!((b.mid(), l.mid()), (2020.5, 2023.5));
    assert_eq!((b.events, l.events), (2.0, 2.0));
    // Six years: two windows of three.
    let years: Vec<(i32, f64, f64)> = (2019..=2024).map(|y| (y, 1.0, 5000.0)).collect();
    let (b, l) = windows(&years, 3, per_100k).unwrap();
    assert_eq!((b.from, b.to, l.from, l.to), (2019, 2021, 2022, 2024));
    // One year: no windows.
    assert_eq!(windows(&years[..1], 3, per_100k), None);
}

#[test]
fn not_assessable_needs_events_or_an_interval_apart_from_baseline_and_target() {
    // Both the baseline (12) and the target (9) inside the interval (5, 20).
    assert!(not_assessable(None, (Some(5.0), Some(20.0)), 12.0, 9.0, 10.0));
    // Only the target inside: the value is apart from the baseline.
    assert!(!not_assessable(None, (Some(5.0), Some(10.0)), 12.0, 9.0, 10.0));
    // Too few events, whatever the interval.
    assert!(not_assessable(Some(4.0), (Some(5.0), Some(6.0)), 12.0, 9.0, 10.0));
    assert!(!not_assessable(Some(10.0), (None, None), 12.0, 9.0, 10.0));
}

/// The sample county's maternal mortality in miniature: 5,000 births a year, deaths
/// 1, 0, 1, 2, 1 in 2020–2024 (4 in the last 3 years). Windows 2020–2021 (1 death, 10
/// per 100,000) and 2023–2024 (3 deaths, 30 per 100,000): the rate "tripled" on two
/// deaths. Fewer than 10 events: no firm status, and no "deteriorating".
#[test]
fn four_maternal_deaths_in_three_years_get_no_firm_status() {
    let years: Vec<(i32, f64, f64)> = [(2020, 1.0), (2021, 0.0), (2022, 1.0), (2023, 2.0), (2024, 1.0)].iter().map(|&(y, d)| (y, d, 5000.0)).collect();
    let (b, l) = windows(&years, 3, per_100k).unwrap();
    assert!((b.value - 10.0).abs() < EPS && (l.value - 30.0).abs() < EPS);
    let annual = pts(&[(2020, 20.0), (2021, 0.0), (2022, 20.0), (2023, 40.0), (2024, 20.0)]);
    let a = assess_windows(b, l, &annual, Goal::AtMost(9.0), 2030, 2024, 10.0, &Params::default());
    assert_eq!(a.status, Status::NotAssessable);
    assert!(!codes(&a).contains(&"deteriorating"));
    assert_eq!((a.baseline_year, a.latest_year), (Some(2020), Some(2024)));
    // The interval of 3 events (0.619–8.767) per 10,000 births holds the target and the baseline.
    assert!(codes(&a).contains(&"not_distinguishable"));
}

/// Large counts in the windows: the progress ratio from the midpoints. 200 against 100
/// deaths per 100,000 births, windows 2020–2021 and 2023–2024 (3 years apart, not 4):
/// CR_a = (100/200)^(1/3) − 1 = −0.206299, CR_r = (50/200)^(1/(2030 − 2020.5)) − 1 = −0.135778,
/// ratio 1.519387: on track. AARR ln 2 / 3 = 0.231049 against ln 4 / 9.5 = 0.145926.
#[test]
fn pooled_windows_measure_time_between_their_midpoints() {
    let years = [(2020, 100.0, 50_000.0), (2021, 100.0, 50_000.0), (2022, 80.0, 50_000.0), (2023, 50.0, 50_000.0), (2024, 50.0, 50_000.0)];
    let (b, l) = windows(&years, 3, per_100k).unwrap();
    let annual = pts(&[(2020, 200.0), (2021, 200.0), (2022, 160.0), (2023, 100.0), (2024, 100.0)]);
    let a = assess_windows(b, l, &annual, Goal::AtMost(50.0), 2030, 2024, 10.0, &Params::default());
    assert_eq!(a.method, "cagr");
    assert!(close(a.observed_rate, -0.2062994740159002), "{:?}", a.observed_rate);
    assert!(close(a.required_rate, -0.1357781067183944), "{:?}", a.required_rate);
    assert!(close(a.progress_ratio, 1.5193868805651272), "{:?}", a.progress_ratio);
    assert!(close(a.aarr, 0.23104906018664842) && close(a.required_aarr, 0.14592572222314637));
    assert_eq!(a.status, Status::OnTrack);
    assert_eq!(Status::NotAssessable.as_str(), "not_assessable");
}
