//! Direction-only targets: Theil–Sen and Mann–Kendall.

use super::*;

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
