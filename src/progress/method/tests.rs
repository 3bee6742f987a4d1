//! Hand-computed examples for every status, direction, target kind, AARR,
//! the projection and each warning.

use super::*;

const EPS: f64 = 1e-9;

fn pt(year: i32, value: f64) -> Point {
    Point { year, value, ci_low: None, ci_high: None }
}

fn pts(v: &[(i32, f64)]) -> Vec<Point> {
    v.iter().map(|&(y, x)| pt(y, x)).collect()
}

fn close(a: Option<f64>, b: f64) -> bool {
    matches!(a, Some(x) if (x - b).abs() < EPS)
}

fn run(series: &[Point], goal: Goal, target_year: i32) -> Assessment {
    let last = series.iter().map(|p| p.year).max().unwrap_or(0);
    assess(series, goal, target_year, None, last, &Params::default())
}

fn codes(a: &Assessment) -> Vec<&'static str> {
    a.warnings.iter().map(|w| w.code()).collect()
}

// ---- helpers --------------------------------------------------------

#[test]
fn params_default() {
    let p = Params::default();
    assert_eq!(p.on_track, 0.95);
    assert_eq!(p.needs_acceleration, 0.6);
    assert_eq!(p.fluctuation_multiple, 2.0);
    assert_eq!(p.fluctuation_min_relative, 0.10);
}

#[test]
fn status_strings() {
    assert_eq!(Status::Achieved.as_str(), "achieved");
    assert_eq!(Status::OnTrack.as_str(), "on_track");
    assert_eq!(Status::NeedsAcceleration.as_str(), "needs_acceleration");
    assert_eq!(Status::LimitedProgress.as_str(), "limited_progress");
    assert_eq!(Status::Deterioration.as_str(), "deterioration");
    assert_eq!(Status::InsufficientData.as_str(), "insufficient_data");
}

#[test]
fn warning_codes_and_reasons() {
    let w = Warning::ProjectedMiss { projected: 9.1, target: 8.0, target_year: 2030 };
    assert_eq!(w.code(), "projected_miss");
    assert_eq!(w.reason(), "projected 9.1 in 2030 misses the target 8");
    assert_eq!(Warning::Deteriorating.code(), "deteriorating");
    let f = Warning::Fluctuating { median_change: 12.0, trend: 0.0 };
    assert_eq!(f.code(), "fluctuating");
    assert!(f.reason().contains("12") && f.reason().contains("0 per year"));
    let r = Warning::RegressedAfterMeeting { met_in: 2022 };
    assert_eq!(r.code(), "regressed_after_meeting");
    assert!(r.reason().contains("2022"));
    let l = Warning::LatestMissing { latest_year: 2022, expected_year: 2024 };
    assert_eq!(l.code(), "latest_missing");
    assert!(l.reason().contains("2022") && l.reason().contains("2024"));
    assert_eq!(Warning::NotDistinguishable.code(), "not_distinguishable");
    assert!(!Warning::NotDistinguishable.reason().is_empty());
    // Rounding to 4 decimals, no "-0".
    let w = Warning::ProjectedMiss { projected: 1.0 / 3.0, target: -0.00001, target_year: 2030 };
    assert_eq!(w.reason(), "projected 0.3333 in 2030 misses the target 0");
}

#[test]
fn meets_each_goal() {
    assert!(meets(Goal::AtLeast(90.0), 90.0));
    assert!(!meets(Goal::AtLeast(90.0), 89.9));
    assert!(meets(Goal::AtMost(8.0), 8.0));
    assert!(!meets(Goal::AtMost(8.0), 8.1));
    assert!(meets(Goal::About { value: 50.0, tolerance: 1.0 }, 49.0));
    assert!(!meets(Goal::About { value: 50.0, tolerance: 1.0 }, 51.5));
    assert!(meets(Goal::Range { low: 103.0, high: 107.0 }, 103.0));
    assert!(meets(Goal::Range { low: 103.0, high: 107.0 }, 107.0));
    assert!(!meets(Goal::Range { low: 103.0, high: 107.0 }, 108.0));
    assert!(!meets(Goal::Range { low: 103.0, high: 107.0 }, 102.0));
    // Reversed bounds are read as swapped.
    assert!(meets(Goal::Range { low: 107.0, high: 103.0 }, 105.0));
    assert!(!meets(Goal::AtLeast(0.0), f64::NAN));
    assert!(!meets(Goal::AtMost(0.0), f64::NEG_INFINITY));
}

