//! The member bodies' returns as each body lays them out, rendered from the
//! simulated truth with the mess real returns have (titles and unit lines,
//! merged headers, 合计 rows, notes, numbers typed as text with thousands
//! separators or full-width digits, "—" for none, towns with and without 镇,
//! a legacy .xls).

use super::book::{SheetSpec, Val};
use super::model::{self, Truth, YEARS};

/// How a number is typed into a cell.
#[derive(Clone, Copy)]
enum Style {
    Plain,
    /// Text with thousands separators ("1,234") when ≥ 1000.
    Thousands,
    /// Text in full-width digits ("１２３").
    FullWidth,
}

fn render(v: f64, style: Style) -> Val {
    let int = v.fract() == 0.0;
    match style {
        Style::Plain => Val::Num(v),
        Style::Thousands if int && v >= 1000.0 => {
            let s = format!("{}", v as i64);
            let mut out = String::new();
            for (i, ch) in s.chars().enumerate() {
                if i > 0 && (s.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(ch);
            }
            Val::Text(out)
        }
        Style::FullWidth if int => Val::Text(format!("{}", v as i64).chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect()),
        _ => Val::Num(v),
    }
}

/// A deterministic style for a cell so the mess is spread across files.
fn style_for(year: i32, row: usize, col: usize) -> Style {
    match (year as usize * 7 + row * 3 + col * 5) % 11 {
        0 | 1 => Style::Thousands,
        2 => Style::FullWidth,
        _ => Style::Plain,
    }
}

/// Town label as the body writes it: some years without 镇.
pub(super) fn town_label(name: &str, year: i32, idx: usize) -> String {
    if (year as usize + idx).is_multiple_of(3) {
        name.trim_end_matches('镇').to_string()
    } else {
        name.to_string()
    }
}

pub(super) struct Ctx<'a> {
    pub(super) truth: &'a Truth,
    pub(super) towns: &'a [(String, String)],
    pub(super) county: &'a str,
}

/// One value column of a rows-as-towns return: (data element, sex, age, residence).
pub(super) type ColSpec = (&'static str, &'static str, &'static str, &'static str);

/// Rows-as-towns with a two-row merged header: groups with (合计, 其中:女) or single columns.
#[allow(clippy::too_many_arguments)]
fn rows_as_towns(
    c: &Ctx,
    year: i32,
    sheet_name: &str,
    title: &str,
    unit_line: &str,
    groups: &[(&str, Vec<(&str, ColSpec)>)],
    total_row: bool,
    dash_zero_for: &[&str],
    notes: &[&str],
) -> SheetSpec {
    let mut s = SheetSpec::new(sheet_name);
    let ncols: u16 = 1 + groups.iter().map(|g| g.1.len().max(1) as u16).sum::<u16>();
    s.merge(0, 0, 0, ncols - 1, title);
    s.text(1, 0, unit_line);
    let (h1, h2) = (3u32, 4u32);
    s.merge(h1, 0, h2, 0, "乡镇");
    let mut col = 1u16;
    let mut specs: Vec<ColSpec> = Vec::new();
    for (label, subs) in groups {
        if subs.len() == 1 && subs[0].0.is_empty() {
            s.merge(h1, col, h2, col, label);
            specs.push(subs[0].1);
            col += 1;
        } else {
            s.merge(h1, col, h1, col + subs.len() as u16 - 1, label);
            for (i, (sub, spec)) in subs.iter().enumerate() {
                s.text(h2, col + i as u16, sub);
                specs.push(*spec);
            }
            col += subs.len() as u16;
        }
    }
    let mut r = h2 + 1;
    for (ti, (code, name)) in c.towns.iter().enumerate() {
        s.text(r, 0, &town_label(name, year, ti));
        for (ci, (de, sex, age, res)) in specs.iter().enumerate() {
            if let Some(v) = c.truth.get_res(de, code, year, sex, age, res) {
                let val = if v == 0.0 && dash_zero_for.contains(de) { Val::Text("—".into()) } else { render(v, style_for(year, ti, ci)) };
                s.put(r, 1 + ci as u16, val);
            }
        }
        r += 1;
    }
    if total_row {
        s.text(r, 0, "合计");
        for (ci, (de, sex, age, res)) in specs.iter().enumerate() {
            let sum: f64 = c.towns.iter().filter_map(|(code, _)| c.truth.get_res(de, code, year, sex, age, res)).sum();
            s.put(r, 1 + ci as u16, Val::Num(sum));
        }
        r += 1;
    }
    r += 1;
    for n in notes {
        s.text(r, 0, n);
        r += 1;
    }
    s
}

