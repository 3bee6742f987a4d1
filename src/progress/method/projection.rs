//! The time-weighted projection, the Theil–Sen slope and the annual rate of
//! reduction (AARR).

use super::{median, Point};

/// Theil–Sen slope: median over all pairs with distinct years of
/// `(x_j − x_i)/(year_j − year_i)`. Non-finite values are ignored; order of
/// the input does not matter. `None` when there is no such pair.
pub fn theil_sen(points: &[Point]) -> Option<f64> {
    let pts: Vec<&Point> = points.iter().filter(|p| p.value.is_finite()).collect();
    let mut slopes = Vec::new();
    for i in 0..pts.len() {
        for j in (i + 1)..pts.len() {
            let dt = pts[j].year - pts[i].year;
            if dt != 0 {
                slopes.push((pts[j].value - pts[i].value) / dt as f64);
            }
        }
    }
    median(&mut slopes)
}

/// Time-weighted linear projection at `target_year` (see module docs): weighted
/// least squares of value on year with `w_i = 1 + (year_i − first_year)`.
/// Non-finite values are ignored. One distinct year → the weighted mean of
/// its values; no points → `None`.
pub fn weighted_projection(points: &[Point], target_year: i32) -> Option<f64> {
    let pts: Vec<&Point> = points.iter().filter(|p| p.value.is_finite()).collect();
    let first = pts.iter().map(|p| p.year).min()?;
    // Years are centred on the first year (u = year − first) to keep the sums small.
    let mut sw = 0.0;
    let mut swu = 0.0;
    let mut swy = 0.0;
    for p in &pts {
        let u = (p.year - first) as f64;
        let w = 1.0 + u;
        sw += w;
        swu += w * u;
        swy += w * p.value;
    }
    let u_bar = swu / sw;
    let y_bar = swy / sw;
    let mut sxx = 0.0;
    let mut sxy = 0.0;
    for p in &pts {
        let u = (p.year - first) as f64;
        let w = 1.0 + u;
        sxx += w * (u - u_bar) * (u - u_bar);
        sxy += w * (u - u_bar) * (p.value - y_bar);
    }
    if sxx <= 0.0 {
        return Some(y_bar);
    }
    let b = sxy / sxx;
    let a = y_bar - b * u_bar;
    let proj = a + b * (target_year - first) as f64;
    if proj.is_finite() {
        Some(proj)
    } else {
        None
    }
}

/// Annual rate of reduction `ln(x0/x1)/(t1 − t0)`; `None` unless both values
/// are finite and `> 0` and `t1 > t0`.
pub fn aarr(x0: f64, t0: i32, x1: f64, t1: i32) -> Option<f64> {
    if !(x0.is_finite() && x1.is_finite()) || x0 <= 0.0 || x1 <= 0.0 || t1 <= t0 {
        return None;
    }
    Some((x0 / x1).ln() / (t1 - t0) as f64)
}