#[test]
fn relative_goal_helper() {
    // base 10, 20 % lower → AtMost(10 × 0.8 = 8)
    match relative_goal(10.0, -0.2) {
        Goal::AtMost(x) => assert!((x - 8.0).abs() < EPS),
        g => panic!("unexpected {:?}", g),
    }
    // base 50, 10 % higher → AtLeast(55)
    match relative_goal(50.0, 0.1) {
        Goal::AtLeast(x) => assert!((x - 55.0).abs() < EPS),
        g => panic!("unexpected {:?}", g),
    }
    // change 0 → AtLeast(base)
    assert_eq!(relative_goal(7.0, 0.0), Goal::AtLeast(7.0));
}

#[test]
fn median_cases() {
    assert_eq!(median(&mut []), None);
    assert_eq!(median(&mut [3.0]), Some(3.0));
    assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
    assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
}

#[test]
fn aarr_hand_computed() {
    // 40 → 32 over 4 years: ln(40/32)/4 = ln(1.25)/4 = 0.22314355/4 = 0.05578589
    let r = aarr(40.0, 2020, 32.0, 2024);
    assert!(close(r, 0.0557858878), "{:?}", r);
    assert!(close(r, (40.0f64 / 32.0).ln() / 4.0));
    assert_eq!(aarr(0.0, 2020, 32.0, 2024), None);
    assert_eq!(aarr(40.0, 2020, 0.0, 2024), None);
    assert_eq!(aarr(40.0, 2024, 32.0, 2024), None);
}

#[test]
fn theil_sen_hand_computed() {
    // Points (2020,1) (2021,3) (2022,4) (2024,10). Pair slopes:
    //  (20,21) 2   (20,22) 1.5  (20,24) 9/4 = 2.25
    //  (21,22) 1   (21,24) 7/3  (22,24) 3
    // sorted 1, 1.5, 2, 2.25, 2.333, 3 → median (2 + 2.25)/2 = 2.125
    let s = pts(&[(2024, 10.0), (2020, 1.0), (2022, 4.0), (2021, 3.0)]);
    assert!(close(theil_sen(&s), 2.125));
    assert_eq!(theil_sen(&pts(&[(2020, 1.0)])), None);
    assert_eq!(theil_sen(&[]), None);
}

#[test]
fn weighted_projection_hand_computed() {
    // (2020,10) (2021,12) (2022,13); u = 0,1,2; weights 1,2,3; W = 6
    // ū = (0 + 2 + 6)/6 = 4/3 ; ȳ = (10 + 24 + 39)/6 = 73/6
    // Σw·u·y = 2·1·12 + 3·2·13 = 102 ; Sxy = 102 − 6·(4/3)·(73/6) = 102 − 292/3 = 14/3
    // Σw·u² = 2 + 12 = 14       ; Sxx = 14 − 6·(16/9) = 10/3
    // b = (14/3)/(10/3) = 1.4 ; a = 73/6 − 1.4·4/3 = 12.1667 − 1.8667 = 10.3
    // at 2030 (u = 10): 10.3 + 14 = 24.3
    let s = pts(&[(2020, 10.0), (2021, 12.0), (2022, 13.0)]);
    let proj = weighted_projection(&s, 2030);
    assert!(close(proj, 24.3), "{:?}", proj);
    // Unweighted OLS would give slope 1.5 and 26.0 in 2030 — the weights matter.
    assert!((proj.unwrap_or(0.0) - 26.0).abs() > 1.0);
    // One point → its value; none → None.
    assert!(close(weighted_projection(&pts(&[(2022, 7.0)]), 2030), 7.0));
    assert_eq!(weighted_projection(&[], 2030), None);
    // Two points: the line passes through both. 2020:50, 2024:48 → slope −0.5 → 45 in 2030.
    assert!(close(weighted_projection(&pts(&[(2020, 50.0), (2024, 48.0)]), 2030), 45.0));
}

// ---- statuses, AtLeast (increase) ----------------------------------

#[test]
fn on_track_at_least_cagr() {
    let a = run(&pts(&[(2020, 50.0), (2024, 60.0)]), Goal::AtLeast(70.0), 2030);
    let cr_a = (60.0f64 / 50.0).powf(1.0 / 4.0) - 1.0; // ≈ 0.04664
    let cr_r = (70.0f64 / 50.0).powf(1.0 / 10.0) - 1.0; // ≈ 0.03422
    assert_eq!(a.method, "cagr");
    assert!(close(a.observed_rate, cr_a));
    assert!(close(a.required_rate, cr_r));
    assert!(close(a.progress_ratio, cr_a / cr_r)); // ≈ 1.363
    assert_eq!(a.status, Status::OnTrack);
    assert_eq!(a.baseline_year, Some(2020));
    assert_eq!(a.latest_year, Some(2024));
    assert!(close(a.target_value, 70.0));
    // Projection: two points → 60 + 2.5·6 = 75 ≥ 70 → no projected_miss.
    assert!(close(a.projected_value, 75.0));
    assert!(a.warnings.is_empty());
    assert_eq!(a.aarr, None); // AARR only for AtMost
}

