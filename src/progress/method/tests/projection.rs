//! The median, AARR, Theil–Sen and the time-weighted projection, by hand.

use super::*;

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