fn g<'a>(label: &'a str, de: &'static str) -> (&'a str, Vec<(&'a str, ColSpec)>) {
    (label, vec![("", (de, "_T", "_T", "_T"))])
}
fn gf<'a>(label: &'a str, de: &'static str, female: &'a str) -> (&'a str, Vec<(&'a str, ColSpec)>) {
    (label, vec![("合计", (de, "_T", "_T", "_T")), (female, (de, "F", "_T", "_T"))])
}
fn gmf<'a>(label: &'a str, de: &'static str) -> (&'a str, Vec<(&'a str, ColSpec)>) {
    (label, vec![("男", (de, "M", "_T", "_T")), ("女", (de, "F", "_T", "_T"))])
}

pub(super) type Groups = Vec<(&'static str, Vec<(&'static str, ColSpec)>)>;

pub(super) fn mch_groups() -> Groups {
    vec![
        gf("活产数", "live_births", "其中:女"),
        g("产妇数", "deliveries"),
        g("孕产妇死亡数", "maternal_deaths"),
        gf("新生儿死亡数", "neonatal_deaths", "其中:女"),
        gf("婴儿死亡数", "infant_deaths", "其中:女"),
        gf("5岁以下儿童死亡数", "under5_deaths", "其中:女"),
        g("产前筛查人数", "prenatal_screened"),
        g("孕产妇系统管理人数", "maternal_systematic_managed"),
        g("孕产妇艾滋病检测人数", "maternal_hiv_tested"),
        g("孕早期艾滋病检测人数", "maternal_hiv_tested_early"),
        g("孕产妇梅毒检测人数", "maternal_syphilis_tested"),
        g("孕产妇乙肝检测人数", "maternal_hbv_tested"),
        g("孕妇血红蛋白检测人数", "pregnant_women_hb_tested"),
        g("孕妇贫血人数", "pregnant_women_anaemic"),
        g("孕产妇心理辅导人数", "maternal_psych_counselled"),
        g("新生儿遗传代谢性疾病筛查人数", "newborns_metabolic_screened"),
        g("新生儿听力筛查人数", "newborns_hearing_screened"),
        g("新生儿访视人数", "newborns_visited"),
        g("低出生体重儿数", "low_birthweight_births"),
        g("人工流产数", "induced_abortions"),
        // By the mother's residence (城镇 / 乡村), after the other columns.
        by_residence("城镇", "U", &MCH_BY_RESIDENCE),
        by_residence("乡村", "R", &MCH_BY_RESIDENCE),
    ]
}

/// The MCH return's columns given by the mother's residence (each under 城镇 and under 乡村).
const MCH_BY_RESIDENCE: [(&str, &str); 5] = [
    ("活产数", "live_births"),
    ("孕产妇死亡数", "maternal_deaths"),
    ("新生儿死亡数", "neonatal_deaths"),
    ("婴儿死亡数", "infant_deaths"),
    ("5岁以下儿童死亡数", "under5_deaths"),
];

/// A group of columns of one residence (城镇 U, 乡村 R): the group's label over each data element's.
fn by_residence(label: &'static str, res: &'static str, cols: &[(&'static str, &'static str)]) -> (&'static str, Vec<(&'static str, ColSpec)>) {
    (label, cols.iter().map(|&(l, de)| (l, (de, "_T", "_T", res))).collect())
}

