//! Confidence intervals for rates computed from small counts.


/// Exact (Garwood) 95% interval for a Poisson count `x`: (lower, upper) counts,
/// the α/2 quantile of Gamma(x) and the 1 − α/2 quantile of Gamma(x + 1)
/// (half the chi-squared quantiles on 2x and 2x + 2 degrees of freedom).
pub fn poisson_exact(x: f64, level: f64) -> Option<(f64, f64)> {
    let valid = x >= 0.0 && x.is_finite() && level > 0.0 && level < 1.0;
    if !valid {
        return None;
    }
    let alpha = 1.0 - level;
    let lower = if x == 0.0 { 0.0 } else { gamma_quantile(x, alpha / 2.0)? };
    let upper = gamma_quantile(x + 1.0, 1.0 - alpha / 2.0)?;
    Some((lower, upper))
}

/// The `p` quantile of the Gamma distribution of shape `a` (rate 1): the `t` with
/// P(a, t) = p, P the regularised lower incomplete gamma function.
///
/// Newton's method from the Wilson–Hilferty approximation, kept inside a bracket
/// of the root (a bisection step when a Newton step would leave it). It takes 3–5
/// evaluations of P where statrs' general inverse takes 20–30 (it brackets the
/// root by doubling from 1) and stops within about 1e-10 of the root, where this
/// goes on to double precision (see the tests: for shape 1 the quantile is
/// −ln(1 − p)). Should it not converge, statrs' inverse is used.
fn gamma_quantile(a: f64, p: f64) -> Option<f64> {
    use statrs::function::gamma::{gamma_lr, ln_gamma};
    if !(a > 0.0 && a.is_finite() && p > 0.0 && p < 1.0) {
        return None;
    }
    let z = std::f64::consts::SQRT_2 * statrs::function::erf::erf_inv(2.0 * p - 1.0);
    let c = 1.0 / (9.0 * a);
    let wilson_hilferty = a * (1.0 - c + z * c.sqrt()).powi(3);
    // Near zero (small shapes, small p) P(a, t) ≈ t^a / Γ(a + 1).
    let near_zero = (p.ln() + ln_gamma(a + 1.0)) / a;
    let mut t = if a >= 1.0 && wilson_hilferty > 0.0 { wilson_hilferty } else { near_zero.exp() };
    let ln_gamma_a = ln_gamma(a);
    let (mut low, mut high) = (0.0_f64, f64::INFINITY);
    for _ in 0..100 {
        let f = gamma_lr(a, t) - p;
        if f == 0.0 {
            return Some(t);
        }
        if f < 0.0 {
            low = t;
        } else {
            high = t;
        }
        let density = ((a - 1.0) * t.ln() - t - ln_gamma_a).exp();
        let mut next = t - f / density;
        if !next.is_finite() || next <= low || next >= high {
            next = if high.is_finite() { 0.5 * (low + high) } else { 2.0 * t.max(low) + 1.0 };
        }
        if (next - t).abs() <= 4.0 * f64::EPSILON * next {
            return Some(next);
        }
        t = next;
    }
    use statrs::distribution::{ContinuousCDF, Gamma};
    Some(Gamma::new(a, 1.0).ok()?.inverse_cdf(p))
}

/// [`poisson_exact`], remembered for the whole run (all threads, all parts): the
/// same counts recur across areas, years, pooled windows and the parts of a split
/// run, and each limit costs two inverse chi-squared CDFs. The function is pure,
/// so a remembered limit is bit for bit the computed one.
pub fn poisson_exact_cached(x: f64, level: f64) -> Option<(f64, f64)> {
    use std::sync::{OnceLock, RwLock};
    /// (count, level) as bits -> limits.
    type Seen = rustc_hash::FxHashMap<(u64, u64), Option<(f64, f64)>>;
    static SEEN: OnceLock<RwLock<Seen>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| RwLock::new(Seen::default()));
    let key = (x.to_bits(), level.to_bits());
    // A poisoned lock only means another thread panicked mid-insert of a pure value.
    if let Some(&hit) = seen.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return hit;
    }
    // Computed outside the lock: two threads may both compute a new count, with the same result.
    let limits = poisson_exact(x, level);
    seen.write().unwrap_or_else(|e| e.into_inner()).insert(key, limits);
    limits
}

