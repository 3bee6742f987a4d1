//! Goals: whether a value meets one, a relative goal.

use super::*;

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