pub(super) fn mch_annual(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    let groups = mch_groups();
    vec![rows_as_towns(
        c,
        y,
        "妇幼卫生",
        &format!("随县{y}年妇幼卫生工作年报（分乡镇）"),
        "填报单位：随县卫生健康局                单位：人、例",
        &groups,
        true,
        &["maternal_deaths"],
        &["注：1.活产数按产妇居住地统计；2.“—”表示无。", "填报人：张XX    审核人：李XX    填报日期：次年1月15日"],
    )]
}

pub(super) fn child_women_health_long(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    // (label, de, sex label, age label, unit)
    let items: [(&str, &str, &str, &str, &str, &str); 25] = [
        ("5岁以下儿童血红蛋白检测人数", "children_hb_tested", "_T", "Y0T4", "0-4岁", "人"),
        ("5岁以下儿童贫血人数", "children_anaemic", "_T", "Y0T4", "0-4岁", "人"),
        ("5岁以下儿童身高体重测量人数", "children_measured", "_T", "Y0T4", "0-4岁", "人"),
        ("5岁以下儿童生长迟缓人数", "children_stunted", "_T", "Y0T4", "0-4岁", "人"),
        ("5岁以下儿童低体重人数", "children_underweight", "_T", "Y0T4", "0-4岁", "人"),
        ("7岁以下儿童健康管理人数", "children_health_managed", "_T", "Y0T6", "0-6岁", "人"),
        ("0-6岁儿童眼保健和视力检查人数", "children_eye_checked", "_T", "Y0T6", "0-6岁", "人"),
        ("3岁以下儿童系统管理人数", "children_systematically_managed", "_T", "Y0T2", "0-2岁", "人"),
        ("12岁儿童口腔检查人数", "children_dental_examined", "_T", "Y12", "12岁", "人"),
        ("12岁儿童龋患人数", "children_caries", "_T", "Y12", "12岁", "人"),
        ("6个月内婴儿母乳喂养调查人数", "infants_lt6m_surveyed", "_T", "_T", "", "人"),
        ("6个月内婴儿纯母乳喂养人数", "infants_lt6m_exclusively_breastfed", "_T", "_T", "", "人"),
        ("国家免疫规划疫苗应种剂次", "nip_doses_due", "_T", "_T", "", "剂次"),
        ("国家免疫规划疫苗实种剂次", "nip_doses_administered", "_T", "_T", "", "剂次"),
        ("宫颈癌筛查人数", "cervical_cancer_screened", "F", "Y35T64", "35-64岁", "人"),
        ("乳腺癌筛查人数", "breast_cancer_screened", "F", "Y35T64", "35-64岁", "人"),
        ("高效宫颈癌筛查人数", "cervical_hpv_screened", "F", "Y35T45", "35-45岁", "人"),
        ("宫颈癌确诊人数", "cervical_cancer_diagnosed", "_T", "_T", "", "人"),
        ("宫颈癌治疗人数", "cervical_cancer_treated", "_T", "_T", "", "人"),
        ("艾滋病感染孕产妇数", "hiv_positive_mothers", "_T", "_T", "", "人"),
        ("艾滋病感染孕产妇抗病毒用药人数", "hiv_positive_mothers_on_art", "_T", "_T", "", "人"),
        ("儿童伤害死亡人数", "child_injury_deaths", "_T", "Y0T17", "0-17岁", "人"),
        ("儿童溺水死亡人数", "child_drowning_deaths", "_T", "Y0T17", "0-17岁", "人"),
        ("3岁以下婴幼儿托位数", "childcare_places_under3", "_T", "_T", "", "个"),
        ("儿科执业（助理）医师数", "paediatricians", "_T", "_T", "", "人"),
    ];
    let extra: [(&str, &str, &str); 5] = [
        ("梅毒感染孕产妇数", "syphilis_positive_mothers", "人"),
        ("梅毒感染孕产妇治疗人数", "syphilis_positive_mothers_treated", "人"),
        ("艾滋病感染孕产妇所生儿童数", "hiv_exposed_infants", "人"),
        ("艾滋病感染孕产妇所生儿童感染数", "hiv_exposed_infants_infected", "人"),
        ("儿科床位数", "paediatric_beds", "张"),
    ];
    let mut s = SheetSpec::new("保健服务");
    s.merge(0, 0, 0, 6, &format!("{y}年随县儿童和妇女保健服务情况（明细）"));
    s.text(1, 0, "报送单位：县卫健局妇幼股");
    let header = ["序号", "乡镇", "指标名称", "性别", "年龄组", "数值", "计量单位"];
    for (i, h) in header.iter().enumerate() {
        s.text(3, i as u16, h);
    }
    let mut r = 4u32;
    let mut n = 1;
    for (ti, (code, name)) in c.towns.iter().enumerate() {
        let rows =
            items.iter().map(|(l, de, sex, age, al, u)| (*l, *de, *sex, *age, *al, *u)).chain(extra.iter().map(|(l, de, u)| (*l, *de, "_T", "_T", "", *u)));
        for (label, de, sex, age, age_label, unit) in rows {
            let Some(v) = c.truth.get(de, code, y, sex, age) else { continue };
            s.put(r, 0, Val::Num(n as f64));
            s.text(r, 1, &town_label(name, y + 1, ti));
            s.text(r, 2, label);
            s.text(r, 3, if sex == "F" { "女" } else { "合计" });
            if !age_label.is_empty() {
                s.text(r, 4, age_label);
            }
            s.put(r, 5, render(v, style_for(y, r as usize, 5)));
            s.text(r, 6, unit);
            r += 1;
            n += 1;
        }
    }
    s.text(r + 1, 0, "说明：本表由各乡镇卫生院汇总，县妇幼保健院审核。");
    vec![s]
}

