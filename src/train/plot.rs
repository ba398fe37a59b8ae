//! The loss curve as a small hand-written SVG (no plotting dependency):
//! training loss as a line, validation loss as dots, step on the x axis.

use std::fmt::Write;

use super::trainer::Metric;

const W: f64 = 640.0;
const H: f64 = 360.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 40.0;

/// Renders the training and validation losses of `metrics` as SVG.
pub fn loss_svg(metrics: &[Metric]) -> String {
    let train: Vec<(f64, f64)> = points(metrics, "train");
    let val: Vec<(f64, f64)> = points(metrics, "val");
    let all: Vec<&(f64, f64)> = train.iter().chain(&val).collect();
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="16" text-anchor="middle" font-size="13">MLM loss</text>"#,
        W / 2.0
    );
    if all.is_empty() {
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">no steps yet</text></svg>"#,
            W / 2.0,
            H / 2.0
        );
        return svg;
    }
    let x_max = all.iter().map(|p| p.0).fold(1.0f64, f64::max);
    let y_min = all
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let y_max = all.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let y_max = if y_max > y_min { y_max } else { y_min + 1.0 };
    let sx = |x: f64| LEFT + x / x_max * (W - LEFT - RIGHT);
    let sy = |y: f64| TOP + (1.0 - (y - y_min) / (y_max - y_min)) * (H - TOP - BOTTOM);
    // Axes with five ticks each.
    let _ = writeln!(
        svg,
        r#"<path d="M{LEFT},{TOP} V{} H{}" fill="none" stroke="black"/>"#,
        H - BOTTOM,
        W - RIGHT
    );
    for i in 0..=4 {
        let fx = x_max * i as f64 / 4.0;
        let fy = y_min + (y_max - y_min) * i as f64 / 4.0;
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{:.0}</text>"#,
            sx(fx),
            H - BOTTOM + 14.0,
            fx
        );
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{:.2}</text><line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/>"##,
            LEFT - 4.0,
            sy(fy) + 4.0,
            fy,
            W - RIGHT,
            sy(fy),
            sy(fy)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">step</text>"#,
        W / 2.0,
        H - 6.0
    );
    if !train.is_empty() {
        let mut d = String::new();
        for (i, (x, y)) in train.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                sx(*x),
                sy(*y)
            );
        }
        let _ = writeln!(
            svg,
            r##"<path d="{}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>"##,
            d.trim_end()
        );
    }
    for (x, y) in &val {
        let _ = writeln!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#d62728"/>"##,
            sx(*x),
            sy(*y)
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" fill="#1f77b4">train</text><text x="{}" y="{}" fill="#d62728">validation</text>"##,
        W - 150.0,
        TOP + 12.0,
        W - 100.0,
        TOP + 12.0
    );
    svg.push_str("</svg>\n");
    svg
}

fn points(metrics: &[Metric], split: &str) -> Vec<(f64, f64)> {
    metrics
        .iter()
        .filter(|m| m.split == split && m.loss.is_finite())
        .map(|m| (m.step as f64, m.loss))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(step: u64, split: &str, loss: f64) -> Metric {
        Metric {
            step,
            split: split.into(),
            loss,
            accuracy: None,
            lr: None,
            grad_norm: None,
            mask_rate: None,
            tokens: 0,
            masked: 0,
        }
    }

    #[test]
    fn draws_train_line_and_val_dots() {
        let m = vec![
            metric(1, "train", 4.0),
            metric(2, "train", 3.0),
            metric(2, "val", 3.5),
        ];
        let svg = loss_svg(&m);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains(r#"<path d="M"#));
        assert!(loss_svg(&[]).contains("no steps yet"));
    }
}
