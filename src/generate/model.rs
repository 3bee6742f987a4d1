//! The synthetic county: every town's true counts for 2020–2024.
//!
//! Magnitudes are those of a county of about 600,000 people (about 5,000 live
//! births a year). Trends are built in on purpose: some indicators on track,
//! some off track, child anaemia deteriorating, maternal deaths as a
//! small-count series, the childcare-place ratio short of its 2025 target.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const YEARS: [i32; 5] = [2020, 2021, 2022, 2023, 2024];

/// (data_element, area, year, sex, age) -> value.
pub type Key = (String, String, i32, String, String);

/// (data_element, area, year, residence) -> value: the urban (U) and rural (R)
/// parts of a town's total (sex and age `_T`), see [`super::residence`].
pub type ResidenceKey = (String, String, i32, String);

#[derive(Debug, Default, Clone)]
pub struct Truth {
    pub values: BTreeMap<Key, f64>,
    pub residence: BTreeMap<ResidenceKey, f64>,
}

impl Truth {
    pub fn set(&mut self, de: &str, area: &str, year: i32, sex: &str, age: &str, v: f64) {
        self.values.insert((de.into(), area.into(), year, sex.into(), age.into()), v);
    }
    pub fn get(&self, de: &str, area: &str, year: i32, sex: &str, age: &str) -> Option<f64> {
        self.values.get(&(de.to_string(), area.to_string(), year, sex.to_string(), age.to_string())).copied()
    }
    pub fn set_res(&mut self, de: &str, area: &str, year: i32, residence: &str, v: f64) {
        self.residence.insert((de.into(), area.into(), year, residence.into()), v);
    }
    /// A value at a residence: `_T` is [`Truth::get`] of the total (sex and age `_T`).
    pub fn get_res(&self, de: &str, area: &str, year: i32, sex: &str, age: &str, residence: &str) -> Option<f64> {
        if residence == "_T" {
            return self.get(de, area, year, sex, age);
        }
        if sex != "_T" || age != "_T" {
            return None;
        }
        self.residence.get(&(de.to_string(), area.to_string(), year, residence.to_string())).copied()
    }
    /// Value or 0 (for rendering).
    pub fn v(&self, de: &str, area: &str, year: i32, sex: &str, age: &str) -> f64 {
        self.get(de, area, year, sex, age).unwrap_or(0.0)
    }
}

/// Disjoint age bands the population is simulated in: (from, to, share of population).
const BANDS: [(u32, u32, f64); 12] = [
    (0, 2, 0.028),
    (3, 5, 0.030),
    (6, 6, 0.011),
    (7, 11, 0.055),
    (12, 14, 0.033),
    (15, 15, 0.011),
    (16, 17, 0.022),
    (18, 34, 0.220),
    (35, 45, 0.170),
    (46, 49, 0.060),
    (50, 64, 0.210),
    (65, 120, 0.150),
];

/// Reported age groups (overlapping, as the statistics bureau's return lists them).
pub const AGE_GROUPS: [(&str, &str, u32, u32); 10] = [
    ("合计", "_T", 0, 120),
    ("0-2岁", "Y0T2", 0, 2),
    ("3-5岁", "Y3T5", 3, 5),
    ("0-6岁", "Y0T6", 0, 6),
    ("0-17岁", "Y0T17", 0, 17),
    ("15-17岁", "Y15T17", 15, 17),
    ("15-49岁", "Y15T49", 15, 49),
    ("35-45岁", "Y35T45", 35, 45),
    ("35-64岁", "Y35T64", 35, 64),
    ("16岁及以上", "Y_GE16", 16, 120),
];

pub struct Sim {
    rng: ChaCha8Rng,
}