pub(super) fn population_crosstab(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    c.towns
        .iter()
        .enumerate()
        .map(|(ti, (code, name))| {
            let mut s = SheetSpec::new(&town_label(name, y, ti));
            s.merge(0, 0, 0, 3, &format!("{name}{y}年末户籍人口（按年龄、性别分）"));
            s.text(1, 3, "单位：人");
            for (i, h) in ["年龄组", "合计", "男", "女"].iter().enumerate() {
                s.text(2, i as u16, h);
            }
            for (ri, (label, age, _, _)) in model::AGE_GROUPS.iter().enumerate() {
                let r = 3 + ri as u32;
                s.text(r, 0, label);
                for (ci, sex) in ["_T", "M", "F"].iter().enumerate() {
                    s.put(r, 1 + ci as u16, render(c.truth.v("population", code, y, sex, age), style_for(y, ri, ci)));
                }
            }
            s.text(3 + model::AGE_GROUPS.len() as u32 + 1, 0, "注：年龄组有交叉，各组不可相加。");
            s
        })
        .collect()
}

fn towns_as_columns(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    let rows: [(&str, &str, &str, &str); 15] = [
        ("乡村人口", "万人", "rural_population", "_T"),
        ("农村户数", "户", "rural_households", "_T"),
        ("农村卫生厕所户数", "户", "rural_households_sanitary_toilet", "_T"),
        ("农村清洁能源使用户数", "户", "rural_households_clean_energy", "_T"),
        ("农村自来水受益人口", "人", "rural_tapwater_population", "_T"),
        ("就业人员数", "人", "employed_persons", "_T"),
        ("女性就业人员数", "人", "employed_persons", "F"),
        ("城镇单位就业人员数", "人", "urban_unit_employees", "_T"),
        ("城镇单位女性就业人员数", "人", "urban_unit_employees", "F"),
        ("城镇就业人员数", "人", "urban_employed_persons", "_T"),
        ("城镇女性就业人员数", "人", "urban_employed_persons", "F"),
        ("职工人数", "人", "workers", "_T"),
        ("女职工人数", "人", "workers", "F"),
        ("职工代表大会代表数", "人", "workers_congress_delegates", "_T"),
        ("职工代表大会女代表数", "人", "workers_congress_delegates", "F"),
    ];
    let mut s = SheetSpec::new("Sheet1");
    let n = c.towns.len() as u16;
    s.merge(0, 0, 0, n + 2, &format!("随县{y}年分乡镇主要社会经济指标"));
    s.text(2, 0, "指标");
    s.text(2, 1, "单位");
    for (ti, (_, name)) in c.towns.iter().enumerate() {
        s.text(2, 2 + ti as u16, &town_label(name, y + 2, ti));
    }
    s.text(2, 2 + n, "全县合计");
    for (ri, (label, unit, de, sex)) in rows.iter().enumerate() {
        let r = 3 + ri as u32;
        s.text(r, 0, label);
        s.text(r, 1, unit);
        let mut total = 0.0;
        for (ti, (code, _)) in c.towns.iter().enumerate() {
            let v = c.truth.v(de, code, y, sex, "_T");
            total += v;
            let val = if *unit == "万人" { Val::Num(v / 10000.0) } else { render(v, style_for(y, ri, ti)) };
            s.put(r, 2 + ti as u16, val);
        }
        s.put(r, 2 + n, Val::Num(if *unit == "万人" { total / 10000.0 } else { total }));
    }
    s.text(3 + rows.len() as u32 + 1, 0, "资料来源：县统计局、县农业农村局、县水利局、县总工会");
    vec![s]
}

