//! The key figures as one PNG, drawn in-process: bars filled into an RGB
//! buffer and text from the DejaVu Sans font compiled into the binary (the
//! `dejavu` crate), rasterised with `ab_glyph`. No system fonts, no
//! transport: `/stats` sends the bytes.
//!
//! Three panels on a fixed [`WIDTH`] x [`HEIGHT`] canvas: concerns (all
//! conversations in the period), the intake funnel, and hand-off requests
//! in the last [`WEEKS`] weeks. Values are the report's suppressed cells:
//! a suppressed value draws no bar and reads "<5".

use super::{Cell, Chart, Report, ReportError};
use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 640;
/// Weeks of hand-off requests drawn.
pub const WEEKS: usize = 12;

const INK: [u8; 3] = [17, 17, 17];
const GREY: [u8; 3] = [110, 110, 110];
const LINE: [u8; 3] = [210, 210, 210];
/// Okabe–Ito blue: dark enough to print as a clear grey.
const BAR: [u8; 3] = [0, 114, 178];

struct Canvas<'f> {
    w: u32,
    h: u32,
    px: Vec<u8>,
    font: FontRef<'f>,
}

impl<'f> Canvas<'f> {
    fn new(w: u32, h: u32, font: FontRef<'f>) -> Self {
        Canvas {
            w,
            h,
            px: vec![255; (w * h * 3) as usize],
            font,
        }
    }

    fn blend(&mut self, x: i32, y: i32, rgb: [u8; 3], a: f32) {
        if x < 0 || y < 0 || x >= self.w as i32 || y >= self.h as i32 {
            return;
        }
        let i = ((y as u32 * self.w + x as u32) * 3) as usize;
        let a = a.clamp(0.0, 1.0);
        for (px, c) in self.px[i..i + 3].iter_mut().zip(rgb) {
            let old = *px as f32;
            *px = (old + (c as f32 - old) * a).round() as u8;
        }
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: [u8; 3]) {
        let (x0, y0) = (x.round() as i32, y.round() as i32);
        let (x1, y1) = ((x + w).round() as i32, (y + h).round() as i32);
        for yy in y0..y1 {
            for xx in x0..x1 {
                self.blend(xx, yy, rgb, 1.0);
            }
        }
    }

    /// Width of `s` at `size` pixels.
    fn measure(&self, s: &str, size: f32) -> f32 {
        let sf = self.font.as_scaled(PxScale::from(size));
        let mut w = 0.0;
        let mut prev = None;
        for ch in s.chars() {
            let g = sf.glyph_id(ch);
            if let Some(p) = prev {
                w += sf.kern(p, g);
            }
            w += sf.h_advance(g);
            prev = Some(g);
        }
        w
    }

    /// Draws `s` with its baseline at `y`; returns its width.
    fn text(&mut self, x: f32, y: f32, size: f32, s: &str, rgb: [u8; 3]) -> f32 {
        let scale = PxScale::from(size);
        let font = self.font.clone();
        let sf = font.as_scaled(scale);
        let mut cx = x;
        let mut prev = None;
        for ch in s.chars() {
            let id = sf.glyph_id(ch);
            if let Some(p) = prev {
                cx += sf.kern(p, id);
            }
            let g = id.with_scale_and_position(scale, point(cx, y));
            if let Some(o) = font.outline_glyph(g) {
                let b = o.px_bounds();
                o.draw(|gx, gy, cov| {
                    self.blend(
                        b.min.x as i32 + gx as i32,
                        b.min.y as i32 + gy as i32,
                        rgb,
                        cov,
                    )
                });
            }
            cx += sf.h_advance(id);
            prev = Some(id);
        }
        cx - x
    }

    /// `s`, shortened with "…" to fit `max` pixels.
    fn fit(&self, s: &str, size: f32, max: f32) -> String {
        if self.measure(s, size) <= max {
            return s.to_string();
        }
        let mut t: Vec<char> = s.chars().collect();
        while !t.is_empty() {
            t.pop();
            let c: String = t.iter().collect::<String>() + "…";
            if self.measure(&c, size) <= max {
                return c;
            }
        }
        String::new()
    }

    /// Horizontal bars with labels on the left, in the box (x, y, w, h).
    #[allow(clippy::too_many_arguments)]
    fn hbars(
        &mut self,
        r: &Report,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        title: &str,
        items: &[(String, Cell)],
    ) {
        self.text(x, y + 18.0, 17.0, title, INK);
        let top = y + 30.0;
        let n = items.len().max(1) as f32;
        let row = ((h - 30.0) / n).min(26.0);
        let size = (row * 0.55).clamp(9.0, 13.0);
        let label_w = w * 0.42;
        let bar_max = w - label_w - 50.0;
        let max = items
            .iter()
            .filter_map(|(_, c)| c.count())
            .max()
            .unwrap_or(1)
            .max(1) as f32;
        for (i, (label, c)) in items.iter().enumerate() {
            let ry = top + row * i as f32;
            let l = self.fit(label, size, label_w - 8.0);
            let lw = self.measure(&l, size);
            self.text(x + label_w - 8.0 - lw, ry + row * 0.7, size, &l, INK);
            let mut end = x + label_w;
            if let Some(v) = c.count() {
                let bw = (bar_max * v as f32 / max).max(1.0);
                self.rect(end, ry + row * 0.15, bw, row * 0.7, BAR);
                end += bw;
            }
            self.text(end + 4.0, ry + row * 0.7, size, &r.text(*c), GREY);
        }
    }

