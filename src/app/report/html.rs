//! The report as one self-contained HTML file: no scripts, no external
//! styles or fonts; opens from disk and prints. Written as XHTML-compatible
//! HTML (every element closed, every attribute quoted and escaped), so an
//! XML parser reads it too. Charts are inline SVG: every drawn bar is a
//! `rect` of class `bar`, every heat-table cell one of class `cell`.
//!
//! Colours are the Okabe–Ito palette (readable with the common forms of
//! colour-blindness); the stacked chart also gives each series its own
//! pattern, and the heat table shades one hue by lightness and prints each
//! number in its cell, so the charts read in grey print too.

use super::{Block, Cell, Chart, Report, Section, Table};
use std::fmt::Write as _;

/// Okabe & Ito (2008), "Color Universal Design".
pub const OKABE_ITO: [&str; 8] = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000",
];

/// The one colour of single-series bars (Okabe–Ito blue).
pub const BAR: &str = "#0072B2";

/// Escapes text for an element or a quoted attribute.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #111; line-height: 1.4; }
h1 { font-size: 1.6em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #999; }
p.reading { font-size: 1.05em; }
figure { margin: 1em 0; }
figcaption { font-weight: bold; margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; }
td { text-align: right; }
th { text-align: left; background: #f2f2f2; }
dl.figures { display: flex; gap: 2em; }
dl.figures dt { font-size: 0.85em; }
dl.figures dd { margin: 0; font-size: 1.4em; font-weight: bold; }
svg text { font-family: sans-serif; }
@media print { h2 { break-after: avoid; } figure, table { break-inside: avoid; } }
";

/// The whole file.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let lang = r.lang.code();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"{lang}\" xml:lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&r.title),
        esc(&r.title)
    );
    for p in &r.intro {
        let _ = writeln!(s, "<p class=\"intro\">{}</p>", esc(p));
    }
    for sec in &r.sections {
        section(&mut s, r, sec);
    }
    s.push_str("</body>\n</html>\n");
    s
}

fn section(s: &mut String, r: &Report, sec: &Section) {
    let _ = writeln!(
        s,
        "<section id=\"{}\">\n<h2>{}</h2>\n<p class=\"reading\">{}</p>",
        sec.id,
        esc(&sec.title),
        esc(&sec.reading)
    );
    for b in &sec.blocks {
        match b {
            Block::Chart(c) => {
                let title = match c {
                    Chart::Stacked { title, .. }
                    | Chart::Bars { title, .. }
                    | Chart::Heat { title, .. } => title,
                };
                let _ = writeln!(
                    s,
                    "<figure id=\"chart-{}\">\n<figcaption>{}</figcaption>",
                    c.id(),
                    esc(title)
                );
                s.push_str(&svg(r, c));
                s.push_str("</figure>\n");
            }
            Block::Table(t) => table(s, r, t),
            Block::Figures(f) => {
                s.push_str("<dl class=\"figures\">\n");
                for (label, v) in f {
                    let _ = writeln!(
                        s,
                        "<div><dt>{}</dt><dd>{}</dd></div>",
                        esc(label),
                        esc(&r.text(*v))
                    );
                }
                s.push_str("</dl>\n");
            }
        }
    }
    s.push_str("</section>\n");
}