pub(super) fn education_groups() -> Groups {
    vec![
        gf("学前教育在园幼儿", "pupils_preprimary", "其中：女"),
        g("公办园在园幼儿", "pupils_preprimary_public"),
        g("普惠性民办园在园幼儿", "pupils_preprimary_inclusive_private"),
        gf("小学在校生", "pupils_primary", "其中：女"),
        gf("初中在校生", "pupils_junior", "其中：女"),
        gf("高中阶段在校生", "pupils_upper_secondary", "其中：女"),
        gf("初中毕业生", "junior_graduates", "其中：女"),
        gf("该届小学一年级入学人数", "primary_grade1_cohort", "其中：女"),
        g("适龄残疾儿童数", "disabled_children_compulsory_age"),
        g("残疾儿童义务教育在校生", "disabled_children_enrolled"),
        g("小学生视力筛查人数", "vision_screened_primary"),
        g("小学生近视人数", "myopic_primary"),
        g("初中生视力筛查人数", "vision_screened_junior"),
        g("初中生近视人数", "myopic_junior"),
        g("高中生视力筛查人数", "vision_screened_senior"),
        g("高中生近视人数", "myopic_senior"),
        g("体质健康测试人数", "students_fitness_tested"),
        g("体质健康优良人数", "students_fitness_good"),
        g("中小学校数", "schools"),
        g("接入互联网学校数", "schools_with_internet"),
        g("幼儿园数", "kindergartens"),
        g("建立家长学校的学校和幼儿园数", "schools_kindergartens_with_parent_school"),
        g("专任教师数", "teachers"),
        g("网络学习空间注册教师数", "teachers_learning_space_registered"),
        // By the school's location (城镇 / 乡村), after the other columns.
        by_residence("城镇学校", "U", &[("初中毕业生", "junior_graduates"), ("该届小学一年级入学人数", "primary_grade1_cohort")]),
        by_residence("乡村学校", "R", &[("初中毕业生", "junior_graduates"), ("该届小学一年级入学人数", "primary_grade1_cohort")]),
    ]
}

pub(super) fn education(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    let groups = education_groups();
    vec![rows_as_towns(
        c,
        y,
        &format!("{y}教育统计"),
        &format!("随县{y}年教育事业统计分乡镇汇总表"),
        "单位：人、所",
        &groups,
        true,
        &[],
        &["备注：高中阶段含普通高中和中等职业学校。"],
    )]
}

