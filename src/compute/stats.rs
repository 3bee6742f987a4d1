//! Confidence intervals for rates computed from small counts.

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Exact (Garwood) 95% interval for a Poisson count `x`: (lower, upper) counts.
pub fn poisson_exact(x: f64, level: f64) -> Option<(f64, f64)> {
    if !(x >= 0.0) || !x.is_finite() {
        return None;
    }
    let alpha = 1.0 - level;
    let lower = if x == 0.0 { 0.0 } else { ChiSquared::new(2.0 * x).ok()?.inverse_cdf(alpha / 2.0) / 2.0 };
    let upper = ChiSquared::new(2.0 * (x + 1.0)).ok()?.inverse_cdf(1.0 - alpha / 2.0) / 2.0;
    Some((lower, upper))
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
