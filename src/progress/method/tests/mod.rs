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

mod assessment;
mod goal;
mod projection;
mod trend;
mod windows;
