//! Secondary cell suppression on one table of additive relations, and the
//! attacker's linear programme that checks it.
//!
//! A table is a set of cells (non-negative values) and relations `total =
//! Σ parts` among them. Given the primary cells, the pattern is grown one
//! primary at a time, in the manner of the linear-programming heuristics of
//! τ-Argus and sdcTable (Fischetti & Salazar-González 2000; Castro 2006): for
//! each primary cell `p` and each direction, the cheapest *deviation* `d` is
//! found — a change of the cells that keeps every relation true, keeps every
//! cell non-negative and moves `p` by its protection level (`+upper`, and
//! `−lower`) — by a linear programme minimising `Σ cost_j · |d_j|`. Every cell
//! that `d` moves is suppressed. Cells already suppressed cost (almost) nothing,
//! so later primaries reuse them. The union is safe by construction: for every
//! primary, `values + d` is another table consistent with everything published
//! (the cells `d` moves are all suppressed), in which `p` differs by its
//! protection level, so no attacker can narrow `p` to less than
//! `[value − lower, value + upper]`. [`intervals`] computes what the attacker
//! can: the minimum and maximum of each suppressed cell over every table that
//! agrees with the published cells.
//!
//! The linear programmes are solved with good_lp over microlp (pure Rust).

use std::collections::BTreeSet;

use good_lp::{constraint, microlp, variable, Expression, ProblemVariables, ResolutionError, Solution, SolverModel, Variable};

/// `cells[total] = Σ cells[parts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub total: usize,
    pub parts: Vec<usize>,
}

/// One table: the cells' true values, what suppressing each costs, and its relations.
#[derive(Debug, Clone)]
pub struct Table {
    pub values: Vec<f64>,
    pub costs: Vec<f64>,
    pub relations: Vec<Relation>,
}

/// How far an attacker must be kept from a primary cell's value: the interval
/// they can compute reaches at least `value + upper` and `value − min(value, lower)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Protection {
    pub upper: f64,
    pub lower: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SolverError {
    #[error("the linear programme for cell {cell} has no solution ({reason})")]
    NoSolution { cell: usize, reason: String },
    #[error("the linear programme solver failed on cell {cell}: {reason}")]
    Failed { cell: usize, reason: String },
}

/// A deviation smaller than this is no deviation (the solver's rounding).
const EPS: f64 = 1e-7;
/// What moving an already suppressed cell costs (not 0: the cheapest deviation
/// still prefers few cells).
const REUSE: f64 = 1e-3;

/// The suppression pattern for `primary`: `true` for every cell to suppress
/// (the primary cells and their complements).
pub fn pattern(table: &Table, primary: &[usize], protection: Protection) -> Result<Vec<bool>, SolverError> {
    let n = table.values.len();
    let mut suppressed = vec![false; n];
    let order: BTreeSet<usize> = primary.iter().copied().filter(|&p| p < n).collect();
    for &p in &order {
        suppressed[p] = true;
    }
    for &p in &order {
        let v = table.values[p].max(0.0);
        let shifts = [protection.upper, -(v.min(protection.lower))];
        for shift in shifts {
            if shift.abs() <= EPS {
                continue;
            }
            let d = cheapest_deviation(table, &suppressed, p, shift)?;
            for (j, dj) in d.iter().enumerate() {
                if dj.abs() > EPS {
                    suppressed[j] = true;
                }
            }
        }
    }
    Ok(suppressed)
}

/// The cheapest change of the table that keeps its relations and moves `p` by `shift`.
fn cheapest_deviation(table: &Table, suppressed: &[bool], p: usize, shift: f64) -> Result<Vec<f64>, SolverError> {
    let n = table.values.len();
    let mut vars = ProblemVariables::new();
    // d_j = up_j − down_j, down_j ≤ value_j (a cell cannot go below 0).
    let up: Vec<Variable> = (0..n).map(|_| vars.add(variable().min(0.0))).collect();
    let down: Vec<Variable> = (0..n).map(|j| vars.add(variable().min(0.0).max(table.values[j].max(0.0)))).collect();
    let mut objective = Expression::from(0.0);
    for j in 0..n {
        let c = if j == p {
            0.0
        } else if suppressed[j] {
            REUSE
        } else {
            table.costs[j].max(REUSE)
        };
        objective += c * up[j] + c * down[j];
    }
    let mut model = vars.minimise(objective).using(microlp);
    model = model.with(constraint!(up[p] - down[p] == shift));
    for r in &table.relations {
        let mut e = Expression::from(0.0);
        for &q in &r.parts {
            e += up[q] - down[q];
        }
        e -= up[r.total] - down[r.total];
        model = model.with(constraint!(e == 0.0));
    }
    let solved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.solve()));
    match solved {
        Ok(Ok(sol)) => Ok((0..n).map(|j| sol.value(up[j]) - sol.value(down[j])).collect()),
        Ok(Err(e)) => Err(SolverError::NoSolution { cell: p, reason: resolution(&e) }),
        Err(_) => Err(SolverError::Failed { cell: p, reason: "the solver panicked".into() }),
    }
}