#[test]
fn needs_acceleration_at_least() {
    let a = run(&pts(&[(2020, 50.0), (2024, 60.0)]), Goal::AtLeast(90.0), 2030);
    let cr_a = (60.0f64 / 50.0).powf(0.25) - 1.0; // ≈ 0.04664
    let cr_r = (90.0f64 / 50.0).powf(0.1) - 1.0; // ≈ 0.06054
    assert!(close(a.progress_ratio, cr_a / cr_r)); // ≈ 0.770
    assert_eq!(a.status, Status::NeedsAcceleration);
    // Projected 75 < 90
    assert_eq!(a.warnings, vec![Warning::ProjectedMiss { projected: 75.0, target: 90.0, target_year: 2030 }]);
}

#[test]
fn limited_progress_at_least() {
    let a = run(&pts(&[(2020, 50.0), (2024, 52.0)]), Goal::AtLeast(90.0), 2030);
    let cr_a = (52.0f64 / 50.0).powf(0.25) - 1.0; // ≈ 0.00985
    let cr_r = (90.0f64 / 50.0).powf(0.1) - 1.0; // ≈ 0.06054
    assert!(close(a.progress_ratio, cr_a / cr_r)); // ≈ 0.163
    assert_eq!(a.status, Status::LimitedProgress);
}

#[test]
fn deterioration_at_least() {
    let a = run(&pts(&[(2020, 50.0), (2024, 48.0)]), Goal::AtLeast(90.0), 2030);
    let cr_a = (48.0f64 / 50.0).powf(0.25) - 1.0; // < 0
    let cr_r = (90.0f64 / 50.0).powf(0.1) - 1.0;
    assert!(close(a.progress_ratio, cr_a / cr_r));
    assert_eq!(a.status, Status::Deterioration);
    // 2 points: projection 48 − 0.5·6 = 45.
    assert_eq!(a.warnings, vec![Warning::ProjectedMiss { projected: 45.0, target: 90.0, target_year: 2030 }, Warning::Deteriorating]);
}

#[test]
fn achieved_at_least_ratio_still_computed() {
    let a = run(&pts(&[(2020, 80.0), (2024, 92.0)]), Goal::AtLeast(90.0), 2030);
    assert_eq!(a.status, Status::Achieved);
    let cr_a = (92.0f64 / 80.0).powf(0.25) - 1.0;
    let cr_r = (90.0f64 / 80.0).powf(0.1) - 1.0;
    assert!(close(a.progress_ratio, cr_a / cr_r));
    assert!(a.warnings.is_empty()); // projected 92 + 3·6 = 110 ≥ 90
}

#[test]
fn achieved_but_projected_miss() {
    // 2020:100, 2024:92, goal ≥ 90: achieved now, but the line 92 − 2·6 = 80 in 2030 misses.
    let a = run(&pts(&[(2020, 100.0), (2024, 92.0)]), Goal::AtLeast(90.0), 2030);
    assert_eq!(a.status, Status::Achieved);
    assert_eq!(a.progress_ratio, None); // baseline already met → ratio not meaningful
    assert_eq!(a.warnings, vec![Warning::ProjectedMiss { projected: 80.0, target: 90.0, target_year: 2030 }]);
}

#[test]
fn insufficient_data_single_point() {
    let a = run(&pts(&[(2024, 50.0)]), Goal::AtLeast(90.0), 2030);
    assert_eq!(a.status, Status::InsufficientData);
    assert_eq!(a.baseline_value, Some(50.0));
    assert_eq!(a.latest_value, Some(50.0));
    assert_eq!(a.target_value, Some(90.0));
    assert_eq!(a.projected_value, Some(50.0));
    assert_eq!(a.progress_ratio, None);
    assert_eq!(a.method, "none");
    assert!(a.warnings.is_empty()); // no projected_miss with one point
}

#[test]
fn single_point_meeting_goal_is_achieved() {
    let a = run(&pts(&[(2024, 95.0)]), Goal::AtLeast(90.0), 2030);
    assert_eq!(a.status, Status::Achieved);
}

