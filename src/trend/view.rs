//! The trend as the templates see it. Chart geometry (SVG coordinates, axis ticks,
//! downsampled date labels, tooltips) and table rows are computed here, so that
//! `trend.html.j2` and `trend.md.j2` only place elements. Every text from a report (file
//! names, inputs, rule ids) reaches the templates as data, to be escaped there.

use super::{Format, Run, Trend, Warning};
use crate::findings::ToolInfo;
use crate::report::templates::{self, TemplateKind};
use crate::report::view::group_thousands;
use crate::report::RenderError;
use serde::Serialize;

/// Renders the trend in `format`.
pub fn render(format: Format, trend: &Trend) -> Result<String, RenderError> {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(trend)?;
            s.push('\n');
            Ok(s)
        }
        Format::Html => templates::render_trend(TemplateKind::Html, &TrendView::build(trend)),
        Format::Markdown => {
            templates::render_trend(TemplateKind::Markdown, &TrendView::build(trend))
        }
    }
}

/// Rules drawn as small multiples (the tables list every rule).
pub const TOP_RULES: usize = 8;

// The big charts' viewBox and plot margins.
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 250.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = WIDTH - 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = HEIGHT - 40.0;
// The small multiples.
const SMALL_WIDTH: f64 = 300.0;
const SMALL_HEIGHT: f64 = 72.0;
const SMALL_PAD: f64 = 8.0;

#[derive(Debug, Serialize)]
pub struct TrendView<'a> {
    pub tool: &'a ToolInfo,
    pub title: &'static str,
    /// First and last run's date (UTC).
    pub first: String,
    pub last: String,
    pub runs: Vec<RunRow<'a>>,
    pub latest: Latest,
    pub warnings: &'a [Warning],
    /// Some run's new/fixed numbers are not comparable (a ⚠ in the tables).
    pub any_not_comparable: bool,
    pub severity_chart: BarChart,
    pub errors_chart: LineChart,
    pub rule_charts: Vec<SmallChart>,
    /// Findings, severities and objects over time (the Markdown sparklines).
    pub series: Vec<SeriesRow>,
    /// Every rule with a finding in some run.
    pub rules: Vec<SeriesRow>,
}

/// One run in the tables.
#[derive(Debug, Serialize)]
pub struct RunRow<'a> {
    pub index: usize,
    /// `YYYY-MM-DD HH:MM` (UTC).
    pub date: String,
    /// The date is the file's modification time.
    pub file_time: bool,
    pub file: &'a str,
    pub inputs: String,
    pub target: &'a str,
    pub objects_in_scope: u64,
    pub objects_with_errors: u64,
    pub error: u64,
    pub warning: u64,
    pub info: u64,
    pub total: u64,
    pub new: Option<u64>,
    pub fixed: Option<u64>,
    pub comparable: bool,
    pub incomplete: bool,
}

/// The latest run against the one before.
#[derive(Debug, Serialize)]
pub struct Latest {
    pub findings: u64,
    pub objects_with_errors: u64,
    pub objects_in_scope: u64,
    /// `+3`, `−2`, `±0`; none with a single run.
    pub findings_delta: Option<String>,
    pub errors_delta: Option<String>,
    pub new: Option<u64>,
    pub fixed: Option<u64>,
    pub comparable: bool,
}

/// A series in a table: a text sparkline and its numbers.
#[derive(Debug, Serialize)]
pub struct SeriesRow {
    pub label: String,
    pub sparkline: String,
    pub first: u64,
    pub last: u64,
    pub min: u64,
    pub max: u64,
}

/// A chart's frame: viewBox, plot area, axis ticks and labels.
#[derive(Debug, Serialize)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    /// Middle of the plot's height (the y axis title).
    pub middle: f64,
    pub y_ticks: Vec<Tick>,
    /// Dates under some runs: at most a handful, the latest run always labelled.
    pub x_labels: Vec<Tick>,
}

#[derive(Debug, Serialize)]
pub struct Tick {
    pub pos: f64,
    pub label: String,
    /// SVG `text-anchor`: a date label at the edge of the chart ends (or starts) at its
    /// run instead of being cut off.
    pub anchor: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// `error`, `warning` or `info`.
    pub class: &'static str,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub title: String,
}

/// Findings per run, stacked by severity.
#[derive(Debug, Serialize)]
pub struct BarChart {
    pub frame: Frame,
    pub rects: Vec<Rect>,
}