fn table(s: &mut String, r: &Report, t: &Table) {
    let _ = write!(
        s,
        "<table id=\"table-{}\">\n<caption>{}</caption>\n<thead><tr>",
        t.id,
        esc(&t.caption)
    );
    for h in &t.head {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc(h));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for (label, cells) in &t.rows {
        let _ = write!(s, "<tr><th scope=\"row\">{}</th>", esc(label));
        for c in cells {
            let _ = write!(s, "<td>{}</td>", esc(&r.text(*c)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
}

/// One chart as an SVG element.
pub fn svg(r: &Report, c: &Chart) -> String {
    match c {
        Chart::Stacked {
            id,
            categories,
            series,
            values,
            ..
        } => stacked(r, id, categories, series, values),
        Chart::Bars {
            id, labels, values, ..
        } => bars(r, id, labels, values),
        Chart::Heat {
            id,
            rows,
            cols,
            values,
            ..
        } => heat(r, id, rows, cols, values),
    }
}

/// A fill pattern per series: the palette colour with its own texture.
fn patterns(s: &mut String, id: &str, n: usize) {
    s.push_str("<defs>");
    for i in 0..n {
        let colour = OKABE_ITO[i % OKABE_ITO.len()];
        let ink = if matches!(i % 8, 4 | 5 | 7) {
            "#fff"
        } else {
            "#000"
        };
        let mark = match (i / 8 + i) % 8 {
            0 => String::new(),
            1 => format!("<path d=\"M0,8 L8,0\" stroke=\"{ink}\" stroke-width=\"1.2\"/>"),
            2 => format!("<path d=\"M0,4 L8,4\" stroke=\"{ink}\" stroke-width=\"1.2\"/>"),
            3 => format!("<circle cx=\"4\" cy=\"4\" r=\"1.4\" fill=\"{ink}\"/>"),
            4 => format!("<path d=\"M0,0 L8,8\" stroke=\"{ink}\" stroke-width=\"1.2\"/>"),
            5 => format!("<path d=\"M4,0 L4,8\" stroke=\"{ink}\" stroke-width=\"1.2\"/>"),
            6 => format!("<path d=\"M0,8 L8,0 M0,0 L8,8\" stroke=\"{ink}\" stroke-width=\"0.8\"/>"),
            _ => format!("<rect x=\"3\" y=\"3\" width=\"2\" height=\"2\" fill=\"{ink}\"/>"),
        };
        let _ = write!(
            s,
            "<pattern id=\"{id}-p{i}\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\"><rect width=\"8\" height=\"8\" fill=\"{colour}\"/>{mark}</pattern>"
        );
    }
    // Suppressed heat cells: light grey, hatched.
    let _ = write!(
        s,
        "<pattern id=\"{id}-small\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"#eeeeee\"/><path d=\"M0,6 L6,0\" stroke=\"#bbbbbb\" stroke-width=\"1\"/></pattern>"
    );
    s.push_str("</defs>");
}

fn open_svg(s: &mut String, id: &str, w: f64, h: f64, label: &str) {
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"svg-{id}\" role=\"img\" aria-label=\"{}\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">",
        esc(label)
    );
}

fn nice_max(m: u64) -> u64 {
    if m <= 5 {
        return 5;
    }
    let mag = 10u64.pow((m as f64).log10().floor() as u32);
    for step in [1, 2, 5, 10] {
        if m <= step * mag {
            return step * mag;
        }
    }
    10 * mag
}

fn stacked(r: &Report, id: &str, cats: &[String], series: &[String], v: &[Vec<Cell>]) -> String {
    let mut s = String::new();
    let (left, top, plot_h) = (50.0, 10.0, 220.0);
    let n = cats.len().max(1) as f64;
    let step = (660.0 / n).clamp(14.0, 60.0);
    let plot_w = step * n;
    let legend_rows = series.len().div_ceil(3) as f64;
    let w = left + plot_w + 20.0;
    let w = w.max(640.0);
    let h = top + plot_h + 60.0 + legend_rows * 20.0 + 10.0;
    open_svg(&mut s, id, w, h, id);
    patterns(&mut s, id, series.len());
    let max = v
        .iter()
        .map(|row| row.iter().filter_map(|c| c.count()).sum::<u64>())
        .max()
        .unwrap_or(0);
    let max = nice_max(max) as f64;
    let y = |n: f64| top + plot_h - plot_h * n / max;
    for k in 0..=4 {
        let val = max * k as f64 / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{val:.0}</text>",
            left + plot_w,
            y(val),
            y(val),
            left - 4.0,
            y(val) + 3.0
        );
    }
    for (i, cat) in cats.iter().enumerate() {
        let x = left + step * i as f64 + step * 0.15;
        let bw = step * 0.7;
        let mut acc = 0.0;
        let mut small = 0;
        for (j, c) in v.get(i).into_iter().flatten().enumerate() {
            match c.count() {
                Some(n) if n > 0 => {
                    let y0 = y(acc + n as f64);
                    let hgt = y(acc) - y0;
                    let _ = write!(
                        s,
                        "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y0:.1}\" width=\"{bw:.1}\" height=\"{hgt:.1}\" fill=\"url(#{id}-p{j})\" stroke=\"#fff\" stroke-width=\"0.5\"><title>{}: {}: {n}</title></rect>",
                        esc(cat),
                        esc(series.get(j).map_or("", |s| s.as_str()))
                    );
                    acc += n as f64;
                }
                _ if c.is_suppressed() => small += 1,
                _ => {}
            }
        }
        if small > 0 {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"8\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
                x + bw / 2.0,
                y(acc) - 3.0,
                esc(&r.small)
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-45 {:.1} {:.1})\">{}</text>",
            x + bw / 2.0,
            top + plot_h + 14.0,
            x + bw / 2.0,
            top + plot_h + 14.0,
            esc(cat)
        );
    }
    let ly = top + plot_h + 60.0;
    for (j, name) in series.iter().enumerate() {
        let lx = left + (j % 3) as f64 * 200.0;
        let yy = ly + (j / 3) as f64 * 20.0;
        let _ = write!(
            s,
            "<rect class=\"legend\" x=\"{lx:.1}\" y=\"{yy:.1}\" width=\"14\" height=\"14\" fill=\"url(#{id}-p{j})\" stroke=\"#333\" stroke-width=\"0.5\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            lx + 20.0,
            yy + 11.0,
            esc(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn bars(r: &Report, id: &str, labels: &[String], v: &[Cell]) -> String {
    let mut s = String::new();
    let (left, row, bar_w) = (230.0, 22.0, 400.0);
    let h = 10.0 + row * labels.len().max(1) as f64 + 10.0;
    let w = left + bar_w + 60.0;
    open_svg(&mut s, id, w, h, id);
    let max = nice_max(v.iter().filter_map(|c| c.count()).max().unwrap_or(0)) as f64;
    for (i, label) in labels.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + 14.0,
            esc(&clip(label, 38))
        );
        let c = v.get(i).copied().unwrap_or(Cell::Empty);
        let mut end = left;
        if let Some(n) = c.count() {
            let bw = bar_w * n as f64 / max;
            let _ = write!(
                s,
                "<rect class=\"bar\" x=\"{left:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{BAR}\"><title>{}: {n}</title></rect>",
                y + 3.0,
                row - 6.0,
                esc(label)
            );
            end += bw;
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            end + 4.0,
            y + 14.0,
            esc(&r.text(c))
        );
    }
    s.push_str("</svg>\n");
    s
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// A sequential blue ramp by lightness: light for few, dark for many.
fn shade(t: f64) -> (String, &'static str) {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    let (r, g, b) = (lerp(232.0, 8.0), lerp(243.0, 48.0), lerp(251.0, 107.0));
    (
        format!("#{r:02x}{g:02x}{b:02x}"),
        if t > 0.5 { "#fff" } else { "#000" },
    )
}

fn heat(r: &Report, id: &str, rows: &[String], cols: &[String], v: &[Vec<Cell>]) -> String {
    let mut s = String::new();
    let (left, top, cw, ch) = (230.0, 110.0, 64.0, 20.0);
    let w = left + cw * cols.len() as f64 + 20.0;
    let h = top + ch * rows.len() as f64 + 10.0;
    open_svg(&mut s, id, w, h, id);
    patterns(&mut s, id, 0);
    let max = v
        .iter()
        .flatten()
        .filter_map(|c| c.count())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    for (j, col) in cols.iter().enumerate() {
        let x = left + cw * j as f64 + cw / 2.0;
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" transform=\"rotate(-40 {x:.1} {:.1})\">{}</text>",
            top - 6.0,
            top - 6.0,
            esc(&clip(col, 24))
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let y = top + ch * i as f64;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + 14.0,
            esc(&clip(row, 40))
        );
        for (j, c) in v.get(i).into_iter().flatten().enumerate() {
            let x = left + cw * j as f64;
            let (fill, ink) = match c.count() {
                Some(n) => shade(n as f64 / max),
                None => (format!("url(#{id}-small)"), "#444"),
            };
            let _ = write!(
                s,
                "<rect class=\"cell\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cw:.1}\" height=\"{ch:.1}\" fill=\"{fill}\" stroke=\"#fff\"><title>{}: {}: {}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
                esc(row),
                esc(cols.get(j).map_or("", |s| s.as_str())),
                esc(&r.text(*c)),
                x + cw / 2.0,
                y + 14.0,
                esc(&r.text(*c))
            );
        }
    }
    s.push_str("</svg>\n");
    s
}