#[test]
fn insufficient_when_baseline_is_latest_and_latest_missing_still_emitted() {
    let s = pts(&[(2018, 40.0), (2022, 50.0)]);
    let a = assess(&s, Goal::AtLeast(90.0), 2030, Some(2022), 2024, &Params::default());
    assert_eq!(a.status, Status::InsufficientData);
    assert_eq!(a.baseline_year, Some(2022));
    assert_eq!(a.latest_year, Some(2022));
    assert_eq!(a.warnings, vec![Warning::LatestMissing { latest_year: 2022, expected_year: 2024 }]);
}

#[test]
fn empty_series() {
    let a = assess(&[], Goal::AtLeast(90.0), 2030, None, 2024, &Params::default());
    assert_eq!(a.status, Status::InsufficientData);
    assert_eq!(a.latest_year, None);
    assert_eq!(a.target_value, None);
    assert_eq!(a.method, "none");
    assert!(a.warnings.is_empty());
}

// ---- AtMost (decrease), relative target, AARR ----------------------

#[test]
fn at_most_decreasing_on_track_with_aarr() {
    let goal = relative_goal(10.0, -0.2); // AtMost(8)
    let a = run(&pts(&[(2020, 10.0), (2024, 9.0)]), goal, 2030);
    let cr_a = (9.0f64 / 10.0).powf(0.25) - 1.0; // ≈ −0.02599
    let cr_r = (8.0f64 / 10.0).powf(0.1) - 1.0; // ≈ −0.02207
    assert_eq!(a.method, "cagr");
    assert!(close(a.progress_ratio, cr_a / cr_r)); // ≈ 1.178
    assert_eq!(a.status, Status::OnTrack);
    // AARR: ln(10/9)/4 ≈ 0.026340 ; required ln(10/8)/10 ≈ 0.022314
    assert!(close(a.aarr, (10.0f64 / 9.0).ln() / 4.0));
    assert!(close(a.required_aarr, (10.0f64 / 8.0).ln() / 10.0));
    assert!((a.aarr.unwrap_or(0.0) - 0.026340).abs() < 1e-6);
    // projection: 9 − 0.25·6 = 7.5 ≤ 8 → no warning
    assert!(close(a.projected_value, 7.5));
    assert!(a.warnings.is_empty());
}

#[test]
fn at_most_deterioration() {
    let a = run(&pts(&[(2020, 10.0), (2024, 11.0)]), Goal::AtMost(8.0), 2030);
    assert_eq!(a.status, Status::Deterioration);
    assert!(a.progress_ratio.unwrap_or(0.0) < 0.0);
    // AARR negative: ln(10/11)/4
    assert!(close(a.aarr, (10.0f64 / 11.0).ln() / 4.0));
    assert_eq!(codes(&a), vec!["projected_miss", "deteriorating"]);
}

#[test]
fn zero_target_uses_linear() {
    // 10 → 6 over 4 years toward 0 by 2030: observed −4/4 = −1 ; required (0 − 10)/10 = −1 → ratio 1
    let a = run(&pts(&[(2020, 10.0), (2024, 6.0)]), Goal::AtMost(0.0), 2030);
    assert_eq!(a.method, "linear");
    assert!(close(a.observed_rate, -1.0));
    assert!(close(a.required_rate, -1.0));
    assert!(close(a.progress_ratio, 1.0));
    assert_eq!(a.status, Status::OnTrack);
    assert_eq!(a.aarr, Some((10.0f64 / 6.0).ln() / 4.0)); // both values > 0
    assert_eq!(a.required_aarr, None); // g = 0: log undefined
                                       // projection 6 − 1·6 = 0 meets ≤ 0 → no warning
    assert!(close(a.projected_value, 0.0));
    assert!(a.warnings.is_empty());
}

#[test]
fn negative_values_use_linear() {
    // x0 ≤ 0 → linear: (−2 − (−5))/4 = 0.75 per year ; required (1 − (−5))/10 = 0.6 → ratio 1.25
    let a = run(&pts(&[(2020, -5.0), (2024, -2.0)]), Goal::AtLeast(1.0), 2030);
    assert_eq!(a.method, "linear");
    assert!(close(a.progress_ratio, 0.75 / 0.6));
    assert_eq!(a.status, Status::OnTrack);
}

// ---- Range ---------------------------------------------------------

const SRB: Goal = Goal::Range { low: 103.0, high: 107.0 };