/// Wilson score 95% interval for a proportion x/n: (lower, upper) as proportions.
pub fn wilson(x: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if !(n > 0.0) || x < 0.0 || x > n {
        return None;
    }
    let p = x / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_poisson_limits_are_the_computed_ones() {
        for x in [0.0, 1.0, 7.0, 19.0, 7.0, 250.5, 0.0, f64::NAN, -1.0] {
            let (a, b) = (poisson_exact_cached(x, 0.95), poisson_exact(x, 0.95));
            assert_eq!(a.map(|(l, h)| (l.to_bits(), h.to_bits())), b.map(|(l, h)| (l.to_bits(), h.to_bits())), "x = {x}");
        }
        // Another level is another entry, not the 95% one.
        assert_ne!(poisson_exact_cached(7.0, 0.90), poisson_exact_cached(7.0, 0.95));
    }

    #[test]
    fn gamma_quantiles_agree_with_statrs_chi_squared() {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        // The counts of a county's returns (0 to a few hundred thousand), pooled sums
        // that are not whole, and both tails of 95% and 90% intervals.
        let mut shapes: Vec<f64> = (1..=300).map(f64::from).collect();
        shapes.extend([0.5, 1.5, 2.25, 250.5, 999.0, 1234.0, 5e3, 12_345.0, 1e5, 314_159.0, 2e6]);
        for &a in &shapes {
            for p in [0.025, 0.975, 0.05, 0.95] {
                let ours = gamma_quantile(a, p).unwrap();
                let theirs = ChiSquared::new(2.0 * a).unwrap().inverse_cdf(p) / 2.0;
                assert!((ours - theirs).abs() <= 1e-9 * theirs, "a={a} p={p}: {ours} vs {theirs}");
                // And it solves P(a, t) = p as closely as P can be computed.
                // It solves P(a, t) = p as closely as P is computed (for large shapes P
                // itself is only good to about 1e-10, for statrs' quantiles as for these).
                if a <= 300.0 {
                    assert!((statrs::function::gamma::gamma_lr(a, ours) - p).abs() < 1e-13, "a={a} p={p}");
                }
            }
        }
        // Shape 1 is the exponential distribution: the quantile is −ln(1 − p).
        for p in [0.025_f64, 0.05, 0.5, 0.95, 0.975] {
            let exact = -(-p).ln_1p();
            let ours = gamma_quantile(1.0, p).unwrap();
            assert!((ours - exact).abs() <= 4.0 * f64::EPSILON * exact, "p={p}: {ours} vs {exact}");
        }
        assert_eq!(gamma_quantile(0.0, 0.5), None);
        assert_eq!(gamma_quantile(3.0, 1.0), None);
    }

    #[test]
    fn poisson_matches_published_table() {
        // Exact Poisson limits (e.g. Ulm 1990 / standard tables): x=0 -> (0, 3.689); x=1 -> (0.0253, 5.572);
        // x=5 -> (1.623, 11.668); x=10 -> (4.795, 18.390).
        let cases = [(0.0, 0.0, 3.689), (1.0, 0.0253, 5.572), (5.0, 1.623, 11.668), (10.0, 4.795, 18.390)];
        for (x, lo, hi) in cases {
            let (l, h) = poisson_exact(x, 0.95).unwrap();
            assert!((l - lo).abs() < 2e-3, "x={x} lower {l} vs {lo}");
            assert!((h - hi).abs() < 2e-3, "x={x} upper {h} vs {hi}");
        }
    }

    #[test]
    fn wilson_matches_hand_computation() {
        // x=8, n=10: p=0.8, z²=3.8415; centre=(0.8+0.19207)/1.38415=0.71674;
        // half=1.96*sqrt(0.016+0.0096037)/1.38415=0.22656 -> (0.4902, 0.9433)
        let (l, h) = wilson(8.0, 10.0, Z95).unwrap();
        assert!((l - 0.4902).abs() < 1e-3 && (h - 0.9433).abs() < 1e-3, "{l} {h}");
        assert_eq!(wilson(11.0, 10.0, Z95), None);
    }
}
