//! Charts drawn on the server: the geometry of SVG bar charts, which `charts.html` turns
//! into markup. Every bar carries its number as a label or a title, so a chart reads
//! without colour; series differ by fill and outline, not by hue alone.

use serde::Serialize;

/// Width of a wide chart's coordinate system (desktop; the SVG scales to its box).
pub(crate) const WIDE: f64 = 720.0;
/// Width of a narrow chart's coordinate system (phones: text stays readable at 360 px).
pub(crate) const NARROW: f64 = 360.0;

/// One bar.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// `a` or `b`: the series (drawn filled or outlined).
    pub series: &'static str,
    /// What a pointer or a screen reader gets.
    pub title: String,
}

/// A label on an axis.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Tick {
    pub x: f64,
    pub y: f64,
    pub text: String,
    /// SVG `text-anchor`: the last category label ends at the plot's edge.
    pub anchor: &'static str,
}

/// A vertical bar chart of one or two series over categories (days).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Columns {
    pub width: f64,
    pub height: f64,
    pub bars: Vec<Bar>,
    /// Category labels under the plot.
    pub x_ticks: Vec<Tick>,
    /// Value labels left of the plot, with their gridlines' y.
    pub y_ticks: Vec<Tick>,
    /// The plot's left and right edges (gridlines).
    pub left: f64,
    pub right: f64,
    /// One sentence for screen readers.
    pub summary: String,
}

/// A step that gives about four gridlines up to `max`: 1, 2 or 5 times a power of ten.
fn step(max: u64) -> u64 {
    let raw = (max.max(1) as f64 / 4.0).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    let nice = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    nice.round().max(1.0) as u64
}

/// Columns of `values` (`(label, a, b)` per category; `b` drawn only when `two`), the
/// category labelled every `label_every`-th and last.
pub(crate) fn columns(
    width: f64,
    values: &[(String, u64, u64)],
    names: (&str, &str),
    two: bool,
    label_every: usize,
    summary: String,
) -> Columns {
    let (height, top, bottom, left, right) = (220.0, 10.0, 26.0, 40.0, width - 8.0);
    let plot_h = height - top - bottom;
    let max = values.iter().map(|v| v.1.max(v.2)).max().unwrap_or(0);
    let step = step(max);
    let ceiling = (max.div_ceil(step)).max(1) * step;
    let scale = |v: u64| v as f64 / ceiling as f64 * plot_h;
    let slot = (right - left) / values.len().max(1) as f64;
    let gap = (slot * 0.2).min(4.0);
    let bar_w = if two { (slot - gap) / 2.0 } else { slot - gap };
    let mut bars = Vec::new();
    let mut x_ticks = Vec::new();
    for (i, (label, a, b)) in values.iter().enumerate() {
        let x0 = left + i as f64 * slot + gap / 2.0;
        let title = if two {
            format!("{label}: {a} {}, {b} {}", names.0, names.1)
        } else {
            format!("{label}: {a} {}", names.0)
        };
        let mut push = |x: f64, v: u64, series: &'static str| {
            let h = scale(v);
            bars.push(Bar {
                x: round(x),
                y: round(top + plot_h - h),
                w: round(bar_w),
                h: round(h),
                series,
                title: title.clone(),
            });
        };
        push(x0, *a, "a");
        if two {
            push(x0 + bar_w, *b, "b");
        }
        if i % label_every.max(1) == 0 || i + 1 == values.len() {
            let last = i + 1 == values.len();
            x_ticks.push(Tick {
                x: if last {
                    right
                } else {
                    round(x0 + (slot - gap) / 2.0)
                },
                y: height - 8.0,
                text: label.clone(),
                anchor: if last { "end" } else { "middle" },
            });
        }
    }
    // Drop a label that would overlap the last one.
    if x_ticks.len() >= 2 {
        let n = x_ticks.len();
        if x_ticks[n - 1].x - x_ticks[n - 2].x < slot * label_every.max(1) as f64 * 0.9 {
            x_ticks.remove(n - 2);
        }
    }
    let y_ticks = (0..=ceiling / step)
        .map(|k| {
            let v = k * step;
            Tick {
                x: left - 6.0,
                y: round(top + plot_h - scale(v)),
                text: v.to_string(),
                anchor: "end",
            }
        })
        .collect();
    Columns {
        width,
        height,
        bars,
        x_ticks,
        y_ticks,
        left,
        right,
        summary,
    }
}

/// A horizontal bar with its label and value written beside it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Row {
    pub label: String,
    pub value: u64,
    pub y: f64,
    pub w: f64,
    /// A class for the bar (the priority), on top of the labels.
    pub class: String,
}

/// A horizontal bar chart.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Rows {
    pub width: f64,
    pub height: f64,
    /// Where bars start (labels to the left).
    pub left: f64,
    pub bar_h: f64,
    pub rows: Vec<Row>,
    pub summary: String,
}

/// Horizontal bars of `(label, value, class)`, scaled to the largest.
pub(crate) fn rows(width: f64, values: &[(String, u64, String)], summary: String) -> Rows {
    let (left, bar_h, pitch) = (80.0, 22.0, 30.0);
    // Room on the right for the number after the longest bar.
    let room = width - left - 60.0;
    let max = values.iter().map(|v| v.1).max().unwrap_or(0).max(1);
    Rows {
        width,
        height: pitch * values.len() as f64 + 4.0,
        left,
        bar_h,
        rows: values
            .iter()
            .enumerate()
            .map(|(i, (label, value, class))| Row {
                label: label.clone(),
                value: *value,
                y: 2.0 + pitch * i as f64,
                w: round(*value as f64 / max as f64 * room),
                class: class.clone(),
            })
            .collect(),
        summary,
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_numbers() {
        assert_eq!(step(0), 1);
        assert_eq!(step(3), 1);
        assert_eq!(step(9), 5);
        assert_eq!(step(40), 10);
        assert_eq!(step(41), 20);
        assert_eq!(step(1234), 500);
    }

    #[test]
    fn column_heights_are_proportional_and_titled() {
        let c = columns(
            WIDE,
            &[("1 Dec".into(), 4, 2), ("2 Dec".into(), 0, 8)],
            ("opened", "resolved"),
            true,
            7,
            String::new(),
        );
        assert_eq!(c.bars.len(), 4);
        let h: Vec<f64> = c.bars.iter().map(|b| b.h).collect();
        assert!((h[0] - 2.0 * h[1]).abs() < 0.2, "{h:?}");
        assert_eq!(h[2], 0.0);
        assert!(h[3] > h[0]);
        assert_eq!(c.bars[0].title, "1 Dec: 4 opened, 2 resolved");
        // Every bar stands on the baseline and stays inside the plot.
        let base = c.bars[0].y + c.bars[0].h;
        for b in &c.bars {
            assert!((b.y + b.h - base).abs() < 0.2);
            assert!(b.x >= c.left && b.x + b.w <= c.right + 0.1);
        }
        // The top gridline is at or above the largest value.
        let top: u64 = c.y_ticks.last().unwrap().text.parse().unwrap();
        assert!(top >= 8);
    }

    #[test]
    fn rows_scale_to_the_largest() {
        let r = rows(
            NARROW,
            &[
                ("high".into(), 10, "high".into()),
                ("low".into(), 5, "low".into()),
                ("none".into(), 0, "x".into()),
            ],
            String::new(),
        );
        assert!((r.rows[0].w - 2.0 * r.rows[1].w).abs() < 0.2);
        assert_eq!(r.rows[2].w, 0.0);
        assert!(r.left + r.rows[0].w <= r.width);
    }
}
