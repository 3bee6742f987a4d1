//! The report's charts, drawn by plotters' SVG backend (no font file: plotters
//! estimates text widths, and the SVG's `<text>` is laid out by the browser with
//! the page's CJK font stack, so Chinese labels render).
//!
//! - [`series_chart`]: an indicator's values by year with the 95% interval band,
//!   the 2025 and 2030 target lines and the projection to the target years.
//! - [`towns_chart`]: the children's values for the report year, ranked, with the
//!   area's own value and the target marked.

use plotters::coord::types::RangedCoordi32;
use plotters::prelude::*;

use super::model::{ReportError, ReportModel};

/// The font family written into the SVG; the page's CSS gives the charts' text its
/// CJK font stack (`svg text { font-family: … }`), once rather than per label.
pub const FONT: &str = "sans-serif";

/// Okabe–Ito colours of the chart's elements.
const SERIES: RGBColor = RGBColor(0x00, 0x72, 0xB2); // blue
const BAND: RGBColor = RGBColor(0x56, 0xB4, 0xE9); // sky blue
const TARGET_2025: RGBColor = RGBColor(0xE6, 0x9F, 0x00); // orange
const TARGET_2030: RGBColor = RGBColor(0x00, 0x9E, 0x73); // bluish green
const PROJECTION: RGBColor = RGBColor(0xCC, 0x79, 0xA7); // reddish purple
const AREA_LINE: RGBColor = RGBColor(0xD5, 0x5E, 0x00); // vermillion
const BAR: RGBColor = RGBColor(0x99, 0x99, 0x99);
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// A year, its value and its 95% interval.
type YearValue = (i32, f64, Option<(f64, f64)>);

/// What a legend entry shows.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Line(RGBColor),
    Band,
    OpenDot,
}

/// The legend, drawn with plotters' elements in its own strip of the chart.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, entries: &[(String, Swatch)]) -> Result<(), String> {
    let font = (FONT, 11).into_font().color(&INK);
    for (i, (label, swatch)) in entries.iter().enumerate() {
        let y = 34 + 18 * i as i32;
        let r = match swatch {
            Swatch::Line(c) => area.draw(&PathElement::new(vec![(2, y), (18, y)], c.stroke_width(2))),
            Swatch::Band => area.draw(&Rectangle::new([(2, y - 5), (18, y + 5)], BAND.mix(0.3).filled())),
            Swatch::OpenDot => area.draw(&Circle::new((10, y), 3, INK.stroke_width(1))),
        };
        r.map_err(|x| x.to_string())?;
        area.draw(&Text::new(label.clone(), (22, y - 6), font.clone())).map_err(|x| x.to_string())?;
    }
    Ok(())
}

fn chart_err(indicator: &str) -> impl Fn(String) -> ReportError + '_ {
    move |detail| ReportError::Chart { indicator: indicator.to_string(), detail }
}

/// A value as a tick label: few digits, no trailing zeros.
fn tick(v: f64) -> String {
    let a = v.abs();
    let s = if a >= 1000.0 || (a - a.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The y range covering `vals` with a margin (a % stays within 0–100 where it can).
fn y_range(vals: &[f64], unit: &str) -> (f64, f64) {
    let (mut lo, mut hi) = vals.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if (hi - lo).abs() < 1e-9 {
        let pad = if hi.abs() > 1e-9 { hi.abs() * 0.1 } else { 1.0 };
        lo -= pad;
        hi += pad;
    }
    let pad = (hi - lo) * 0.08;
    lo -= pad;
    hi += pad;
    if lo < 0.0 && vals.iter().all(|v| *v >= 0.0) {
        lo = 0.0;
    }
    if unit == "%" && hi > 100.0 && vals.iter().all(|v| *v <= 100.0) {
        hi = 100.0;
    }
    (lo, hi)
}

/// One sex's panel of an indicator's series, as an SVG document.
///
/// `sex` is `_T`, `F` or `M`; `title` is the panel's caption (合计 / 女 / 男).
pub fn series_chart(m: &ReportModel, indicator: &str, sex: &str, title: &str) -> Result<Option<String>, ReportError> {
    guarded(indicator, || series_chart_inner(m, indicator, sex, title))
}

/// Runs a chart's drawing so that a panic inside the chart library (an arithmetic
/// overflow on a degenerate axis, say) becomes an error for that chart, not the end
/// of the report.
fn guarded(indicator: &str, f: impl FnOnce() -> Result<Option<String>, ReportError>) -> Result<Option<String>, ReportError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(ReportError::Chart { indicator: indicator.to_string(), detail: "the chart library failed on these values".to_string() }))
}

