//! The assessment: parameters, statuses, warnings, every status by direction
//! and target kind, the ratio when undefined, the baseline, input cleaning.

use super::*;

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