    /// Vertical bars with labels underneath, in the box (x, y, w, h).
    #[allow(clippy::too_many_arguments)]
    fn vbars(
        &mut self,
        r: &Report,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        title: &str,
        items: &[(String, Cell)],
    ) {
        self.text(x, y + 18.0, 17.0, title, INK);
        let base = y + h - 36.0;
        let top = y + 46.0;
        self.rect(x, base, w, 1.0, LINE);
        let n = items.len().max(1) as f32;
        let step = (w / n).min(70.0);
        let max = items
            .iter()
            .filter_map(|(_, c)| c.count())
            .max()
            .unwrap_or(1)
            .max(1) as f32;
        for (i, (label, c)) in items.iter().enumerate() {
            let cx = x + step * i as f32;
            let bw = step * 0.6;
            let mut bar_top = base;
            if let Some(v) = c.count() {
                let bh = ((base - top) * v as f32 / max).max(1.0);
                bar_top = base - bh;
                self.rect(cx + step * 0.2, bar_top, bw, bh, BAR);
            }
            let t = r.text(*c);
            let tw = self.measure(&t, 12.0);
            self.text(cx + step / 2.0 - tw / 2.0, bar_top - 4.0, 12.0, &t, GREY);
            let l = self.fit(label, 11.0, step - 2.0);
            let lw = self.measure(&l, 11.0);
            self.text(cx + step / 2.0 - lw / 2.0, base + 16.0, 11.0, &l, INK);
        }
    }

    fn encode(&self) -> Result<Vec<u8>, ReportError> {
        let mut out = Vec::new();
        let mut enc = ::png::Encoder::new(&mut out, self.w, self.h);
        enc.set_color(::png::ColorType::Rgb);
        enc.set_depth(::png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| ReportError::Png(e.to_string()))?;
        w.write_image_data(&self.px)
            .map_err(|e| ReportError::Png(e.to_string()))?;
        w.finish().map_err(|e| ReportError::Png(e.to_string()))?;
        Ok(out)
    }
}

/// The panels' data: (title, items) for concerns, funnel and weeks.
pub fn panels(r: &Report) -> [(String, Vec<(String, Cell)>); 3] {
    let bars = |want: &str| {
        r.charts()
            .find_map(|c| match c {
                Chart::Bars {
                    id,
                    title,
                    labels,
                    values,
                } if *id == want => Some((
                    title.clone(),
                    labels
                        .iter()
                        .cloned()
                        .zip(values.iter().copied())
                        .collect::<Vec<_>>(),
                )),
                _ => None,
            })
            .unwrap_or_default()
    };
    let concerns = r
        .tables()
        .find(|t| t.id == "concerns_by_month")
        .map(|t| {
            let n = t.head.len().saturating_sub(2);
            let totals = t.rows.last().map(|(_, c)| c.clone()).unwrap_or_default();
            (
                r.concerns_total.clone(),
                t.head[1..1 + n]
                    .iter()
                    .cloned()
                    .zip(totals.into_iter().take(n))
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap_or_default();
    let (wt, mut weeks) = bars("handoff_weeks");
    let skip = weeks.len().saturating_sub(WEEKS);
    weeks.drain(..skip);
    // "2025-W09" reads as "W09" under its bar; the year is in the title.
    let weeks = weeks
        .into_iter()
        .map(|(l, c)| {
            (
                l.split_once('-').map_or(l.clone(), |(_, w)| w.to_string()),
                c,
            )
        })
        .collect();
    [concerns, bars("funnel"), (wt, weeks)]
}

/// The `/stats` picture.
pub fn stats(r: &Report) -> Result<Vec<u8>, ReportError> {
    let font = FontRef::try_from_slice(dejavu::sans::regular())
        .map_err(|e| ReportError::Png(e.to_string()))?;
    let mut c = Canvas::new(WIDTH, HEIGHT, font);
    let [concerns, funnel, weeks] = panels(r);
    let (w, h) = (WIDTH as f32, HEIGHT as f32);
    c.text(20.0, 30.0, 22.0, &r.title, INK);
    if let Some(p) = r.intro.first() {
        let p = c.fit(p, 13.0, w - 40.0);
        c.text(20.0, 52.0, 13.0, &p, GREY);
    }
    c.hbars(
        r,
        20.0,
        64.0,
        w / 2.0 - 30.0,
        330.0,
        &concerns.0,
        &concerns.1,
    );
    c.hbars(
        r,
        w / 2.0 + 10.0,
        64.0,
        w / 2.0 - 30.0,
        330.0,
        &funnel.0,
        &funnel.1,
    );
    c.vbars(r, 20.0, 404.0, w - 40.0, h - 414.0, &weeks.0, &weeks.1);
    c.encode()
}