fn series_chart_inner(m: &ReportModel, indicator: &str, sex: &str, title: &str) -> Result<Option<String>, ReportError> {
    let Some(cat) = m.indicator(indicator) else { return Ok(None) };
    // Small counts: the status is assessed on the 3-year pooled rate, so that is the
    // line (with its interval), and the annual values are shown as open points.
    let pooled = m.progress_for(indicator, sex, m.kind.headline_target_year()).is_some_and(|p| p.series.as_deref() == Some("pooled_3y"));
    let series = m.series_for(indicator, sex);
    let annual: Vec<(i32, f64)> = series.iter().filter_map(|p| p.value.map(|v| (p.year, v))).collect();
    let points: Vec<YearValue> = series
        .iter()
        .filter_map(|p| {
            let (v, lo, hi) = if pooled { (p.pooled_value, p.pooled_ci_low, p.pooled_ci_high) } else { (p.value, p.ci_low, p.ci_high) };
            let ci = match (lo, hi) {
                (Some(l), Some(h)) => Some((l, h)),
                _ => None,
            };
            v.map(|v| (p.year, v, ci))
        })
        .collect();
    if points.is_empty() {
        return Ok(None);
    }
    let targets: Vec<(i32, f64)> = [2025, 2030]
        .iter()
        .filter_map(|ty| m.progress_for(indicator, sex, *ty).and_then(|p| p.target_value).or_else(|| cat.target(*ty)).map(|v| (*ty, v)))
        .collect();
    let latest = points.last().map(|p| (p.0, p.1));
    let projections: Vec<(i32, f64)> = m
        .kind
        .projected_target_years()
        .iter()
        .filter_map(|ty| m.progress_for(indicator, sex, *ty).and_then(|p| p.projected_value).map(|v| (*ty, v)))
        .filter(|(ty, _)| latest.is_some_and(|(y, _)| *ty > y))
        // A report for an earlier year: the database's projection is made from later data.
        .filter(|_| m.statuses_later().is_none())
        .collect();

    let first_year = points.first().map(|p| p.0).unwrap_or(m.year);
    let last_year = projections.iter().map(|p| p.0).chain(targets.iter().map(|t| t.0)).chain(points.iter().map(|p| p.0)).max().unwrap_or(m.year);
    let mut all: Vec<f64> = points.iter().flat_map(|p| [Some(p.1), p.2.map(|c| c.0), p.2.map(|c| c.1)]).flatten().collect();
    if pooled {
        all.extend(annual.iter().map(|p| p.1));
    }
    all.extend(targets.iter().map(|t| t.1));
    all.extend(projections.iter().map(|p| p.1));
    let (y0, y1) = y_range(&all, &cat.unit);

    let mut svg = String::new();
    let e = chart_err(indicator);
    {
        let root = SVGBackend::with_string(&mut svg, (440, 240)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
        // The legend in a strip on the right, so it never hides the data.
        let (plot, side) = root.split_horizontally(330);
        let mut legend: Vec<(String, Swatch)> = Vec::new();
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (FONT, 14).into_font().color(&INK))
            .margin(6)
            .margin_right(16)
            .x_label_area_size(22)
            .y_label_area_size(46)
            .build_cartesian_2d::<RangedCoordi32, _>((first_year..last_year).into(), y0..y1)
            .map_err(|x| e(x.to_string()))?;
        let span = (last_year - first_year).max(1) as usize;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(1)
            .x_labels(span.min(12) + 1)
            .x_label_formatter(&|x| format!("{x}"))
            .y_labels(6)
            .y_label_formatter(&|y| tick(*y))
            .label_style((FONT, 11).into_font().color(&INK))
            .draw()
            .map_err(|x| e(x.to_string()))?;

        legend.push(((if pooled { "3年合并率" } else { "监测值" }).into(), Swatch::Line(SERIES)));
        // The interval band: the upper edge left to right, then the lower edge back.
        let ci: Vec<(i32, f64, f64)> = points.iter().filter_map(|p| p.2.map(|(l, h)| (p.0, l, h))).collect();
        if ci.len() >= 2 {
            let poly: Vec<(i32, f64)> = ci.iter().map(|c| (c.0, c.2)).chain(ci.iter().rev().map(|c| (c.0, c.1))).collect();
            chart.draw_series(std::iter::once(Polygon::new(poly, BAND.mix(0.3).filled()))).map_err(|x| e(x.to_string()))?;
        } else {
            for c in &ci {
                chart.draw_series(std::iter::once(PathElement::new(vec![(c.0, c.1), (c.0, c.2)], BAND.stroke_width(3)))).map_err(|x| e(x.to_string()))?;
            }
        }
        if !ci.is_empty() {
            legend.push(("95%区间".into(), Swatch::Band));
        }
        for (ty, v) in &targets {
            let colour = if *ty == 2025 { TARGET_2025 } else { TARGET_2030 };
            chart.draw_series(DashedLineSeries::new(vec![(first_year, *v), (last_year, *v)], 6, 4, colour.stroke_width(2))).map_err(|x| e(x.to_string()))?;
            legend.push((format!("{ty}年目标 {}", tick(*v)), Swatch::Line(colour)));
        }
        if let (Some(l), false) = (latest, projections.is_empty()) {
            let line: Vec<(i32, f64)> = std::iter::once(l).chain(projections.iter().copied()).collect();
            chart.draw_series(DashedLineSeries::new(line, 3, 3, PROJECTION.stroke_width(2))).map_err(|x| e(x.to_string()))?;
            chart.draw_series(projections.iter().map(|p| Circle::new(*p, 3, PROJECTION.stroke_width(1)))).map_err(|x| e(x.to_string()))?;
            legend.push(("趋势预测".into(), Swatch::Line(PROJECTION)));
        }
        if pooled {
            chart.draw_series(annual.iter().map(|p| Circle::new(*p, 3, INK.stroke_width(1)))).map_err(|x| e(x.to_string()))?;
            legend.push(("当年值".into(), Swatch::OpenDot));
        }
        chart.draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), SERIES.stroke_width(2))).map_err(|x| e(x.to_string()))?;
        chart.draw_series(points.iter().map(|p| Circle::new((p.0, p.1), 3, SERIES.filled()))).map_err(|x| e(x.to_string()))?;
        draw_legend(&side, &legend).map_err(&e)?;
        root.present().map_err(|x| e(x.to_string()))?;
    }
    Ok(Some(svg))
}