pub(super) fn insurance_xls(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    let groups = vec![
        gmf("基本医疗保险参保人数", "medical_insured"),
        gmf("基本养老保险参保人数", "pension_insured"),
        gmf("失业保险参保人数", "unemployment_insured"),
        gmf("工伤保险参保人数", "work_injury_insured"),
        g("生育保险参保人数", "maternity_insured"),
        gmf("补贴性职业技能培训人数", "subsidised_training_participants"),
    ];
    vec![rows_as_towns(c, y, "参保", &format!("{y}年度随县社会保险参保情况统计表"), "单位：人", &groups, false, &[], &["数据截至当年12月31日。"])]
}

fn civil_affairs(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    let cols: [(&str, &str, &str); 16] = [
        ("镇级单位数", "towns", "_T"),
        ("村委会成员数", "village_committee_members", "_T"),
        ("村委会女性成员数", "village_committee_members", "F"),
        ("村委会主任数", "village_committee_directors", "_T"),
        ("女性村委会主任数", "village_committee_directors", "F"),
        ("居委会成员数", "residents_committee_members", "_T"),
        ("居委会女性成员数", "residents_committee_members", "F"),
        ("居委会主任数", "residents_committee_directors", "_T"),
        ("女性居委会主任数", "residents_committee_directors", "F"),
        ("社会组织负责人数", "social_org_leaders", "_T"),
        ("女性社会组织负责人数", "social_org_leaders", "F"),
        ("孤儿和事实无人抚养儿童数", "orphans_unattended_children", "_T"),
        ("纳入保障人数", "orphans_unattended_children_covered", "_T"),
        ("是否建立未成年人保护站(是=1)", "towns_with_minor_protection_station", "_T"),
        ("村(社区)数", "villages_communities", "_T"),
        ("建有儿童之家的村(社区)数", "villages_communities_with_children_home", "_T"),
    ];
    let mut s = SheetSpec::new("民政");
    s.merge(0, 0, 0, cols.len() as u16 + 1, &format!("随县{y}年基层群众自治组织和儿童福利情况"));
    s.text(2, 0, "单位名称");
    s.text(2, 1, "序号");
    for (i, (h, _, _)) in cols.iter().enumerate() {
        s.text(2, 2 + i as u16, h);
    }
    for (ti, (code, name)) in c.towns.iter().enumerate() {
        let r = 3 + ti as u32;
        s.text(r, 0, &town_label(name, y + 1, ti));
        s.put(r, 1, Val::Num((ti + 1) as f64));
        for (ci, (_, de, sex)) in cols.iter().enumerate() {
            if let Some(v) = c.truth.get(de, code, y, sex, "_T") {
                s.put(r, 2 + ci as u16, render(v, style_for(y, ti, ci)));
            }
        }
    }
    vec![s]
}

pub(super) fn organisation(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    let groups = vec![
        gf("村党组织成员", "village_party_committee_members", "女"),
        gf("村党组织书记", "village_party_secretaries", "女"),
        gf("社区党组织成员", "community_party_committee_members", "女"),
        gf("社区党组织书记", "community_party_secretaries", "女"),
        gf("中共党员", "party_members", "女"),
        gf("镇党政领导班子成员", "town_leaders", "女"),
        gf("镇党政正职", "town_chief_leaders", "女"),
        g("建立家长学校或家庭教育指导服务站点的村(社区)数", "villages_communities_with_parent_school"),
        g("儿童友好社区数", "child_friendly_communities"),
        g("妇女儿童活动中心数", "women_children_activity_centres"),
    ];
    vec![rows_as_towns(
        c,
        y,
        "组织",
        &format!("{y}年随县基层党组织及妇女儿童工作情况"),
        "报送单位：县委组织部、县妇联                  单位：人、个",
        &groups,
        true,
        &[],
        &["注：党员数为年末数。"],
    )]
}