#[test]
fn range_inside_achieved() {
    // Baseline 110 was above → g = 107 (the bound crossed).
    let a = run(&pts(&[(2020, 110.0), (2024, 106.0)]), SRB, 2030);
    assert_eq!(a.status, Status::Achieved);
    assert!(close(a.target_value, 107.0));
    let cr_a = (106.0f64 / 110.0).powf(0.25) - 1.0;
    let cr_r = (107.0f64 / 110.0).powf(0.1) - 1.0;
    assert!(close(a.progress_ratio, cr_a / cr_r));
    // Both inside → the bound nearer the latest value: 104 is 1 from 103, 3 from 107.
    let b = run(&pts(&[(2020, 105.0), (2024, 104.0)]), SRB, 2030);
    assert_eq!(b.status, Status::Achieved);
    assert!(close(b.target_value, 103.0));
    assert_eq!(b.progress_ratio, None);
}

#[test]
fn range_below() {
    // 99 → 101, g = low = 103, increase.
    let a = run(&pts(&[(2020, 99.0), (2024, 101.0)]), SRB, 2030);
    assert!(close(a.target_value, 103.0));
    let cr_a = (101.0f64 / 99.0).powf(0.25) - 1.0; // ≈ 0.00501
    let cr_r = (103.0f64 / 99.0).powf(0.1) - 1.0; // ≈ 0.00397
    assert!(close(a.progress_ratio, cr_a / cr_r)); // ≈ 1.26
    assert_eq!(a.status, Status::OnTrack);
}

#[test]
fn range_above() {
    // 115 → 112, g = high = 107, decrease.
    let a = run(&pts(&[(2020, 115.0), (2024, 112.0)]), SRB, 2030);
    assert!(close(a.target_value, 107.0));
    let cr_a = (112.0f64 / 115.0).powf(0.25) - 1.0; // ≈ −0.006586
    let cr_r = (107.0f64 / 115.0).powf(0.1) - 1.0; // ≈ −0.007184
    assert!(close(a.progress_ratio, cr_a / cr_r)); // ≈ 0.917
    assert_eq!(a.status, Status::NeedsAcceleration);
    // projection: 112 − 0.75·6 = 107.5 > 107 → miss, target shown is 107
    assert_eq!(a.warnings, vec![Warning::ProjectedMiss { projected: 107.5, target: 107.0, target_year: 2030 }]);
}

#[test]
fn range_overshoot_and_leaving() {
    // 100 (3 below) → 109 (2 above): jumped across, ratio not meaningful; closer → limited progress.
    let a = run(&pts(&[(2020, 100.0), (2024, 109.0)]), SRB, 2030);
    assert_eq!(a.progress_ratio, None);
    assert!(close(a.target_value, 107.0));
    assert_eq!(a.status, Status::LimitedProgress);
    // 105 (inside) → 109 (outside): baseline met, latest not → deterioration.
    let b = run(&pts(&[(2020, 105.0), (2024, 109.0)]), SRB, 2030);
    assert_eq!(b.progress_ratio, None);
    assert_eq!(b.status, Status::Deterioration);
    assert_eq!(codes(&b), vec!["projected_miss", "deteriorating", "regressed_after_meeting"]);
}

// ---- About ---------------------------------------------------------

#[test]
fn about_target() {
    let goal = Goal::About { value: 50.0, tolerance: 1.0 };
    // 40 → 45 toward 50.
    let a = run(&pts(&[(2020, 40.0), (2024, 45.0)]), goal, 2030);
    assert!(close(a.target_value, 50.0));
    let cr_a = (45.0f64 / 40.0).powf(0.25) - 1.0; // ≈ 0.02988
    let cr_r = (50.0f64 / 40.0).powf(0.1) - 1.0; // ≈ 0.02257
    assert!(close(a.progress_ratio, cr_a / cr_r)); // ≈ 1.32
    assert_eq!(a.status, Status::OnTrack);
    // Projection 45 + 1.25·6 = 52.5: |52.5 − 50| > 1 → projected overshoot is a miss.
    assert_eq!(a.warnings, vec![Warning::ProjectedMiss { projected: 52.5, target: 50.0, target_year: 2030 }]);
    // From above toward 50: 60 → 55.
    let b = run(&pts(&[(2020, 60.0), (2024, 55.0)]), goal, 2030);
    let cr_a = (55.0f64 / 60.0).powf(0.25) - 1.0;
    let cr_r = (50.0f64 / 60.0).powf(0.1) - 1.0;
    assert!(close(b.progress_ratio, cr_a / cr_r));
    // Within tolerance → achieved.
    let c = run(&pts(&[(2020, 40.0), (2024, 50.5)]), goal, 2030);
    assert_eq!(c.status, Status::Achieved);
    // Baseline exactly at target, then moving away → deterioration (ratio undefined).
    let d = run(&pts(&[(2020, 50.0), (2024, 53.0)]), goal, 2030);
    assert_eq!(d.progress_ratio, None);
    assert_eq!(d.status, Status::Deterioration);
}