/// A line with a dot (and tooltip) per run.
#[derive(Debug, Serialize)]
pub struct LineChart {
    pub frame: Frame,
    /// SVG `points` of the polyline.
    pub points: String,
    pub dots: Vec<Dot>,
    pub radius: f64,
}

/// One rule's findings over time, on its own scale.
#[derive(Debug, Serialize)]
pub struct SmallChart {
    pub rule: String,
    pub last: u64,
    pub max: u64,
    pub width: f64,
    pub height: f64,
    pub baseline: f64,
    pub points: String,
    pub dots: Vec<Dot>,
    pub radius: f64,
}

impl<'a> TrendView<'a> {
    pub fn build(trend: &'a Trend) -> TrendView<'a> {
        let runs = &trend.runs;
        let labels = axis_labels(runs);
        let stamp = |r: &Run| format!("Run {} · {} UTC", r.index, date_time(r));
        let latest = runs.last();
        let before = runs.len().checked_sub(2).and_then(|i| runs.get(i));
        let pick = |f: fn(&Run) -> u64| runs.iter().map(f).collect::<Vec<u64>>();
        let series = [
            ("Findings", pick(|r| r.findings_total)),
            ("Errors", pick(|r| r.findings_by_severity.error)),
            ("Warnings", pick(|r| r.findings_by_severity.warning)),
            ("Info", pick(|r| r.findings_by_severity.info)),
            ("Objects with errors", pick(|r| r.objects_with_errors)),
            ("Objects in scope", pick(|r| r.objects_in_scope)),
        ]
        .into_iter()
        .map(|(label, values)| series_row(label.to_string(), &values))
        .collect();

        let severity_chart = {
            let max = runs.iter().map(stacked_total).max().unwrap_or(0);
            let (frame, scale) = frame(max, runs.len(), &labels, LEFT, RIGHT, TOP, BOTTOM);
            let w = (scale.slot * 0.7).clamp(1.0, 56.0);
            let mut rects = Vec::new();
            for (i, r) in runs.iter().enumerate() {
                let s = r.findings_by_severity;
                let title = format!(
                    "{}: {} ({} error{}, {} warning{}, {} info)",
                    stamp(r),
                    count(r.findings_total, "finding", "findings"),
                    group_thousands(s.error),
                    plural(s.error),
                    group_thousands(s.warning),
                    plural(s.warning),
                    group_thousands(s.info),
                );
                let mut below = 0u64;
                for (class, n) in [("error", s.error), ("warning", s.warning), ("info", s.info)] {
                    if n == 0 {
                        continue;
                    }
                    let top = below.saturating_add(n);
                    let (y0, y1) = (scale.y(below), scale.y(top));
                    rects.push(Rect {
                        x: round(scale.x(i) - w / 2.0),
                        y: round(y1),
                        w: round(w),
                        h: round((y0 - y1).max(0.5)),
                        class,
                        title: title.clone(),
                    });
                    below = top;
                }
            }
            BarChart { frame, rects }
        };

        let errors_chart = {
            let max = runs
                .iter()
                .map(|r| r.objects_with_errors)
                .max()
                .unwrap_or(0);
            let (frame, scale) = frame(max, runs.len(), &labels, LEFT, RIGHT, TOP, BOTTOM);
            let values: Vec<(f64, f64)> = runs
                .iter()
                .enumerate()
                .map(|(i, r)| (scale.x(i), scale.y(r.objects_with_errors)))
                .collect();
            let dots = runs
                .iter()
                .zip(&values)
                .map(|(r, &(x, y))| Dot {
                    x: round(x),
                    y: round(y),
                    title: format!(
                        "{}: {} with errors, of {} in scope",
                        stamp(r),
                        count(r.objects_with_errors, "object", "objects"),
                        group_thousands(r.objects_in_scope)
                    ),
                })
                .collect();
            LineChart {
                frame,
                points: polyline(&values),
                dots,
                radius: radius(runs.len()),
            }
        };

        let rule_charts = trend
            .rules
            .iter()
            .take(TOP_RULES)
            .map(|s| {
                let max = s.counts.iter().copied().max().unwrap_or(0);
                let scale = Scale::new(
                    max.max(1),
                    runs.len(),
                    SMALL_PAD,
                    SMALL_WIDTH - SMALL_PAD,
                    SMALL_PAD,
                    SMALL_HEIGHT - SMALL_PAD,
                );
                let values: Vec<(f64, f64)> = s
                    .counts
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| (scale.x(i), scale.y(n)))
                    .collect();
                let dots = runs
                    .iter()
                    .zip(&s.counts)
                    .zip(&values)
                    .map(|((r, &n), &(x, y))| Dot {
                        x: round(x),
                        y: round(y),
                        title: format!(
                            "{}: {} of {}",
                            stamp(r),
                            count(n, "finding", "findings"),
                            s.rule
                        ),
                    })
                    .collect();
                SmallChart {
                    rule: s.rule.clone(),
                    last: s.counts.last().copied().unwrap_or(0),
                    max,
                    width: SMALL_WIDTH,
                    height: SMALL_HEIGHT,
                    baseline: SMALL_HEIGHT - SMALL_PAD,
                    points: polyline(&values),
                    dots,
                    radius: radius(runs.len()).min(3.0),
                }
            })
            .collect();

        TrendView {
            tool: &trend.tool,
            title: "Findings over time",
            first: runs.first().map(date_time).unwrap_or_default(),
            last: latest.map(date_time).unwrap_or_default(),
            runs: runs.iter().map(run_row).collect(),
            latest: Latest {
                findings: latest.map_or(0, |r| r.findings_total),
                objects_with_errors: latest.map_or(0, |r| r.objects_with_errors),
                objects_in_scope: latest.map_or(0, |r| r.objects_in_scope),
                findings_delta: latest
                    .zip(before)
                    .map(|(l, b)| delta(l.findings_total, b.findings_total)),
                errors_delta: latest
                    .zip(before)
                    .map(|(l, b)| delta(l.objects_with_errors, b.objects_with_errors)),
                new: latest.and_then(|r| r.new),
                fixed: latest.and_then(|r| r.fixed),
                comparable: latest.is_none_or(|r| r.comparable),
            },
            warnings: &trend.warnings,
            any_not_comparable: runs.iter().any(|r| !r.comparable),
            severity_chart,
            errors_chart,
            rule_charts,
            series,
            rules: trend
                .rules
                .iter()
                .map(|s| series_row(s.rule.clone(), &s.counts))
                .collect(),
        }
    }
}