impl Sim {
    pub fn new(seed: u64) -> Self {
        Sim { rng: ChaCha8Rng::seed_from_u64(seed) }
    }
    pub fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }
    fn normal(&mut self) -> f64 {
        // Box–Muller
        let u1: f64 = self.rng.random::<f64>().max(1e-12);
        let u2: f64 = self.rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    /// Binomial draw (exact for small n, normal approximation above).
    pub fn binom(&mut self, n: f64, p: f64) -> f64 {
        let n = n.max(0.0).round();
        let p = p.clamp(0.0, 1.0);
        if n * p.min(1.0 - p) < 30.0 && n < 20000.0 {
            let mut k = 0.0;
            for _ in 0..n as u64 {
                if self.rng.random::<f64>() < p {
                    k += 1.0;
                }
            }
            k
        } else {
            let sd = (n * p * (1.0 - p)).sqrt();
            (n * p + sd * self.normal()).round().clamp(0.0, n)
        }
    }
    /// Poisson draw (Knuth; fine for the small means used here).
    pub fn poisson(&mut self, mean: f64) -> f64 {
        if mean > 50.0 {
            return (mean + mean.sqrt() * self.normal()).round().max(0.0);
        }
        let l = (-mean).exp();
        let (mut k, mut p) = (0.0, 1.0);
        loop {
            p *= self.rng.random::<f64>();
            if p <= l {
                return k;
            }
            k += 1.0;
        }
    }
    pub fn scale(&mut self, x: f64, rel_sd: f64) -> f64 {
        (x * (1.0 + rel_sd * self.normal())).round().max(0.0)
    }
}

/// Linear path from `a` (2020) to `b` (2024).
pub fn path(a: f64, b: f64, year: i32) -> f64 {
    a + (b - a) * (year - 2020) as f64 / 4.0
}