/// The children's values of an indicator for the report year (one sex), ranked, with
/// the area's own value and the headline target year's target marked.
pub fn towns_chart(m: &ReportModel, indicator: &str, sex: &str) -> Result<Option<String>, ReportError> {
    guarded(indicator, || towns_chart_inner(m, indicator, sex))
}

fn towns_chart_inner(m: &ReportModel, indicator: &str, sex: &str) -> Result<Option<String>, ReportError> {
    let Some(cat) = m.indicator(indicator) else { return Ok(None) };
    let towns: Vec<(String, f64)> = m.towns_for(indicator, sex).into_iter().filter_map(|p| p.value.map(|v| (m.area_name(&p.area).to_string(), v))).collect();
    if towns.len() < 2 {
        return Ok(None);
    }
    let own = m.value_at(indicator, m.year, sex).and_then(|p| p.value);
    let ty = m.kind.headline_target_year();
    let target = m.progress_for(indicator, sex, ty).and_then(|p| p.target_value).or_else(|| cat.target(ty));
    let mut all: Vec<f64> = towns.iter().map(|t| t.1).collect();
    all.extend(own);
    all.extend(target);
    all.push(0.0);
    let (x0, x1) = y_range(&all, &cat.unit);
    let n = towns.len() as i32;
    let height = (60 + 16 * towns.len()).min(2000) as u32;

    let mut svg = String::new();
    let e = chart_err(indicator);
    {
        let root = SVGBackend::with_string(&mut svg, (440, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
        let (plot, side) = root.split_horizontally(330);
        let mut legend: Vec<(String, Swatch)> = Vec::new();
        let mut chart = ChartBuilder::on(&plot)
            .caption(
                format!("{}年各{}", m.year, if m.children.iter().all(|c| c.level == "county") { "县" } else { "乡镇" }),
                (FONT, 13).into_font().color(&INK),
            )
            .margin(6)
            .margin_right(16)
            .x_label_area_size(20)
            .y_label_area_size(96)
            .build_cartesian_2d(x0..x1, (0..n).into_segmented())
            .map_err(|x| e(x.to_string()))?;
        let names: Vec<String> = towns.iter().map(|t| t.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(1)
            .y_labels(towns.len())
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => usize::try_from(n - 1 - *i).ok().and_then(|k| names.get(k)).cloned().unwrap_or_default(),
                SegmentValue::Last => String::new(),
            })
            .x_labels(6)
            .x_label_formatter(&|x| tick(*x))
            .label_style((FONT, 11).into_font().color(&INK))
            .draw()
            .map_err(|x| e(x.to_string()))?;
        // Highest first, drawn from the top.
        chart
            .draw_series(towns.iter().enumerate().map(|(k, (_, v))| {
                let i = n - 1 - k as i32;
                let mut r = Rectangle::new([(x0.max(0.0).min(*v), SegmentValue::Exact(i)), (*v, SegmentValue::Exact(i + 1))], BAR.filled());
                r.set_margin(2, 2, 0, 0);
                r
            }))
            .map_err(|x| e(x.to_string()))?;
        if let Some(v) = own {
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(v, SegmentValue::Exact(0)), (v, SegmentValue::Last)], AREA_LINE.stroke_width(2))))
                .map_err(|x| e(x.to_string()))?;
            legend.push((format!("{} {}", m.area.name, tick(v)), Swatch::Line(AREA_LINE)));
        }
        if let Some(t) = target {
            chart
                .draw_series(DashedLineSeries::new(vec![(t, SegmentValue::Exact(0)), (t, SegmentValue::Last)], 6, 4, TARGET_2030.stroke_width(2)))
                .map_err(|x| e(x.to_string()))?;
            legend.push((format!("{ty}年目标 {}", tick(t)), Swatch::Line(TARGET_2030)));
        }
        draw_legend(&side, &legend).map_err(&e)?;
        root.present().map_err(|x| e(x.to_string()))?;
    }
    Ok(Some(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(12.5), "12.5");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(1234.4), "1234");
    }

    #[test]
    fn y_range_pads_and_keeps_percent_within_100() {
        let (lo, hi) = y_range(&[90.0, 99.5, 100.0], "%");
        assert!(lo < 90.0 && hi == 100.0);
        let (lo, hi) = y_range(&[5.0], "‰");
        assert!(lo < 5.0 && hi > 5.0);
        assert_eq!(y_range(&[], ""), (0.0, 1.0));
    }
}
