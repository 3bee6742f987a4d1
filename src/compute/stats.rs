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
/// −ln(1 − p)). Should it not converge, statrs' inverse is used. P is
/// [`gamma_p`].
fn gamma_quantile(a: f64, p: f64) -> Option<f64> {
    use statrs::function::gamma::ln_gamma;
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
        let f = gamma_p(a, t) - p;
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

/// P(a, t), the regularised lower incomplete gamma function (the Gamma(a)
/// distribution function at t).
///
/// For large shapes near the mean it is R's `pgamma` method there: the
/// asymptotic expansion of the Poisson distribution function (`ppois_asymp` in
/// R's nmath/pgamma.c, after Ian Smith), a fixed number of terms. Elsewhere it
/// is statrs' series or continued fraction, which for a shape of a county's or
/// a province's counts sums thousands of terms per evaluation (about √(2a ln 10¹⁵)).
/// The region is R's: t ≥ 1, neither t ≤ a − 1 with t < 0.8(a + 50) nor
/// t > a − 1 with a < 0.8(t + 50), which only happens for shapes above about 196.
pub fn gamma_p(a: f64, t: f64) -> f64 {
    let below = t <= a - 1.0 && t < 0.8 * (a + 50.0);
    let above = a - 1.0 < t && a < 0.8 * (t + 50.0);
    if t >= 1.0 && !below && !above && a.is_finite() && t.is_finite() {
        // P(Gamma(a) <= t) = P(Poisson(t) >= a) = 1 - P(Poisson(t) <= a - 1).
        poisson_upper_asymptotic(a - 1.0, t)
    } else {
        statrs::function::gamma::gamma_lr(a, t)
    }
}

/// P(Poisson(λ) > x) by R's `ppois_asymp(x, λ, lower_tail = FALSE)`, for large x near λ.
fn poisson_upper_asymptotic(x: f64, lambda: f64) -> f64 {
    const A: [f64; 7] = [2.0 / 3.0, -4.0 / 135.0, 8.0 / 2835.0, 16.0 / 8505.0, -8992.0 / 12629925.0, -334144.0 / 492567075.0, 698752.0 / 1477701225.0];
    const B: [f64; 7] =
        [1.0 / 12.0, 1.0 / 288.0, -139.0 / 51840.0, -571.0 / 2488320.0, 163879.0 / 209018880.0, 5246819.0 / 75246796800.0, -534703531.0 / 902961561600.0];
    let dfm = lambda - x;
    let pt = -log1pmx(dfm / x);
    let s2pt = if dfm < 0.0 { -(2.0 * x * pt).sqrt() } else { (2.0 * x * pt).sqrt() };
    let mut res12 = 0.0;
    let (mut res1_term, mut res2_term) = (x.sqrt(), s2pt);
    let (mut res1_ig, mut res2_ig) = (res1_term, res2_term);
    for i in 1..8 {
        res12 += res1_ig * A[i - 1];
        res12 += res2_ig * B[i - 1];
        res1_term *= pt / i as f64;
        res2_term *= 2.0 * pt / (2 * i + 1) as f64;
        res1_ig = res1_ig / x + res1_term;
        res2_ig = res2_ig / x + res2_term;
    }
    let mut elfb = x;
    let mut elfb_term = 1.0;
    for b in B {
        elfb += elfb_term * b;
        elfb_term /= x;
    }
    // The upper tail: the correction's sign turns, and the normal's lower tail is taken.
    let f = res12 / -elfb;
    // libm's erfc (musl's, within an ulp or two): statrs' is off by about 1e-11 near ±1.
    let normal_lower = 0.5 * libm::erfc(-s2pt / std::f64::consts::SQRT_2);
    let density = (-0.5 * s2pt * s2pt).exp() / (2.0 * std::f64::consts::PI).sqrt();
    normal_lower + f * density
}

/// ln(1 + x) − x, accurate also for small x (R's `log1pmx`).
fn log1pmx(x: f64) -> f64 {
    const MIN_LOG1_VALUE: f64 = -0.79149064;
    if !(MIN_LOG1_VALUE..=1.0).contains(&x) {
        return x.ln_1p() - x;
    }
    // ln(1 + x) − x = r (2 y S(y) − x), r = x / (2 + x), y = r², S(y) = Σ y^k / (2k + 3).
    let r = x / (2.0 + x);
    let y = r * r;
    if x.abs() < 1e-2 {
        r * ((((2.0 / 9.0 * y + 2.0 / 7.0) * y + 2.0 / 5.0) * y + 2.0 / 3.0) * y - x)
    } else {
        r * (2.0 * y * logcf(y, 3.0, 2.0, 1e-14) - x)
    }
}

/// Σ_k x^k / (i + k d) by its continued fraction (R's `logcf`), for 0 ≤ x < 1.
fn logcf(x: f64, i: f64, d: f64, eps: f64) -> f64 {
    const SCALE: f64 = 1.157_920_892_373_162e77; // 2^256
    let mut c1 = 2.0 * d;
    let mut c2 = i + d;
    let mut c4 = c2 + d;
    let mut a1 = c2;
    let mut b1 = i * (c2 - i * x);
    let mut b2 = d * d * x;
    let mut a2 = c4 * c2 - b2;
    b2 = c4 * b1 - i * b2;
    // Bounded: for y < 0.2 (all log1pmx passes) it converges in a few dozen rounds.
    for _ in 0..10_000 {
        if (a2 * b1 - a1 * b2).abs() <= (eps * b1 * b2).abs() {
            break;
        }
        let c3 = c2 * c2 * x;
        c2 += d;
        c4 += d;
        a1 = c4 * a2 - c3 * a1;
        b1 = c4 * b2 - c3 * b1;
        let c3 = c1 * c1 * x;
        c1 += d;
        c4 += d;
        a2 = c4 * a1 - c3 * a2;
        b2 = c4 * b1 - c3 * b2;
        if b2.abs() > SCALE {
            a1 /= SCALE;
            b1 /= SCALE;
            a2 /= SCALE;
            b2 /= SCALE;
        } else if b2.abs() < 1.0 / SCALE {
            a1 *= SCALE;
            b1 *= SCALE;
            a2 *= SCALE;
            b2 *= SCALE;
        }
    }
    a2 / b2
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
    // A NaN count is refused too.
    if n.is_nan() || n <= 0.0 || x < 0.0 || x > n {
        return None;
    }
    let p = x / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Newcombe's hybrid score interval (his method 10, 1998) for the difference of
/// two independent proportions x1/n1 − x2/n2: each proportion's Wilson score
/// interval (l, u), then
/// L = d − √((p1 − l1)² + (u2 − p2)²), U = d + √((u1 − p1)² + (p2 − l2)²).
/// The same square-and-add of the two single intervals' distances (MOVER) is
/// used with exact Poisson limits for a difference of rates, [`mover_difference`].
pub fn newcombe_difference(x1: f64, n1: f64, x2: f64, n2: f64, z: f64) -> Option<(f64, f64)> {
    let (l1, u1) = wilson(x1, n1, z)?;
    let (l2, u2) = wilson(x2, n2, z)?;
    Some(mover_difference((x1 / n1, l1, u1), (x2 / n2, l2, u2)))
}

/// The MOVER interval (method of variance estimates recovery; Newcombe 1998,
/// Zou & Donner 2008) for a difference θ1 − θ2 of two independent estimates,
/// from each estimate and its own interval: (estimate, lower, upper).
pub fn mover_difference((t1, l1, u1): (f64, f64, f64), (t2, l2, u2): (f64, f64, f64)) -> (f64, f64) {
    let d = t1 - t2;
    (d - ((t1 - l1).powi(2) + (u2 - t2).powi(2)).sqrt(), d + ((u1 - t1).powi(2) + (t2 - l2).powi(2)).sqrt())
}

/// The Katz log interval for a ratio of two independent proportions
/// (x1/n1) / (x2/n2): exp(ln RR ± z √(1/x1 − 1/n1 + 1/x2 − 1/n2)) (Katz et al.
/// 1978; scipy's `relative_risk(...).confidence_interval()`). None when a count
/// is zero (the log ratio is not finite) or a proportion is not one.
pub fn katz_ratio(x1: f64, n1: f64, x2: f64, n2: f64, z: f64) -> Option<(f64, f64)> {
    let ok = |x: f64, n: f64| x > 0.0 && n > 0.0 && x <= n && x.is_finite() && n.is_finite();
    if !(ok(x1, n1) && ok(x2, n2)) {
        return None;
    }
    let rr = (x1 / n1) / (x2 / n2);
    let se = (1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2).max(0.0).sqrt();
    Some((rr * (-z * se).exp(), rr * (z * se).exp()))
}

/// The log (Wald) interval for a ratio of two Poisson rates (x1/t1) / (x2/t2):
/// exp(ln IRR ± z √(1/x1 + 1/x2)) (Rothman & Greenland, Modern Epidemiology,
/// ch. 14; statsmodels' `confint_poisson_2indep(method="wald-log")`). None when
/// a count is zero.
pub fn poisson_ratio(x1: f64, t1: f64, x2: f64, t2: f64, z: f64) -> Option<(f64, f64)> {
    let ok = |x: f64, t: f64| x > 0.0 && t > 0.0 && x.is_finite() && t.is_finite();
    if !(ok(x1, t1) && ok(x2, t2)) {
        return None;
    }
    let irr = (x1 / t1) / (x2 / t2);
    let se = (1.0 / x1 + 1.0 / x2).sqrt();
    Some((irr * (-z * se).exp(), irr * (z * se).exp()))
}

/// The MOVER interval for a difference of two Poisson rates x1/t1 − x2/t2 from
/// each rate's exact (Garwood) 95% limits ([`poisson_exact`]).
pub fn poisson_difference(x1: f64, t1: f64, x2: f64, t2: f64) -> Option<(f64, f64)> {
    if !(t1 > 0.0 && t2 > 0.0) {
        return None;
    }
    let (a1, b1) = poisson_exact_cached(x1, 0.95)?;
    let (a2, b2) = poisson_exact_cached(x2, 0.95)?;
    Some(mover_difference((x1 / t1, a1 / t1, b1 / t1), (x2 / t2, a2 / t2, b2 / t2)))
}

/// A ratio of two counts a/b (the sex ratio at birth M/F, a parity index F/M of
/// members) with the interval from the binomial proportion p = a/(a + b): its
/// Wilson interval (l, u) mapped by p/(1 − p), so the interval does not treat
/// the denominator's count as fixed. None when b is 0 or a count is negative.
pub fn count_ratio(a: f64, b: f64, z: f64) -> Option<(f64, f64, f64)> {
    if !(a >= 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) {
        return None;
    }
    let (l, u) = wilson(a, a + b, z)?;
    let odds = |p: f64| if p >= 1.0 { f64::INFINITY } else { p / (1.0 - p) };
    Some((a / b, odds(l), odds(u)))
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
                // And it solves P(a, t) = p: for small shapes with statrs' P, for all with
                // the P it is computed from (accurate near the mean of large shapes, where
                // statrs' is only good to about 1e-9: see the test below). Newton stops
                // within a few ulps of t, which for t in the millions is a residual of
                // about 1e-13.
                if a <= 300.0 {
                    assert!((statrs::function::gamma::gamma_lr(a, ours) - p).abs() < 1e-13, "a={a} p={p}");
                }
                assert!((gamma_p(a, ours) - p).abs() < 1e-12, "a={a} p={p}");
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

    /// P(a, t) for large shapes near the mean, against the series summed in 40
    /// digits with mpmath (t^a e^−t / Γ(a + 1) · Σ t^n / ((a + 1)…(a + n))), at
    /// a + k√a for k = −3, −1.96, −1, 0, 1, 1.96, 3.
    #[test]
    fn incomplete_gamma_near_the_mean_of_large_shapes() {
        #[rustfmt::skip]
        let mpmath: [(f64, f64, f64); 49] = [
            (400.0, 340.0, 0.0008225638206676885),
            (400.0, 360.8, 0.022154896790543988),
            (400.0, 380.0, 0.15855070978429478),
            (400.0, 400.0, 0.5066491298389054),
            (400.0, 420.0, 0.8414421105999932),
            (400.0, 439.2, 0.9723134378366),
            (400.0, 460.0, 0.9980012822577893),
            (1000.0, 905.1316701949486, 0.0010012389950642836),
            (1000.0, 938.0193578606998, 0.023216947972092887),
            (1000.0, 968.3772233983162, 0.15861399679200125),
            (1000.0, 1000.0, 0.5042052441802155),
            (1000.0, 1031.6227766016839, 0.8413841884287209),
            (1000.0, 1061.9806421393002, 0.9732830466625574),
            (1000.0, 1094.8683298050514, 0.9982527544985349),
            (12345.0, 12011.675833459378, 0.0012455217866233661),
            (12345.0, 12127.22821119346, 0.024497184693178287),
            (12345.0, 12233.891944486459, 0.15865196609838253),
            (12345.0, 12345.0, 0.5011968602938193),
            (12345.0, 12456.108055513541, 0.8413479920837177),
            (12345.0, 12562.77178880654, 0.974506415405491),
            (12345.0, 12678.324166540622, 0.9985417771331657),
            (100000.0, 99051.31670194949, 0.0013127698795992457),
            (100000.0, 99380.193578607, 0.024822536961618777),
            (100000.0, 99683.77223398317, 0.1586548497379081),
            (100000.0, 100000.0, 0.5004205221103651),
            (100000.0, 100316.22776601683, 0.841345148448325),
            (100000.0, 100619.806421393, 0.9748273665822392),
            (100000.0, 100948.68329805051, 0.998612486319167),
            (314159.0, 312477.5033452308, 0.0013288904945296949),
            (314159.0, 313060.4221855508, 0.024899035870231623),
            (314159.0, 313598.50111507694, 0.15865512539881596),
            (314159.0, 314159.0, 0.5002372542855347),
            (314159.0, 314719.49888492306, 0.8413448742754557),
            (314159.0, 315257.5778144492, 0.9749034429019328),
            (314159.0, 315840.4966547692, 0.9986289392546335),
            (2000000.0, 1995757.3593128808, 0.0013415534538229808),
            (2000000.0, 1997228.1414177488, 0.024958737573966973),
            (2000000.0, 1998585.786437627, 0.15865523375708943),
            (2000000.0, 2000000.0, 0.5000940315975192),
            (2000000.0, 2001414.213562373, 0.8413447662226321),
            (2000000.0, 2002771.8585822512, 0.9749629782738687),
            (2000000.0, 2004242.6406871192, 0.9986417330154115),
            (3700000.5, 3694229.8843915923, 0.0013437606010779416),
            (3700000.5, 3696230.3644691734, 0.0249691089442722),
            (3700000.5, 3698076.961463864, 0.1586552430278331),
            (3700000.5, 3700000.5, 0.5000691334006755),
            (3700000.5, 3701924.038536136, 0.841344756964108),
            (3700000.5, 3703770.6355308266, 0.9749733354026281),
            (3700000.5, 3705771.1156084077, 0.9986439513620576),
        ];
        let mut worst = (0.0_f64, 0.0_f64);
        for (a, t, p) in mpmath {
            let (ours, statrs) = (gamma_p(a, t), statrs::function::gamma::gamma_lr(a, t));
            worst = (worst.0.max((ours - p).abs()), worst.1.max((statrs - p).abs()));
            assert!((ours - p).abs() <= 1e-15, "a={a} t={t}: {ours} vs {p} (statrs {statrs})");
        }
        // statrs' own series is off by up to about 1e-9 there (its sum of thousands of terms).
        assert!(worst.0 <= 1e-15 && worst.1 > 1e-10, "largest errors: ours {:e}, statrs {:e}", worst.0, worst.1);
        // The smallest shapes the region reaches (it begins near a = 196), against the same series.
        for (a, t, p) in [
            (200.0, 199.5, 0.495289847069487),
            (210.0, 209.0, 0.4816142996113937),
            (210.0, 212.0, 0.5637816013430977),
            (250.0, 245.0, 0.38314100329279793),
            (250.0, 258.0, 0.6990583896703861),
        ] {
            assert!((gamma_p(a, t) - p).abs() <= 1e-15, "a={a} t={t}: {} vs {p}", gamma_p(a, t));
        }
        // Outside the region it is statrs' value itself.
        for (a, t) in [(0.5, 0.3), (3.0, 2.0), (300.0, 200.0), (300.0, 400.0), (1e4, 5e3), (1e4, 2e4)] {
            assert_eq!(gamma_p(a, t).to_bits(), statrs::function::gamma::gamma_lr(a, t).to_bits(), "a={a} t={t}");
        }
    }

    #[test]
    fn log1pmx_is_log1p_minus_x() {
        // By series for small x: ln(1 + x) − x = −x²/2 + x³/3 − x⁴/4 + …
        for x in [1e-9_f64, -1e-9, 1e-3, -5e-3] {
            let series: f64 = (2..12).map(|k| -(-x).powi(k) / f64::from(k)).sum();
            assert!((log1pmx(x) - series).abs() <= 4.0 * f64::EPSILON * series.abs(), "x={x}: {} vs {series}", log1pmx(x));
        }
        // Elsewhere the direct difference is accurate enough to compare with.
        for x in [0.05_f64, -0.3, 0.9, -0.75, 2.0, -0.9] {
            let direct = x.ln_1p() - x;
            assert!((log1pmx(x) - direct).abs() <= 1e-14 * direct.abs(), "x={x}: {} vs {direct}", log1pmx(x));
        }
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

    /// Newcombe (1998, Statistics in Medicine 17: 873–890), Table II, method 10
    /// (the hybrid score interval), the eight examples as published (4 decimals).
    #[test]
    fn newcombe_hybrid_score_matches_newcombe_1998_table_ii() {
        let cases = [
            ((56.0, 70.0, 48.0, 80.0), (0.0524, 0.3339)),
            ((9.0, 10.0, 3.0, 10.0), (0.1705, 0.8090)),
            ((6.0, 7.0, 2.0, 7.0), (0.0582, 0.8062)),
            ((5.0, 56.0, 0.0, 29.0), (-0.0381, 0.1926)),
            ((0.0, 10.0, 0.0, 20.0), (-0.1611, 0.2775)),
            ((0.0, 10.0, 0.0, 10.0), (-0.2775, 0.2775)),
            ((10.0, 10.0, 0.0, 20.0), (0.6791, 1.0000)),
            ((10.0, 10.0, 0.0, 10.0), (0.6075, 1.0000)),
        ];
        for ((x1, n1, x2, n2), (lo, hi)) in cases {
            let (l, h) = newcombe_difference(x1, n1, x2, n2, Z95).unwrap();
            assert!((l - lo).abs() < 6e-5 && (h - hi).abs() < 6e-5, "{x1}/{n1} - {x2}/{n2}: ({l:.4}, {h:.4}) vs ({lo}, {hi})");
        }
        assert_eq!(newcombe_difference(3.0, 0.0, 1.0, 2.0, Z95), None);
    }

    /// The Katz log interval: scipy's documented example of `relative_risk(27, 122, 44, 487)`
    /// (RR 2.4495, 95% CI 1.5837 to 3.7887), worked by hand:
    /// se = √(1/27 − 1/122 + 1/44 − 1/487) = √0.0495142 = 0.222518, e^(1.96 se) = 1.54671.
    #[test]
    fn katz_ratio_matches_the_worked_example() {
        let (l, h) = katz_ratio(27.0, 122.0, 44.0, 487.0, Z95).unwrap();
        assert!((l - 1.5837).abs() < 1e-4 && (h - 3.7887).abs() < 1e-4, "({l}, {h})");
        assert_eq!(katz_ratio(0.0, 10.0, 3.0, 10.0, Z95), None, "a zero count has no log ratio");
        // x = n (100%): only 1/x2 − 1/n2 remains.
        let (l, h) = katz_ratio(10.0, 10.0, 5.0, 10.0, Z95).unwrap();
        let se: f64 = (0.2_f64 - 0.1).sqrt();
        assert!((l - 2.0 * (-Z95 * se).exp()).abs() < 1e-12 && (h - 2.0 * (Z95 * se).exp()).abs() < 1e-12);
    }

    /// Rate ratio, by hand: 41 events in 28,010 person-years against 15 in 19,017
    /// (Rothman's breast-cancer example): IRR = (41/28010)/(15/19017) = 1.85576,
    /// se = √(1/41 + 1/15) = 0.301756, limits 1.85576 · e^(∓1.959964 · 0.301756) = 1.02723, 3.35256.
    #[test]
    fn poisson_rate_ratio_by_hand() {
        let (l, h) = poisson_ratio(41.0, 28010.0, 15.0, 19017.0, Z95).unwrap();
        assert!((l - 1.02723).abs() < 5e-5 && (h - 3.35256).abs() < 5e-5, "({l}, {h})");
        assert_eq!(poisson_ratio(0.0, 100.0, 3.0, 100.0, Z95), None);
    }

    /// The MOVER difference of rates from the exact limits of each: 5 events in 1,000
    /// against 10 in 1,000 (exact limits 1.623395–11.668332 and 4.795389–18.390356):
    /// L = −0.005 − √(0.003377² + 0.008390²) = −0.014044, U = −0.005 + √(0.006668² + 0.005205²) = 0.003459.
    #[test]
    fn poisson_difference_by_mover() {
        let (l, h) = poisson_difference(5.0, 1000.0, 10.0, 1000.0).unwrap();
        assert!((l - -0.014044).abs() < 5e-6 && (h - 0.003459).abs() < 5e-6, "({l}, {h})");
    }

    /// A ratio of counts with its interval from the binomial proportion a/(a + b):
    /// 530 boys and 500 girls, p = 530/1030; the Wilson limits of p mapped by p/(1 − p).
    #[test]
    fn count_ratio_maps_the_wilson_limits_of_the_proportion() {
        let (r, l, h) = count_ratio(530.0, 500.0, Z95).unwrap();
        assert!((r - 1.06).abs() < 1e-12);
        // Wilson for 530/1030 by hand: p = 0.514563, z²/n = 0.0037295, centre = 0.514509,
        // half = 0.030465 -> (0.484044, 0.544974); odds p/(1 − p): 0.938148, 1.197679.
        assert!((l - 0.938148).abs() < 2e-6 && (h - 1.197679).abs() < 2e-6, "({l}, {h})");
        assert_eq!(count_ratio(3.0, 0.0, Z95), None);
    }
}
