//! SVG line charts (plotters, SVG backend only: no fonts or system libraries are
//! needed; the viewer renders the text).

use std::path::Path;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::Error;

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// `(x, y)` points in order.
    pub points: Vec<(f64, f64)>,
    /// Dashed (e.g. held-out next to calibration).
    pub dashed: bool,
    /// Palette index: series that belong together share one.
    pub color: usize,
}

/// A chart's titles and scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart<'a> {
    /// Caption.
    pub title: &'a str,
    /// x-axis label.
    pub x: &'a str,
    /// y-axis label.
    pub y: &'a str,
    /// Logarithmic y axis (non-positive points are dropped).
    pub log_y: bool,
}

const SIZE: (u32, u32) = (900, 540);

/// Distinct colours that read on white (matplotlib's tab10 order).
const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
];

/// Draws `series` as lines with markers into the SVG file `path`.
pub fn line_chart(path: &Path, chart: &Chart<'_>, series: &[Series]) -> Result<(), Error> {
    draw(path, chart, series).map_err(|e| Error::Plot { path: path.to_owned(), message: e.to_string() })
}

fn draw(path: &Path, chart: &Chart<'_>, series: &[Series]) -> Result<(), Box<dyn std::error::Error>> {
    let kept: Vec<Series> = series
        .iter()
        .map(|s| Series { points: s.points.iter().copied().filter(|&(x, y)| x.is_finite() && y.is_finite() && (!chart.log_y || y > 0.0)).collect(), ..s.clone() })
        .collect();
    let all = || kept.iter().flat_map(|s| s.points.iter().copied());
    let (x0, x1) = bounds(all().map(|p| p.0), 0.0);
    let (y0, y1) = bounds(all().map(|p| p.1), if chart.log_y { 1.0 } else { 0.0 });
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut builder = ChartBuilder::on(&root);
    builder.caption(chart.title, ("sans-serif", 22)).margin(12).x_label_area_size(44).y_label_area_size(72);
    if chart.log_y {
        fill(builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?, chart, &kept)?;
    } else {
        fill(builder.build_cartesian_2d(x0..x1, y0..y1)?, chart, &kept)?;
    }
    root.present()?;
    Ok(())
}

/// Draws the mesh, the lines with markers and the legend on a built chart.
fn fill<'a, Y>(mut ctx: ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, Y>>, chart: &Chart<'_>, series: &[Series]) -> Result<(), Box<dyn std::error::Error>>
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    ctx.configure_mesh().x_desc(chart.x).y_desc(chart.y).label_style(("sans-serif", 14)).draw()?;
    for s in series {
        let (r, g, b) = PALETTE[s.color % PALETTE.len()];
        let style = ShapeStyle { color: RGBColor(r, g, b).to_rgba(), filled: false, stroke_width: 2 };
        let drawn = if s.dashed {
            ctx.draw_series(DashedLineSeries::new(s.points.clone(), 6, 4, style))?
        } else {
            ctx.draw_series(LineSeries::new(s.points.clone(), style))?
        };
        let dashed = s.dashed;
        drawn.label(s.label.clone()).legend(move |(x, y)| {
            // Three pieces: touching for a solid line, apart for a dashed one.
            let [a, b, c] = if dashed { [(0, 5), (9, 14), (18, 22)] } else { [(0, 8), (8, 15), (15, 22)] };
            let piece = |(from, to): (i32, i32)| PathElement::new(vec![(from, 0), (to, 0)], style);
            EmptyElement::at((x, y)) + piece(a) + piece(b) + piece(c)
        });
        ctx.draw_series(s.points.iter().map(|&p| Circle::new(p, 2, style.filled())))?;
    }
    ctx.configure_series_labels().background_style(WHITE.mix(0.9)).border_style(BLACK).position(SeriesLabelPosition::LowerRight).draw()?;
    Ok(())
}

/// A padded `[min, max]` of the values (`fallback` when there are none or one).
fn bounds(values: impl Iterator<Item = f64>, fallback: f64) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return if fallback > 0.0 { (fallback / 2.0, fallback * 2.0) } else { (fallback - 1.0, fallback + 1.0) };
    }
    if hi - lo < 1e-12 {
        let pad = (lo.abs() * 0.1).max(1e-6);
        return (lo - pad, hi + pad);
    }
    if lo > 0.0 && fallback > 0.0 {
        // A log axis: pad by a factor.
        return (lo / 1.2, hi * 1.2);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_svg_with_every_label() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("chart.svg");
        let series = vec![
            Series { label: "calibration".into(), points: vec![(0.0, 1.0), (1.0, 10.0), (2.0, 100.0)], dashed: false, color: 0 },
            Series { label: "held-out".into(), points: vec![(0.0, 2.0), (1.0, 0.0), (2.0, 50.0)], dashed: true, color: 0 },
        ];
        line_chart(&path, &Chart { title: "error by depth", x: "block", y: "error", log_y: true }, &series).expect("drawn");
        let svg = std::fs::read_to_string(&path).expect("written");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        for text in ["error by depth", "calibration", "held-out", "block"] {
            assert!(svg.contains(text), "the SVG shows '{text}'");
        }
    }

    #[test]
    fn bounds_pad_and_survive_empty_input() {
        assert_eq!(bounds([1.0, 3.0].into_iter(), 0.0), (0.9, 3.1));
        let (lo, hi) = bounds(std::iter::empty(), 1.0);
        assert!(lo < hi && lo > 0.0);
        let (lo, hi) = bounds([5.0].into_iter(), 0.0);
        assert!(lo < 5.0 && hi > 5.0);
    }
}