fn run_row(r: &Run) -> RunRow<'_> {
    RunRow {
        index: r.index,
        date: date_time(r),
        file_time: r.time_source == super::TimeSource::FileModified,
        file: &r.file,
        inputs: r.inputs.join(", "),
        target: &r.target,
        objects_in_scope: r.objects_in_scope,
        objects_with_errors: r.objects_with_errors,
        error: r.findings_by_severity.error,
        warning: r.findings_by_severity.warning,
        info: r.findings_by_severity.info,
        total: r.findings_total,
        new: r.new,
        fixed: r.fixed,
        comparable: r.comparable,
        incomplete: r.incomplete,
    }
}

/// The bars' height: the severities stacked (the total of a report that counts other
/// severities could differ).
fn stacked_total(r: &Run) -> u64 {
    let s = r.findings_by_severity;
    s.error.saturating_add(s.warning).saturating_add(s.info)
}

fn date_time(r: &Run) -> String {
    r.at.strftime("%Y-%m-%d %H:%M").to_string()
}

/// The runs' dates under the x axis: the day when no two runs share one, else the day
/// and time.
fn axis_labels(runs: &[Run]) -> Vec<String> {
    let days: Vec<String> = runs
        .iter()
        .map(|r| r.at.strftime("%Y-%m-%d").to_string())
        .collect();
    if days.windows(2).all(|w| w[0] != w[1]) {
        days
    } else {
        runs.iter().map(date_time).collect()
    }
}

/// Maps run indexes and values to plot coordinates.
struct Scale {
    /// The value at the top of the plot.
    top_value: u64,
    left: f64,
    /// Width per run; each run sits in the middle of its slot.
    slot: f64,
    top: f64,
    bottom: f64,
}

impl Scale {
    fn new(top_value: u64, runs: usize, left: f64, right: f64, top: f64, bottom: f64) -> Scale {
        Scale {
            top_value: top_value.max(1),
            left,
            slot: (right - left) / runs.max(1) as f64,
            top,
            bottom,
        }
    }
    fn x(&self, i: usize) -> f64 {
        self.left + self.slot * (i as f64 + 0.5)
    }
    fn y(&self, v: u64) -> f64 {
        let share = (v as f64 / self.top_value as f64).min(1.0);
        self.bottom - share * (self.bottom - self.top)
    }
}