// ---- ratio undefined ----------------------------------------------

#[test]
fn baseline_equal_to_target_then_away() {
    // AtLeast(50): baseline 50 (met), latest 48 → moved away → deterioration.
    let a = run(&pts(&[(2020, 50.0), (2024, 48.0)]), Goal::AtLeast(50.0), 2030);
    assert_eq!(a.progress_ratio, None);
    assert_eq!(a.status, Status::Deterioration);
    // Baseline 95 above 90 then 85: naive CAGR ratio would be positive; must be deterioration.
    let b = run(&pts(&[(2020, 95.0), (2024, 85.0)]), Goal::AtLeast(90.0), 2030);
    assert_eq!(b.progress_ratio, None);
    assert_eq!(b.status, Status::Deterioration);
    assert!(codes(&b).contains(&"regressed_after_meeting"));
}

#[test]
fn target_year_not_after_baseline() {
    let s = pts(&[(2020, 50.0), (2024, 60.0)]);
    // T = 2020 = t0: ratio None; 50 → 60 toward 90 → limited progress.
    let a = run(&s, Goal::AtLeast(90.0), 2020);
    assert_eq!(a.progress_ratio, None);
    assert_eq!(a.required_rate, None);
    assert_eq!(a.status, Status::LimitedProgress);
    // moving away → deterioration
    let b = run(&pts(&[(2020, 60.0), (2024, 50.0)]), Goal::AtLeast(90.0), 2019);
    assert_eq!(b.progress_ratio, None);
    assert_eq!(b.status, Status::Deterioration);
}

// ---- baseline selection -------------------------------------------

#[test]
fn explicit_baseline_year() {
    let s = pts(&[(2015, 30.0), (2018, 40.0), (2020, 50.0), (2024, 60.0)]);
    let a = assess(&s, Goal::AtLeast(70.0), 2030, Some(2020), 2024, &Params::default());
    assert_eq!(a.baseline_year, Some(2020));
    let cr_a = (60.0f64 / 50.0).powf(0.25) - 1.0;
    let cr_r = (70.0f64 / 50.0).powf(0.1) - 1.0;
    assert!(close(a.progress_ratio, cr_a / cr_r));
    // Projection uses only 2020 and 2024: 60 + 2.5·6 = 75.
    assert!(close(a.projected_value, 75.0));
    // Baseline year absent → first point.
    let b = assess(&s, Goal::AtLeast(70.0), 2030, Some(2019), 2024, &Params::default());
    assert_eq!(b.baseline_year, Some(2015));
    assert_eq!(b.baseline_value, Some(30.0));
}

// ---- warnings -----------------------------------------------------

#[test]
fn fluctuation_flagged() {
    // Changes −12, +12, −12, +12: 3 reversals; median |d| = 12.
    // Theil–Sen: pair slopes −12,−12,−4,0,0,0,0,6,12,12 → median 0.
    // 12 > 2·0 and 12 > 0.1·median(36,24,36,24,36 → 36) = 3.6 → flagged.
    let s = pts(&[(2016, 36.0), (2017, 24.0), (2018, 36.0), (2019, 24.0), (2020, 36.0)]);
    assert!(close(theil_sen(&s), 0.0));
    let a = run(&s, Goal::AtLeast(40.0), 2030);
    assert!(a.warnings.contains(&Warning::Fluctuating { median_change: 12.0, trend: 0.0 }));
    assert_eq!(detect_fluctuation(&s, &Params::default()), Some(Warning::Fluctuating { median_change: 12.0, trend: 0.0 }));
}

#[test]
fn smooth_series_not_fluctuating() {
    // Changes all +1: no reversals.
    let s = pts(&[(2016, 10.0), (2017, 11.0), (2018, 12.0), (2019, 13.0), (2020, 14.0)]);
    let a = run(&s, Goal::AtLeast(40.0), 2030);
    assert!(!codes(&a).contains(&"fluctuating"));
    assert_eq!(detect_fluctuation(&s, &Params::default()), None);
    // Too few points (3) even if alternating.
    assert_eq!(detect_fluctuation(&pts(&[(2016, 36.0), (2017, 24.0), (2018, 36.0)]), &Params::default()), None);
}

#[test]
fn small_wiggles_not_fluctuating() {
    // 100, 100.5, 100, 100.5: reversals 2, median |d| 0.5 ≤ 0.1·median|x| (≈ 10) → not flagged.
    let s = pts(&[(2016, 100.0), (2017, 100.5), (2018, 100.0), (2019, 100.5)]);
    assert_eq!(detect_fluctuation(&s, &Params::default()), None);
}

