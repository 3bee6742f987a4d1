//! Direction-only targets: the Theil–Sen slope and the Mann–Kendall test.

use super::projection::theil_sen;
use super::{clean_series, median, Point, Status};

/// A robust trend of a series: the Theil–Sen slope (median of pairwise slopes)
/// with its intercept `median(x) − slope · median(year)` (scipy's
/// `theilslopes`), and the Mann–Kendall statistic S = Σ_{i<j} sign(x_j − x_i)
/// with its two-sided p-value: exact without ties (the distribution of S is
/// that of the number of inversions of a random permutation, Mahonian numbers;
/// scipy's `kendalltau(method="exact")`), else the normal approximation with
/// the ties-corrected variance `[n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18` and no
/// continuity correction (scipy's asymptotic `kendalltau`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub n: usize,
    pub slope: f64,
    pub intercept: f64,
    pub s: f64,
    pub p_value: f64,
}

/// The trend of a series (cleaned first); None with fewer than 3 points.
pub fn trend(series: &[Point]) -> Option<Trend> {
    let pts = clean_series(series);
    let n = pts.len();
    if n < 3 {
        return None;
    }
    let slope = theil_sen(&pts)?;
    let mut xs: Vec<f64> = pts.iter().map(|p| p.value).collect();
    let mut ts: Vec<f64> = pts.iter().map(|p| f64::from(p.year)).collect();
    let intercept = median(&mut xs)? - slope * median(&mut ts)?;
    let mut s = 0i64;
    for i in 0..n {
        for j in (i + 1)..n {
            s += match pts[j].value.partial_cmp(&pts[i].value) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    // Tie groups of the values (years are distinct after cleaning).
    let mut sorted: Vec<f64> = pts.iter().map(|p| p.value).collect();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mut ties: Vec<usize> = Vec::new();
    let mut run = 1usize;
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            run += 1;
        } else {
            if run > 1 {
                ties.push(run);
            }
            run = 1;
        }
    }
    if run > 1 {
        ties.push(run);
    }
    let p_value = if ties.is_empty() && n <= 60 {
        kendall_exact_p(n, s)
    } else {
        let nf = n as f64;
        let tie_term: f64 = ties.iter().map(|&t| (t * (t - 1) * (2 * t + 5)) as f64).sum();
        let var = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - tie_term) / 18.0;
        if var <= 0.0 {
            1.0
        } else {
            let z = s as f64 / var.sqrt();
            libm::erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
        }
    };
    Some(Trend { n, slope, intercept, s: s as f64, p_value })
}

/// Two-sided exact p-value of the Mann–Kendall S for n distinct values:
/// min(1, 2 · P(S ≥ |s|)), with S = N − 2·inversions, N = n(n−1)/2, and the
/// number of permutations with k inversions by the Mahonian recursion.
fn kendall_exact_p(n: usize, s: i64) -> f64 {
    let total = n * (n - 1) / 2;
    // counts[k] / n!: the probability of k inversions (kept as probabilities to stay in range).
    let mut dist = vec![1.0f64];
    for m in 2..=n {
        let mut next = vec![0.0f64; dist.len() + m - 1];
        for (k, &p) in dist.iter().enumerate() {
            for j in 0..m {
                next[k + j] += p / m as f64;
            }
        }
        dist = next;
    }
    // S ≥ |s|  <=>  inversions ≤ (N − |s|) / 2.
    let max_inv = (total as i64 - s.abs()) / 2;
    let tail: f64 = dist.iter().take((max_inv.max(-1) + 1) as usize).sum();
    (2.0 * tail).min(1.0)
}

/// What a direction-only target's trend says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendClass {
    /// 改善: a trend in the target's direction (p below the level).
    Improving,
    /// 无明显变化: no trend the data can tell from noise.
    NoClearChange,
    /// 恶化: a trend against the target's direction.
    Deteriorating,
    /// 数据不足: fewer than `min_points` years.
    InsufficientData,
}

impl TrendClass {
    pub fn as_str(self) -> &'static str {
        match self {
            TrendClass::Improving => "improving",
            TrendClass::NoClearChange => "no_clear_change",
            TrendClass::Deteriorating => "deteriorating",
            TrendClass::InsufficientData => "insufficient_data",
        }
    }

    /// The progress status it is published as: improving → `on_track`, no clear
    /// change → `limited_progress`, deteriorating → `deterioration`, insufficient
    /// data → `insufficient_data`; for a target to maintain a level, no clear
    /// change → `on_track` and a clear change either way → `limited_progress`.
    pub fn status(self, maintain: bool) -> Status {
        match (self, maintain) {
            (TrendClass::InsufficientData, _) => Status::InsufficientData,
            (TrendClass::NoClearChange, true) => Status::OnTrack,
            (_, true) => Status::LimitedProgress,
            (TrendClass::Improving, false) => Status::OnTrack,
            (TrendClass::NoClearChange, false) => Status::LimitedProgress,
            (TrendClass::Deteriorating, false) => Status::Deterioration,
        }
    }
}

/// The class of a trend for a target whose better direction is up (`higher_better`)
/// or down, at two-sided level `alpha`, with at least `min_points` years.
pub fn classify_trend(t: Option<&Trend>, higher_better: bool, alpha: f64, min_points: usize) -> TrendClass {
    let Some(t) = t.filter(|t| t.n >= min_points) else { return TrendClass::InsufficientData };
    if t.p_value.is_nan() || t.p_value >= alpha || t.s == 0.0 {
        return TrendClass::NoClearChange;
    }
    if (t.s > 0.0) == higher_better {
        TrendClass::Improving
    } else {
        TrendClass::Deteriorating
    }
}