fn resolution(e: &ResolutionError) -> String {
    match e {
        ResolutionError::Infeasible => "infeasible".into(),
        ResolutionError::Unbounded => "unbounded".into(),
        other => other.to_string(),
    }
}

/// What an attacker can compute for cell `p` from the published cells (those not
/// `suppressed`, at their values), every relation and non-negativity: the
/// smallest and largest value `p` can take (`f64::INFINITY` when unbounded).
pub fn interval(table: &Table, suppressed: &[bool], p: usize) -> Result<(f64, f64), SolverError> {
    let lo = extreme(table, suppressed, p, false)?;
    let hi = extreme(table, suppressed, p, true)?;
    Ok((lo, hi))
}

fn extreme(table: &Table, suppressed: &[bool], p: usize, maximise: bool) -> Result<f64, SolverError> {
    let n = table.values.len();
    let mut vars = ProblemVariables::new();
    let x: Vec<Option<Variable>> = (0..n).map(|j| suppressed[j].then(|| vars.add(variable().min(0.0)))).collect();
    let Some(xp) = x.get(p).copied().flatten() else {
        return Ok(table.values[p]);
    };
    let term = |j: usize| -> Expression {
        match x[j] {
            Some(v) => Expression::from(v),
            None => Expression::from(table.values[j]),
        }
    };
    let mut model = if maximise { vars.maximise(xp).using(microlp) } else { vars.minimise(xp).using(microlp) };
    for r in &table.relations {
        if !r.parts.iter().chain(std::iter::once(&r.total)).any(|&j| x[j].is_some()) {
            continue;
        }
        let mut e = Expression::from(0.0);
        for &q in &r.parts {
            e += term(q);
        }
        e -= term(r.total);
        model = model.with(constraint!(e == 0.0));
    }
    let solved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.solve()));
    match solved {
        Ok(Ok(sol)) => Ok(sol.value(xp)),
        Ok(Err(ResolutionError::Unbounded)) if maximise => Ok(f64::INFINITY),
        Ok(Err(e)) => Err(SolverError::NoSolution { cell: p, reason: resolution(&e) }),
        Err(_) => Err(SolverError::Failed { cell: p, reason: "the solver panicked".into() }),
    }
}