/// A frame for values up to `max`, with round y ticks and at most a handful of x labels.
fn frame(
    max: u64,
    runs: usize,
    labels: &[String],
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
) -> (Frame, Scale) {
    let step = nice_step(max);
    let top_value = max.div_ceil(step).max(1).saturating_mul(step);
    let scale = Scale::new(top_value, runs, left, right, top, bottom);
    let mut y_ticks = Vec::new();
    let mut v = 0u64;
    while v <= top_value && y_ticks.len() < 12 {
        y_ticks.push(Tick {
            pos: round(scale.y(v)),
            label: group_thousands(v),
            anchor: "end",
        });
        match v.checked_add(step) {
            Some(n) => v = n,
            None => break,
        }
    }
    // Keep date labels apart (about 7 units per character and a gap), counting back
    // from the latest run, which is always labelled.
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let room = ((right - left) / (longest as f64 * 7.0 + 24.0))
        .floor()
        .max(1.0);
    let every = (1..=runs.max(1))
        .find(|k| (runs as f64 / *k as f64) <= room)
        .unwrap_or(1);
    let x_labels = (0..runs)
        .filter(|i| (runs - 1 - i) % every == 0)
        .filter_map(|i| {
            let pos = scale.x(i);
            // About 6.6 units per character at the labels' 11px.
            let half = labels.get(i)?.chars().count() as f64 * 3.3;
            Some(Tick {
                pos: round(pos),
                label: labels.get(i)?.clone(),
                anchor: if pos + half > WIDTH {
                    "end"
                } else if pos - half < 0.0 {
                    "start"
                } else {
                    "middle"
                },
            })
        })
        .collect();
    let frame = Frame {
        width: WIDTH,
        height: HEIGHT,
        left,
        right,
        top,
        bottom,
        middle: round((top + bottom) / 2.0),
        y_ticks,
        x_labels,
    };
    (frame, scale)
}

/// A round step (1, 2 or 5 times a power of ten) giving about four ticks up to `max`.
fn nice_step(max: u64) -> u64 {
    let raw = max.div_ceil(4).max(1);
    let mut magnitude: u64 = 1;
    while let Some(next) = magnitude.checked_mul(10) {
        if next > raw {
            break;
        }
        magnitude = next;
    }
    [1u64, 2, 5, 10]
        .iter()
        .filter_map(|m| m.checked_mul(magnitude))
        .find(|s| *s >= raw)
        .unwrap_or(raw)
}