#[test]
fn regressed_after_meeting() {
    // AtMost(8): met in 2020 (7.5) and 2022 (7.9), not in 2024 (8.5) → met_in 2022.
    let s = pts(&[(2018, 9.0), (2020, 7.5), (2022, 7.9), (2024, 8.5)]);
    let a = run(&s, Goal::AtMost(8.0), 2030);
    assert!(a.warnings.contains(&Warning::RegressedAfterMeeting { met_in: 2022 }));
    // Latest meets → no regression warning.
    let b = run(&pts(&[(2018, 9.0), (2020, 7.5), (2024, 7.8)]), Goal::AtMost(8.0), 2030);
    assert!(!codes(&b).contains(&"regressed_after_meeting"));
}

#[test]
fn latest_missing() {
    let s = pts(&[(2020, 50.0), (2022, 60.0)]);
    let a = assess(&s, Goal::AtLeast(55.0), 2030, None, 2024, &Params::default());
    assert_eq!(a.status, Status::Achieved);
    assert_eq!(a.warnings, vec![Warning::LatestMissing { latest_year: 2022, expected_year: 2024 }]);
    let b = assess(&s, Goal::AtLeast(55.0), 2030, None, 2022, &Params::default());
    assert!(b.warnings.is_empty());
}

#[test]
fn not_distinguishable() {
    let mut s = pts(&[(2020, 10.0), (2024, 7.9)]);
    s[1].ci_low = Some(7.5);
    s[1].ci_high = Some(8.3);
    let a = run(&s, Goal::AtMost(8.0), 2030);
    assert_eq!(a.status, Status::Achieved);
    assert_eq!(a.warnings, vec![Warning::NotDistinguishable]);
    // CI clear of the target → no warning.
    s[1].ci_high = Some(7.95);
    assert!(run(&s, Goal::AtMost(8.0), 2030).warnings.is_empty());
    // CI without a high bound → no warning.
    s[1].ci_high = None;
    assert!(run(&s, Goal::AtMost(8.0), 2030).warnings.is_empty());
    // Range: CI [106, 108] contains the upper bound 107.
    let mut r = pts(&[(2020, 110.0), (2024, 106.5)]);
    r[1].ci_low = Some(106.0);
    r[1].ci_high = Some(108.0);
    assert!(run(&r, SRB, 2030).warnings.contains(&Warning::NotDistinguishable));
    // About 50±1: CI [50.5, 51.5] contains the edge 51.
    let mut b = pts(&[(2020, 40.0), (2024, 50.8)]);
    b[1].ci_low = Some(50.5);
    b[1].ci_high = Some(51.5);
    assert!(run(&b, Goal::About { value: 50.0, tolerance: 1.0 }, 2024).warnings.contains(&Warning::NotDistinguishable));
}

#[test]
fn warning_order() {
    // AtMost(8): 2016:7 (met) then up and down: 12, 9, 13, 10 — not met, worse than
    // baseline (7 met → distance grows) → deterioration; latest 2022 < 2024; CI contains 8.
    let mut s = pts(&[(2016, 7.0), (2017, 12.0), (2018, 9.0), (2019, 13.0), (2022, 10.0)]);
    s[4].ci_low = Some(6.0);
    s[4].ci_high = Some(14.0);
    let a = assess(&s, Goal::AtMost(8.0), 2030, None, 2024, &Params::default());
    assert_eq!(a.status, Status::Deterioration);
    assert_eq!(codes(&a), vec!["projected_miss", "deteriorating", "fluctuating", "regressed_after_meeting", "latest_missing", "not_distinguishable"]);
}

// ---- input cleaning -----------------------------------------------

#[test]
fn unsorted_input_same_as_sorted() {
    let sorted = pts(&[(2020, 10.0), (2021, 12.0), (2022, 13.0)]);
    let shuffled = pts(&[(2022, 13.0), (2020, 10.0), (2021, 12.0)]);
    let a = run(&sorted, Goal::AtLeast(30.0), 2030);
    let b = run(&shuffled, Goal::AtLeast(30.0), 2030);
    assert_eq!(a, b);
    assert_eq!(b.baseline_year, Some(2020));
    assert_eq!(b.latest_value, Some(13.0));
    assert!(close(b.projected_value, 24.3)); // the hand-computed example above
}