/// Simulate every town. `towns` are (code, name); `county` the root code.
pub fn simulate(towns: &[(String, String)], county: &str, seed: u64) -> Truth {
    let mut s = Sim::new(seed);
    let mut t = Truth::default();
    // Town sizes: about 600,000 people in all.
    let weights: Vec<f64> = towns.iter().map(|_| 0.4 + s.unit() * 1.6).collect();
    let wsum: f64 = weights.iter().sum();
    let base_pop: Vec<f64> = weights.iter().map(|w| 600_000.0 * w / wsum).collect();
    for (ti, (code, _)) in towns.iter().enumerate() {
        let a = code.as_str();
        let rural_share = 0.45 + s.unit() * 0.35;
        let communities = if ti < 4 { 3.0 + (s.unit() * 4.0).round() } else { (s.unit() * 2.0).round() };
        let villages = (base_pop[ti] / 1400.0).round().max(5.0);
        for &y in &YEARS {
            let pop_scale = 1.0 - 0.004 * (y - 2020) as f64;
            // Population by band and sex.
            let mut band_pop: Vec<[f64; 2]> = Vec::new(); // [F, M]
            for (_, _, share) in BANDS {
                let total = s.scale(base_pop[ti] * pop_scale * share, 0.01);
                let f = s.binom(total, 0.49);
                band_pop.push([f, total - f]);
            }
            let pop_in = |from: u32, to: u32, sex: usize| -> f64 {
                BANDS.iter().zip(&band_pop).filter(|((a, b, _), _)| *a >= from && *b <= to).map(|(_, p)| p[sex]).sum()
            };
            for (_, code_age, from, to) in AGE_GROUPS {
                let f = pop_in(from, to, 0);
                let m = pop_in(from, to, 1);
                t.set("population", a, y, "F", code_age, f);
                t.set("population", a, y, "M", code_age, m);
                t.set("population", a, y, "_T", code_age, f + m);
            }
            let pop = pop_in(0, 120, 0) + pop_in(0, 120, 1);
            let pop_0_17 = pop_in(0, 17, 0) + pop_in(0, 17, 1);

            // --- 卫健局: births and deaths -------------------------------------------------
            let births = s.scale(pop * 0.0088 * (1.0 - 0.035 * (y - 2020) as f64), 0.03);
            let srb = path(108.5, 105.5, y);
            let bm = s.binom(births, srb / (100.0 + srb));
            let bf = births - bm;
            t.set("live_births", a, y, "F", "_T", bf);
            t.set("live_births", a, y, "M", "_T", bm);
            t.set("live_births", a, y, "_T", "_T", births);
            for (sex, b, boost) in [("F", bf, 0.9), ("M", bm, 1.1)] {
                let n = s.binom(b, path(3.2, 2.6, y) / 1000.0 * boost);
                let i = n + s.binom(b, path(1.9, 1.6, y) / 1000.0 * boost);
                let u = i + s.binom(b, path(1.6, 1.4, y) / 1000.0 * boost);
                t.set("neonatal_deaths", a, y, sex, "_T", n);
                t.set("infant_deaths", a, y, sex, "_T", i);
                t.set("under5_deaths", a, y, sex, "_T", u);
            }
            for de in ["neonatal_deaths", "infant_deaths", "under5_deaths"] {
                let v = t.v(de, a, y, "F", "_T") + t.v(de, a, y, "M", "_T");
                t.set(de, a, y, "_T", "_T", v);
            }
            let deliveries = births - s.binom(births, 0.008);
            t.set("deliveries", a, y, "_T", "_T", deliveries);
            // Maternal deaths: a small-count series (about 0.6 a year in the county).
            t.set("maternal_deaths", a, y, "_T", "_T", s.poisson(births * 12.0e-5));
            put_share(&mut s, &mut t, "prenatal_screened", a, y, "_T", "_T", deliveries, path(0.74, 0.79, y));
            let hiv = put_share(&mut s, &mut t, "maternal_hiv_tested", a, y, "_T", "_T", deliveries, path(0.985, 0.993, y));
            put_share(&mut s, &mut t, "maternal_syphilis_tested", a, y, "_T", "_T", deliveries, path(0.984, 0.992, y));
            put_share(&mut s, &mut t, "maternal_hbv_tested", a, y, "_T", "_T", deliveries, path(0.983, 0.991, y));
            put_share(&mut s, &mut t, "maternal_hiv_tested_early", a, y, "_T", "_T", hiv, path(0.78, 0.86, y));
            put_share(&mut s, &mut t, "maternal_systematic_managed", a, y, "_T", "_T", deliveries, path(0.905, 0.93, y));
            let hb = put_share(&mut s, &mut t, "pregnant_women_hb_tested", a, y, "_T", "_T", deliveries, 0.97);
            put_share(&mut s, &mut t, "pregnant_women_anaemic", a, y, "_T", "_T", hb, path(0.095, 0.082, y));
            put_share(&mut s, &mut t, "maternal_psych_counselled", a, y, "_T", "_T", deliveries, path(0.30, 0.50, y));
            put_share(&mut s, &mut t, "newborns_metabolic_screened", a, y, "_T", "_T", births, path(0.975, 0.988, y));
            put_share(&mut s, &mut t, "newborns_hearing_screened", a, y, "_T", "_T", births, path(0.90, 0.94, y));
            put_share(&mut s, &mut t, "newborns_visited", a, y, "_T", "_T", births, path(0.93, 0.955, y));
            put_share(&mut s, &mut t, "low_birthweight_births", a, y, "_T", "_T", births, 0.031);
            let f1549 = pop_in(15, 49, 0);
            put_share(&mut s, &mut t, "induced_abortions", a, y, "_T", "_T", f1549, path(0.009, 0.0075, y));

            // --- 卫健局: child and women's health (long list) --------------------------------
            let u5 = pop_in(0, 5, 0) + pop_in(0, 5, 1);
            let hbt = put_share(&mut s, &mut t, "children_hb_tested", a, y, "_T", "Y0T4", u5 * 0.8, 0.85);
            // Deteriorating on purpose: child anaemia rises from 6% to 8.6%.
            put_share(&mut s, &mut t, "children_anaemic", a, y, "_T", "Y0T4", hbt, path(0.060, 0.086, y));
            let meas = put_share(&mut s, &mut t, "children_measured", a, y, "_T", "Y0T4", u5 * 0.8, 0.92);
            put_share(&mut s, &mut t, "children_stunted", a, y, "_T", "Y0T4", meas, path(0.034, 0.030, y));
            put_share(&mut s, &mut t, "children_underweight", a, y, "_T", "Y0T4", meas, path(0.022, 0.019, y));
            let p06 = t.v("population", a, y, "_T", "Y0T6");
            put_share(&mut s, &mut t, "children_health_managed", a, y, "_T", "Y0T6", p06, path(0.93, 0.955, y));
            put_share(&mut s, &mut t, "children_eye_checked", a, y, "_T", "Y0T6", p06, path(0.86, 0.915, y));
            let p02 = t.v("population", a, y, "_T", "Y0T2");
            put_share(&mut s, &mut t, "children_systematically_managed", a, y, "_T", "Y0T2", p02, path(0.905, 0.925, y));
            let dent = put_share(&mut s, &mut t, "children_dental_examined", a, y, "_T", "Y12", pop_in(12, 14, 0) / 3.0 + pop_in(12, 14, 1) / 3.0, 0.85);
            put_share(&mut s, &mut t, "children_caries", a, y, "_T", "Y12", dent, path(0.31, 0.27, y));
            let surveyed = put_share(&mut s, &mut t, "infants_lt6m_surveyed", a, y, "_T", "_T", births * 0.5, 0.6);
            put_share(&mut s, &mut t, "infants_lt6m_exclusively_breastfed", a, y, "_T", "_T", surveyed, path(0.44, 0.52, y));
            let due = births * 11.0;
            t.set("nip_doses_due", a, y, "_T", "_T", due);
            put_share(&mut s, &mut t, "nip_doses_administered", a, y, "_T", "_T", due, path(0.965, 0.975, y));
            put_share(&mut s, &mut t, "cervical_cancer_screened", a, y, "F", "Y35T64", pop_in(35, 64, 0), path(0.44, 0.60, y));
            put_share(&mut s, &mut t, "breast_cancer_screened", a, y, "F", "Y35T64", pop_in(35, 64, 0), path(0.40, 0.55, y));
            put_share(&mut s, &mut t, "cervical_hpv_screened", a, y, "F", "Y35T45", pop_in(35, 45, 0), path(0.50, 0.63, y));
            let diag = s.poisson(pop_in(35, 64, 0) * 0.00025);
            t.set("cervical_cancer_diagnosed", a, y, "_T", "_T", diag);
            put_share(&mut s, &mut t, "cervical_cancer_treated", a, y, "_T", "_T", diag, 0.93);
            let hivpos = s.poisson(deliveries * 0.0004);
            t.set("hiv_positive_mothers", a, y, "_T", "_T", hivpos);
            put_share(&mut s, &mut t, "hiv_positive_mothers_on_art", a, y, "_T", "_T", hivpos, 0.97);
            t.set("hiv_exposed_infants", a, y, "_T", "_T", hivpos);
            put_share(&mut s, &mut t, "hiv_exposed_infants_infected", a, y, "_T", "_T", hivpos, 0.03);
            let syph = s.poisson(deliveries * 0.002);
            t.set("syphilis_positive_mothers", a, y, "_T", "_T", syph);
            put_share(&mut s, &mut t, "syphilis_positive_mothers_treated", a, y, "_T", "_T", syph, 0.96);
            // Child injury deaths: a small-count series, falling on purpose.
            t.set("child_injury_deaths", a, y, "_T", "Y0T17", s.poisson(pop_0_17 * path(22.0e-5, 17.0e-5, y)));
            t.set("child_drowning_deaths", a, y, "_T", "Y0T17", s.poisson(pop_0_17 * path(6.0e-5, 4.5e-5, y)));
            // Childcare places per 1,000 people: 2.6 -> 4.0, short of 4.5 in 2025 on purpose.
            t.set("childcare_places_under3", a, y, "_T", "_T", (pop * path(0.0026, 0.0040, y)).round());
            t.set("paediatricians", a, y, "_T", "_T", s.scale(pop_0_17 * path(0.00085, 0.00105, y), 0.05));
            t.set("paediatric_beds", a, y, "_T", "_T", s.scale(pop_0_17 * path(0.0026, 0.0031, y), 0.05));

            // --- 教育局 -------------------------------------------------------------------------
            let enrol = |s: &mut Sim, t: &mut Truth, de: &str, popf: f64, popm: f64, rate: f64| {
                let f = s.binom(popf, rate);
                let m = s.binom(popm, rate);
                t.set(de, a, y, "F", "_T", f);
                t.set(de, a, y, "M", "_T", m);
                t.set(de, a, y, "_T", "_T", f + m);
            };
            enrol(&mut s, &mut t, "pupils_preprimary", pop_in(3, 5, 0), pop_in(3, 5, 1), path(0.88, 0.925, y));
            enrol(&mut s, &mut t, "pupils_primary", pop_in(7, 11, 0) + pop_in(6, 6, 0), pop_in(7, 11, 1) + pop_in(6, 6, 1), 0.995);
            enrol(&mut s, &mut t, "pupils_junior", pop_in(12, 14, 0), pop_in(12, 14, 1), 0.99);
            enrol(&mut s, &mut t, "pupils_upper_secondary", pop_in(15, 17, 0), pop_in(15, 17, 1), path(0.90, 0.935, y));
            let cohort_f = s.scale(pop_in(12, 14, 0) / 3.0, 0.02);
            let cohort_m = s.scale(pop_in(12, 14, 1) / 3.0, 0.02);
            t.set("primary_grade1_cohort", a, y, "F", "_T", cohort_f);
            t.set("primary_grade1_cohort", a, y, "M", "_T", cohort_m);
            t.set("primary_grade1_cohort", a, y, "_T", "_T", cohort_f + cohort_m);
            let gf = s.binom(cohort_f, path(0.975, 0.988, y));
            let gm = s.binom(cohort_m, path(0.972, 0.986, y));
            t.set("junior_graduates", a, y, "F", "_T", gf);
            t.set("junior_graduates", a, y, "M", "_T", gm);
            t.set("junior_graduates", a, y, "_T", "_T", gf + gm);
            let pre = t.v("pupils_preprimary", a, y, "_T", "_T");
            let public = s.binom(pre, path(0.55, 0.62, y));
            t.set("pupils_preprimary_public", a, y, "_T", "_T", public);
            share_at_plain(&mut s, &mut t, "pupils_preprimary_inclusive_private", a, y, pre - public, path(0.55, 0.65, y));
            let dis_age = s.poisson(pop_in(6, 14, 0) * 0.004 + pop_in(6, 14, 1) * 0.004 + 3.0);
            t.set("disabled_children_compulsory_age", a, y, "_T", "_T", dis_age);
            share_at_plain(&mut s, &mut t, "disabled_children_enrolled", a, y, dis_age, path(0.95, 0.97, y));
            for (lvl, pupils, rate) in [
                ("primary", "pupils_primary", path(0.36, 0.39, y)),
                ("junior", "pupils_junior", path(0.62, 0.64, y)),
                ("senior", "pupils_upper_secondary", path(0.74, 0.75, y)),
            ] {
                let scr = s.binom(t.v(pupils, a, y, "_T", "_T"), 0.9);
                t.set(&format!("vision_screened_{lvl}"), a, y, "_T", "_T", scr);
                share_at_plain(&mut s, &mut t, &format!("myopic_{lvl}"), a, y, scr, rate);
            }
            let tested = s.binom(t.v("pupils_primary", a, y, "_T", "_T") + t.v("pupils_junior", a, y, "_T", "_T"), 0.95);
            t.set("students_fitness_tested", a, y, "_T", "_T", tested);
            share_at_plain(&mut s, &mut t, "students_fitness_good", a, y, tested, path(0.42, 0.53, y));
            let schools = (t.v("pupils_primary", a, y, "_T", "_T") / 420.0).round().max(2.0);
            let kgs = (pre / 160.0).round().max(1.0);
            t.set("schools", a, y, "_T", "_T", schools);
            t.set("kindergartens", a, y, "_T", "_T", kgs);
            t.set("schools_with_internet", a, y, "_T", "_T", if y >= 2022 { schools } else { (schools - 1.0).max(0.0) });
            let teachers = (t.v("pupils_primary", a, y, "_T", "_T") / 16.0).round();
            t.set("teachers", a, y, "_T", "_T", teachers);
            share_at_plain(&mut s, &mut t, "teachers_learning_space_registered", a, y, teachers, path(0.82, 0.97, y));
            share_at_plain(&mut s, &mut t, "schools_kindergartens_with_parent_school", a, y, schools + kgs, path(0.8, 0.95, y));

            // --- 医保局/人社局 (legacy .xls): insurance by sex ----------------------------------------
            let urban_emp_f = s.scale(pop_in(18, 64, 0) * (1.0 - rural_share) * 0.55, 0.02);
            let urban_emp_m = s.scale(pop_in(18, 64, 1) * (1.0 - rural_share) * 0.62, 0.02);
            t.set("urban_employed_persons", a, y, "F", "_T", urban_emp_f);
            t.set("urban_employed_persons", a, y, "M", "_T", urban_emp_m);
            t.set("urban_employed_persons", a, y, "_T", "_T", urban_emp_f + urban_emp_m);
            for (sex, si) in [("F", 0usize), ("M", 1)] {
                let all = pop_in(0, 120, si);
                let med = s.binom(all, path(0.955, 0.962, y));
                t.set("medical_insured", a, y, sex, "_T", med);
                let pen = s.binom(pop_in(16, 120, si), path(0.905, 0.935, y));
                t.set("pension_insured", a, y, sex, "_T", pen);
                let emp = if si == 0 { urban_emp_f } else { urban_emp_m };
                t.set("unemployment_insured", a, y, sex, "_T", s.binom(emp, path(0.48, 0.56, y)));
                t.set("work_injury_insured", a, y, sex, "_T", s.binom(emp, path(0.55, 0.62, y)));
                t.set("subsidised_training_participants", a, y, sex, "_T", s.poisson(pop * 0.0015 * if si == 0 { 1.1 } else { 0.9 }));
            }
            for de in ["medical_insured", "pension_insured", "unemployment_insured", "work_injury_insured", "subsidised_training_participants"] {
                let v = t.v(de, a, y, "F", "_T") + t.v(de, a, y, "M", "_T");
                t.set(de, a, y, "_T", "_T", v);
            }
            let ue = urban_emp_f + urban_emp_m;
            share_at_plain(&mut s, &mut t, "maternity_insured", a, y, ue, path(0.45, 0.53, y));

            // --- 统计局/农业农村局/水利局: towns as columns ----------------------------------------
            let rural_pop = (pop * rural_share).round();
            t.set("rural_population", a, y, "_T", "_T", rural_pop);
            share_at_plain(&mut s, &mut t, "rural_tapwater_population", a, y, rural_pop, path(0.90, 0.945, y));
            let households = (rural_pop / 3.1).round();
            t.set("rural_households", a, y, "_T", "_T", households);
            share_at_plain(&mut s, &mut t, "rural_households_sanitary_toilet", a, y, households, path(0.85, 0.93, y));
            share_at_plain(&mut s, &mut t, "rural_households_clean_energy", a, y, households, path(0.55, 0.68, y));
            for (de, f_share, rate) in [("employed_persons", 0.455, 0.78), ("urban_unit_employees", 0.385, 0.22)] {
                let total = s.scale(pop_in(18, 64, 0) * rate + pop_in(18, 64, 1) * rate, 0.02);
                let f = s.binom(total, path(f_share, f_share + 0.01, y));
                t.set(de, a, y, "_T", "_T", total);
                t.set(de, a, y, "F", "_T", f);
            }

            // --- 民政局: committees and child welfare (rows-as-towns, one header row) ---------------
            let members = |s: &mut Sim, t: &mut Truth, de: &str, total: f64, fshare: f64| {
                let tot = total.round();
                let f = s.binom(tot, fshare);
                t.set(de, a, y, "_T", "_T", tot);
                t.set(de, a, y, "F", "_T", f);
            };
            // Fluctuating on purpose: the share of women village-committee members swings around 30%.
            let swing = if y % 2 == 0 { 0.36 } else { 0.24 };
            members(&mut s, &mut t, "village_committee_members", villages * 5.0, swing);
            members(&mut s, &mut t, "village_committee_directors", villages, path(0.10, 0.14, y));
            if communities > 0.0 {
                members(&mut s, &mut t, "residents_committee_members", communities * 7.0, 0.5);
                members(&mut s, &mut t, "residents_committee_directors", communities, path(0.35, 0.42, y));
            }
            members(&mut s, &mut t, "social_org_leaders", 8.0 + (pop / 8000.0).round(), path(0.25, 0.30, y));
            let orphans = s.poisson(pop * 0.0002 + 2.0);
            t.set("orphans_unattended_children", a, y, "_T", "_T", orphans);
            t.set("orphans_unattended_children_covered", a, y, "_T", "_T", orphans);
            t.set("towns", a, y, "_T", "_T", 1.0);
            let station = if s.unit() < path(0.6, 1.05, y) { 1.0 } else { 0.0 };
            t.set("towns_with_minor_protection_station", a, y, "_T", "_T", station);
            let vc = villages + communities;
            t.set("villages_communities", a, y, "_T", "_T", vc);
            share_at_plain(&mut s, &mut t, "villages_communities_with_children_home", a, y, vc, path(0.80, 0.93, y));

            // --- 组织部/妇联: party organisations (rows-as-towns, merged headers) -----------------------
            members(&mut s, &mut t, "village_party_committee_members", villages * 4.0, path(0.20, 0.24, y));
            members(&mut s, &mut t, "village_party_secretaries", villages, path(0.08, 0.11, y));
            if communities > 0.0 {
                members(&mut s, &mut t, "community_party_committee_members", communities * 5.0, path(0.45, 0.5, y));
                members(&mut s, &mut t, "community_party_secretaries", communities, path(0.35, 0.4, y));
            }
            members(&mut s, &mut t, "party_members", pop * 0.055, path(0.26, 0.28, y));
            members(&mut s, &mut t, "town_leaders", 12.0, path(0.18, 0.24, y));
            members(&mut s, &mut t, "town_chief_leaders", 2.0, 0.1);
            share_at_plain(&mut s, &mut t, "villages_communities_with_parent_school", a, y, vc, path(0.70, 0.84, y));
            share_at_plain(&mut s, &mut t, "child_friendly_communities", a, y, vc, path(0.10, 0.40, y));
            t.set("women_children_activity_centres", a, y, "_T", "_T", if s.unit() < path(0.5, 0.9, y) { 1.0 } else { 0.0 });
        }
    }
    // --- County-level only (生态环境局, 住建局, 统计局 annual figures) -----------------------------
    for &y in &YEARS {
        let days = if y % 4 == 0 { 366.0 } else { 365.0 };
        t.set("air_quality_monitored_days", county, y, "_T", "_T", days);
        t.set("air_quality_good_days", county, y, "_T", "_T", s.binom(days, path(0.82, 0.875, y)));
        t.set("noise_night_monitored", county, y, "_T", "_T", 16.0);
        t.set("noise_night_compliant", county, y, "_T", "_T", s.binom(16.0, 0.8));
        t.set("surface_water_sections_monitored", county, y, "_T", "_T", 12.0);
        t.set("surface_water_sections_good", county, y, "_T", "_T", s.binom(12.0, 0.9));
        let discharged = (1200.0 + 40.0 * (y - 2020) as f64 + s.unit() * 30.0).round();
        t.set("urban_sewage_discharged", county, y, "_T", "_T", discharged);
        t.set("urban_sewage_treated", county, y, "_T", "_T", (discharged * path(0.90, 0.95, y)).round());
        t.set("life_expectancy", county, y, "F", "_T", ((path(80.6, 81.8, y) + s.unit() * 0.2) * 10.0).round() / 10.0);
        t.set("mean_years_schooling", county, y, "F", "_T", ((path(9.2, 9.8, y)) * 10.0).round() / 10.0);
        t.set("illiteracy_rate", county, y, "F", "Y15T50", ((path(1.1, 0.7, y)) * 10.0).round() / 10.0);
        let employers = (4200.0 + 150.0 * (y - 2020) as f64).round();
        t.set("employers", county, y, "_T", "_T", employers);
        t.set("employers_maternity_insured", county, y, "_T", "_T", (employers * path(0.86, 0.95, y)).round());
    }
    // Drawn from their own streams: every value above is the same with or without them.
    super::residence::split(&mut t, towns, seed);
    super::residence::workers(&mut t, towns, seed);
    t
}

fn share_at_plain(s: &mut Sim, t: &mut Truth, de: &str, a: &str, y: i32, of: f64, p: f64) {
    let v = s.binom(of, p);
    t.set(de, a, y, "_T", "_T", v);
}

#[allow(clippy::too_many_arguments)]
fn put_share(s: &mut Sim, t: &mut Truth, de: &str, a: &str, y: i32, sex: &str, age: &str, of: f64, p: f64) -> f64 {
    let v = s.binom(of, p);
    t.set(de, a, y, sex, age, v);
    v
}