fn polyline(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{},{}", round(*x), round(*y)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Dots shrink as runs get closer together.
fn radius(runs: usize) -> f64 {
    match runs {
        0..=20 => 4.0,
        21..=50 => 3.0,
        _ => 2.0,
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group_thousands(n), if n == 1 { one } else { many })
}

/// `+3`, `−2` or `±0`.
fn delta(now: u64, before: u64) -> String {
    if now > before {
        format!("+{}", group_thousands(now - before))
    } else if now < before {
        format!("−{}", group_thousands(before - now))
    } else {
        "±0".into()
    }
}

fn series_row(label: String, values: &[u64]) -> SeriesRow {
    SeriesRow {
        label,
        sparkline: sparkline(values),
        first: values.first().copied().unwrap_or(0),
        last: values.last().copied().unwrap_or(0),
        min: values.iter().copied().min().unwrap_or(0),
        max: values.iter().copied().max().unwrap_or(0),
    }
}

/// A text sparkline: ▁ for zero, ▇ for the maximum, any other value at least ▂ (so a
/// single finding never looks like none).
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 5] = ['▁', '▂', '▃', '▅', '▇'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                return BARS[0];
            }
            // 1..=4 by the share of the maximum, in u128 so no count can overflow.
            let level = 1 + (u128::from(v) * 3 / u128::from(max)).min(3);
            BARS.get(usize::try_from(level).unwrap_or(4))
                .copied()
                .unwrap_or(BARS[4])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trend::{BySeverity, RuleSeries, TimeSource};

    fn run(index: usize, seconds: i64, error: u64, warning: u64) -> Run {
        let at = jiff::Timestamp::from_second(seconds).unwrap();
        Run {
            index,
            file: format!("<b>report-{index}.json"),
            generated_at: at.to_string(),
            time_source: TimeSource::Report,
            at,
            inputs: vec!["x.ldif".into()],
            target: "connect-sync".into(),
            tool_version: "0".into(),
            objects_in_scope: 10,
            objects_with_errors: error,
            findings_total: error + warning,
            findings_by_severity: BySeverity {
                error,
                warning,
                info: 0,
            },
            findings_by_rule: Default::default(),
            new: None,
            fixed: None,
            comparable: true,
            filtered: false,
            incomplete: false,
        }
    }

    fn trend(runs: Vec<Run>) -> Trend {
        let counts = runs.iter().map(|r| r.findings_total).collect();
        Trend {
            tool: ToolInfo {
                name: "dirready".into(),
                version: "0".into(),
            },
            runs,
            rules: vec![RuleSeries {
                rule: "<script>x</script>".into(),
                counts,
            }],
            warnings: vec![],
        }
    }

    #[test]
    fn sparklines_scale_to_the_maximum() {
        assert_eq!(sparkline(&[0, 1, 5, 7, 10]), "▁▂▃▅▇");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
        assert_eq!(sparkline(&[u64::MAX, 1]), "▇▂");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn round_steps() {
        assert_eq!(nice_step(0), 1);
        assert_eq!(nice_step(4), 1);
        assert_eq!(nice_step(7), 2);
        assert_eq!(nice_step(17), 5);
        assert_eq!(nice_step(1234), 500);
        assert!(nice_step(u64::MAX) > 0);
        assert_eq!(delta(3, 5), "−2");
        assert_eq!(delta(1500, 3), "+1,497");
        assert_eq!(delta(2, 2), "±0");
    }

    #[test]
    fn one_run_sits_in_the_middle() {
        let t = trend(vec![run(1, 0, 3, 1)]);
        let v = TrendView::build(&t);
        assert_eq!(v.errors_chart.dots.len(), 1);
        assert_eq!(v.errors_chart.dots[0].x, (LEFT + RIGHT) / 2.0);
        assert_eq!(v.severity_chart.rects.len(), 2);
        assert_eq!(v.severity_chart.frame.x_labels.len(), 1);
        assert_eq!(v.latest.findings_delta, None);
        // Ticks 0..=3 for 3 errors plus 1 warning stacked to 4.
        let ticks: Vec<&str> = v
            .severity_chart
            .frame
            .y_ticks
            .iter()
            .map(|t| t.label.as_str())
            .collect();
        assert_eq!(ticks, ["0", "1", "2", "3", "4"]);
    }

    #[test]
    fn a_hundred_runs_keep_few_labels_and_the_latest() {
        let runs = (0..100)
            .map(|i| run(i + 1, i64::try_from(i).unwrap() * 86_400, i as u64, 1))
            .collect();
        let t = trend(runs);
        let v = TrendView::build(&t);
        let labels = &v.severity_chart.frame.x_labels;
        assert!(labels.len() >= 5 && labels.len() <= 10, "{labels:?}");
        assert_eq!(labels.last().unwrap().label, "1970-04-10");
        assert_eq!(v.severity_chart.rects.len(), 199);
        assert!(v.severity_chart.rects.iter().all(|r| r.w >= 1.0
            && r.x >= LEFT
            && r.x + r.w <= RIGHT
            && r.y >= TOP - 0.1
            && r.y + r.h <= BOTTOM + 0.1));
        assert_eq!(v.latest.findings_delta.as_deref(), Some("+1"));
        assert_eq!(v.rules[0].sparkline.chars().count(), 100);
    }

    #[test]
    fn same_day_runs_are_labelled_with_the_time() {
        let t = trend(vec![run(1, 3600, 1, 0), run(2, 7200, 2, 0)]);
        let v = TrendView::build(&t);
        let labels: Vec<&str> = v
            .errors_chart
            .frame
            .x_labels
            .iter()
            .map(|t| t.label.as_str())
            .collect();
        assert_eq!(labels, ["1970-01-01 01:00", "1970-01-01 02:00"]);
    }

    #[test]
    fn hostile_names_are_escaped_and_no_script() {
        let t = trend(vec![run(1, 0, 3, 1), run(2, 86_400, 2, 1)]);
        let html = render(Format::Html, &t).unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>report"));
        assert!(html.contains("&lt;b&gt;report-1.json"));
        assert!(html.contains("&lt;script&gt;x&lt;&#x2f;script&gt;"));
        assert!(html.contains("script-src 'none'"));
        let md = render(Format::Markdown, &t).unwrap();
        assert!(!md.contains("<b>") && !md.contains("<script"), "{md}");
        let json: serde_json::Value =
            serde_json::from_str(&render(Format::Json, &t).unwrap()).unwrap();
        assert_eq!(json["runs"][1]["findings_by_severity"]["error"], 2);
    }
}