#[test]
fn nan_points_ignored() {
    let s = pts(&[(2020, 50.0), (2024, 60.0), (2025, f64::NAN), (2019, f64::INFINITY)]);
    let a = assess(&s, Goal::AtLeast(70.0), 2030, None, 2024, &Params::default());
    assert_eq!(a.baseline_year, Some(2020));
    assert_eq!(a.latest_year, Some(2024));
    assert_eq!(a.status, Status::OnTrack);
    assert!(a.warnings.is_empty());
    // All NaN → empty.
    let b = run(&pts(&[(2020, f64::NAN)]), Goal::AtLeast(70.0), 2030);
    assert_eq!(b.status, Status::InsufficientData);
    assert_eq!(b.latest_year, None);
}

#[test]
fn duplicate_year_keeps_last_given() {
    let s = pts(&[(2020, 50.0), (2024, 1.0), (2024, 60.0)]);
    let c = clean_series(&s);
    assert_eq!(c.len(), 2);
    assert_eq!(c[1].value, 60.0);
}

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

// ---- direction-only targets: Theil–Sen and Mann–Kendall --------------

/// Against scipy 1.17: `theilslopes(y, years)` (slope, intercept) and
/// `kendalltau(years, y)` (exact p without ties, asymptotic with ties), computed
/// in Python apart from this code.
#[test]
fn theil_sen_and_mann_kendall_match_scipy() {
    #[rustfmt::skip]
    let cases: [(&[f64], f64, f64, f64); 5] = [
        (&[10.0, 12.0, 11.0, 14.0, 15.0], 1.125, -2262.75, 0.08333333333333333),
        (&[3.2, 3.1, 3.5, 3.0, 3.3], -0.012500000000000067, 28.475000000000133, 1.0),
        (&[50.0, 48.0, 45.0, 46.0, 40.0, 38.0], -2.5, 5101.75, 0.016666666666666666),
        (&[1.0, 2.0, 3.0, 4.0, 5.0], 1.0, -2019.0, 0.016666666666666666),
        (&[5.0, 5.0, 6.0, 7.0, 7.0, 8.0], 0.6666666666666666, -1341.8333333333333, 0.011298703452940774),
    ];
    for (y, slope, intercept, p) in cases {
        let series: Vec<Point> = y.iter().enumerate().map(|(i, &v)| pt(2020 + i as i32, v)).collect();
        let t = trend(&series).unwrap();
        assert!((t.slope - slope).abs() < 1e-9, "{y:?}: slope {} vs {slope}", t.slope);
        assert!((t.intercept - intercept).abs() < 1e-6, "{y:?}: intercept {} vs {intercept}", t.intercept);
        assert!((t.p_value - p).abs() < 1e-9, "{y:?}: p {} vs {p}", t.p_value);
    }
    assert_eq!(trend(&pts(&[(2020, 1.0), (2021, 2.0)])), None);
}

#[test]
fn trend_classes_and_their_statuses() {
    let up = trend(&pts(&[(2020, 1.0), (2021, 2.0), (2022, 3.0), (2023, 4.0), (2024, 5.0)]));
    let flat = trend(&pts(&[(2020, 3.2), (2021, 3.1), (2022, 3.5), (2023, 3.0), (2024, 3.3)]));
    // p = 0.0167 < 0.1: a rise is an improvement where higher is better, a deterioration where lower is.
    assert_eq!(classify_trend(up.as_ref(), true, 0.1, 4), TrendClass::Improving);
    assert_eq!(classify_trend(up.as_ref(), false, 0.1, 4), TrendClass::Deteriorating);
    assert_eq!(classify_trend(flat.as_ref(), true, 0.1, 4), TrendClass::NoClearChange);
    // p = 0.083 for one reversal in five years: clear at 0.1, not at 0.05.
    let mostly = trend(&pts(&[(2020, 10.0), (2021, 12.0), (2022, 11.0), (2023, 14.0), (2024, 15.0)]));
    assert_eq!(classify_trend(mostly.as_ref(), true, 0.1, 4), TrendClass::Improving);
    assert_eq!(classify_trend(mostly.as_ref(), true, 0.05, 4), TrendClass::NoClearChange);
    let short = trend(&pts(&[(2022, 1.0), (2023, 2.0), (2024, 3.0)]));
    assert_eq!(classify_trend(short.as_ref(), true, 0.1, 4), TrendClass::InsufficientData);
    assert_eq!(TrendClass::Improving.status(false), Status::OnTrack);
    assert_eq!(TrendClass::NoClearChange.status(false), Status::LimitedProgress);
    assert_eq!(TrendClass::Deteriorating.status(false), Status::Deterioration);
    assert_eq!(TrendClass::InsufficientData.status(false), Status::InsufficientData);
    assert_eq!(TrendClass::NoClearChange.status(true), Status::OnTrack);
    assert_eq!(TrendClass::Improving.status(true), Status::LimitedProgress);
}