/// Whether every primary cell is protected by `suppressed`: the attacker's interval
/// reaches `value + upper` and `value − min(value, lower)` (within a rounding).
pub fn protected(table: &Table, suppressed: &[bool], primary: &[usize], protection: Protection) -> Result<bool, SolverError> {
    for &p in primary {
        let v = table.values[p].max(0.0);
        let (lo, hi) = interval(table, suppressed, p)?;
        if hi < v + protection.upper - 1e-6 || lo > v - v.min(protection.lower) + 1e-6 {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2 × 2 table of towns by sex with margins:
    ///
    /// ```text
    ///            F    M    _T
    ///   town A   1    7    8      cells 0 1 2
    ///   town B   9   12   21      cells 3 4 5
    ///   county  10   19   29      cells 6 7 8
    /// ```
    fn two_by_two() -> Table {
        let values = vec![1.0, 7.0, 8.0, 9.0, 12.0, 21.0, 10.0, 19.0, 29.0];
        let relations = vec![
            Relation { total: 2, parts: vec![0, 1] },
            Relation { total: 5, parts: vec![3, 4] },
            Relation { total: 8, parts: vec![6, 7] },
            Relation { total: 6, parts: vec![0, 3] },
            Relation { total: 7, parts: vec![1, 4] },
            Relation { total: 8, parts: vec![2, 5] },
        ];
        // As the export weighs them: a town's F or M 1, its total 3, the county's 1000 (× 3).
        let costs = vec![1.0, 1.0, 3.0, 1.0, 1.0, 3.0, 1000.0, 1000.0, 3000.0];
        Table { values, costs, relations }
    }

    const P: Protection = Protection { upper: 3.0, lower: 3.0 };

    #[test]
    fn a_lone_primary_is_recoverable_and_the_pattern_protects_it() {
        let t = two_by_two();
        // Suppressing only the primary: the row sum gives it back exactly.
        let mut only = vec![false; 9];
        only[0] = true;
        let (lo, hi) = interval(&t, &only, 0).unwrap();
        assert!((lo - 1.0).abs() < 1e-9 && (hi - 1.0).abs() < 1e-9, "{lo} {hi}");

        let s = pattern(&t, &[0], P).unwrap();
        // The cheapest protecting pattern is the rectangle of the two towns' F and M
        // (cells 0, 1, 3, 4: cost 4 × 3 moved), not F and the totals (2 × 3 + 2 × 9); the
        // county stays published.
        assert_eq!(s, vec![true, true, false, true, true, false, false, false, false]);
        // By hand: A_F + A_M = 8, B_F + B_M = 21, A_F + B_F = 10, A_M + B_M = 19, all ≥ 0:
        // A_F = t, A_M = 8 − t, B_F = 10 − t, B_M = 11 + t, so t ∈ [0, 8].
        let (lo, hi) = interval(&t, &s, 0).unwrap();
        assert!((lo - 0.0).abs() < 1e-6 && (hi - 8.0).abs() < 1e-6, "{lo} {hi}");
        assert!(protected(&t, &s, &[0], P).unwrap());
    }

    #[test]
    fn every_relation_holds_zero_or_at_least_two_suppressed_cells() {
        let t = two_by_two();
        let s = pattern(&t, &[0], P).unwrap();
        for r in &t.relations {
            let k = r.parts.iter().chain(std::iter::once(&r.total)).filter(|&&j| s[j]).count();
            assert!(k == 0 || k >= 2, "{r:?}: {k}");
        }
    }

    /// A one-way table town A + town B + town C = county, where only A can absorb:
    /// B and C are 0, so protecting A's 1 upwards needs the county itself.
    #[test]
    fn the_total_is_suppressed_only_when_nothing_else_protects() {
        let t = Table { values: vec![1.0, 0.0, 0.0, 1.0], costs: vec![1.0, 1.0, 1.0, 1000.0], relations: vec![Relation { total: 3, parts: vec![0, 1, 2] }] };
        let s = pattern(&t, &[0], P).unwrap();
        assert!(s[3], "{s:?}");
        let (lo, hi) = interval(&t, &s, 0).unwrap();
        assert!(lo <= 1e-9 && hi >= 4.0 - 1e-9, "{lo} {hi}");

        // With a large neighbour the county stays.
        let t = Table { values: vec![1.0, 40.0, 0.0, 41.0], ..t };
        let s = pattern(&t, &[0], P).unwrap();
        assert_eq!(s, vec![true, true, false, false]);
        // A + B = 41: A ∈ [0, 41].
        let (lo, hi) = interval(&t, &s, 0).unwrap();
        assert!(lo.abs() < 1e-6 && (hi - 41.0).abs() < 1e-6, "{lo} {hi}");
    }

    #[test]
    fn two_primaries_share_their_complements() {
        // Towns A..D (cells 0..3) sum to the county (4); A and B are both 1.
        let t = Table {
            values: vec![1.0, 2.0, 30.0, 50.0, 83.0],
            costs: vec![1.0, 1.0, 1.0, 1.0, 1000.0],
            relations: vec![Relation { total: 4, parts: vec![0, 1, 2, 3] }],
        };
        let s = pattern(&t, &[0, 1], P).unwrap();
        assert!(!s[4], "the county stays published: {s:?}");
        assert!(protected(&t, &s, &[0, 1], P).unwrap());
        // A and B alone protect each other downwards but not upwards (A + B = 3): a
        // third town is suppressed.
        assert_eq!(s.iter().filter(|x| **x).count(), 3, "{s:?}");
    }

    #[test]
    fn an_unprotected_pattern_is_reported() {
        let t = two_by_two();
        let mut s = vec![false; 9];
        s[0] = true;
        s[3] = true; // A_F and B_F: the column gives A_F + B_F = 10 but the rows give each
        assert!(!protected(&t, &s, &[0], P).unwrap());
    }
}