pub(super) fn county_indicators(c: &Ctx, y: i32) -> Vec<SheetSpec> {
    let rows: [(&str, &str, &str, &str, &str); 14] = [
        ("空气质量监测天数", "天", "air_quality_monitored_days", "_T", "_T"),
        ("空气质量优良天数", "天", "air_quality_good_days", "_T", "_T"),
        ("声环境功能区夜间监测点次", "点次", "noise_night_monitored", "_T", "_T"),
        ("声环境功能区夜间达标点次", "点次", "noise_night_compliant", "_T", "_T"),
        ("地表水监测断面数", "个", "surface_water_sections_monitored", "_T", "_T"),
        ("达到或好于Ⅲ类水体断面数", "个", "surface_water_sections_good", "_T", "_T"),
        ("城镇污水排放量", "万吨", "urban_sewage_discharged", "_T", "_T"),
        ("城镇污水处理量", "万吨", "urban_sewage_treated", "_T", "_T"),
        ("女性人均预期寿命", "岁", "life_expectancy", "F", "_T"),
        ("女性平均受教育年限", "年", "mean_years_schooling", "F", "_T"),
        ("女性青壮年文盲率", "%", "illiteracy_rate", "F", "Y15T50"),
        ("用人单位数", "个", "employers", "_T", "_T"),
        ("参加生育保险的用人单位数", "个", "employers_maternity_insured", "_T", "_T"),
        ("孕产妇死亡率城乡差距", "1/10万", "maternal_mortality_urban_rural_gap", "_T", "_T"),
    ];
    let mut s = SheetSpec::new("全县");
    s.merge(0, 0, 0, 2, &format!("随县{y}年度环境和社会发展主要指标"));
    s.text(2, 0, "指标");
    s.text(2, 1, "计量单位");
    s.text(2, 2, "数值");
    let mut r = 3;
    for (label, unit, de, sex, age) in rows {
        let Some(v) = c.truth.get(de, c.county, y, sex, age) else { continue };
        s.text(r, 0, label);
        s.text(r, 1, unit);
        let val = if unit == "%" { Val::Text(format!("{v:.1}%")) } else { render(v, style_for(y, r as usize, 2)) };
        s.put(r, 2, val);
        r += 1;
    }
    s.text(r + 1, 0, "填报说明：预期寿命、受教育年限、文盲率为统计部门推算数。");
    vec![s]
}

/// One year's returns: (folder, file name, sheets, legacy xls?).
pub(super) fn returns_for_year(c: &Ctx, y: i32) -> Vec<(String, String, Vec<SheetSpec>, bool)> {
    vec![
        ("卫健局".into(), format!("{y}年妇幼卫生年报.xlsx"), mch_annual(c, y), false),
        ("卫健局".into(), format!("{y}年儿童和妇女保健服务情况.xlsx"), child_women_health_long(c, y), false),
        ("统计局".into(), format!("{y}年分乡镇人口年龄构成.xlsx"), population_crosstab(c, y), false),
        ("统计局".into(), format!("{y}年分乡镇主要社会经济指标.xlsx"), towns_as_columns(c, y), false),
        ("教育局".into(), format!("教育事业统计{y}.xlsx"), education(c, y), false),
        ("医保局".into(), format!("{y}年社会保险参保情况.xls"), insurance_xls(c, y), true),
        ("民政局".into(), format!("民政{y}年报.xlsx"), civil_affairs(c, y), false),
        ("组织部".into(), format!("{y}年基层党组织和妇女儿童工作.xlsx"), organisation(c, y), false),
        ("生态环境局".into(), format!("全县主要指标_{}.xlsx", y - 2019), county_indicators(c, y), false),
    ]
}

/// The returns of every sample year.
pub(super) fn returns(c: &Ctx) -> Vec<(String, String, Vec<SheetSpec>, bool)> {
    YEARS.iter().flat_map(|&y| returns_for_year(c, y)).collect()
}
