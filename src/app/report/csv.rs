//! The report's tables as one CSV file for Excel, with the export's
//! settings (delimiter, byte order mark): each table is a line with its
//! caption, its header, its rows and an empty line. Shares are written
//! with a decimal comma when the delimiter is `;` (Dutch Excel).

use super::{Cell, Report, ReportError};
use crate::app::export::{defuse, BOM};
use std::io::Write;

/// The CSV settings (from the config's `[export]`).
#[derive(Debug, Clone, Copy)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b';',
            bom: true,
        }
    }
}

/// Writes every table of the report.
pub fn write(report: &Report, opts: CsvOptions, mut out: impl Write) -> Result<(), ReportError> {
    if opts.bom {
        out.write_all(BOM)?;
    }
    let comma = opts.delimiter == b';';
    let number = |x: f64| {
        let s = format!("{x:.1}");
        if comma {
            s.replace('.', ",")
        } else {
            s
        }
    };
    for t in report.tables() {
        let mut w = csv::WriterBuilder::new()
            .delimiter(opts.delimiter)
            .flexible(true)
            .from_writer(&mut out);
        w.write_record([defuse(&t.caption).as_ref()])?;
        w.write_record(t.head.iter().map(|h| defuse(h).into_owned()))?;
        for (label, cells) in &t.rows {
            let mut rec = vec![defuse(label).into_owned()];
            rec.extend(cells.iter().map(|&c| match c {
                Cell::Percent(p) | Cell::Hours(p) => number(p),
                c => report.text(c),
            }));
            w.write_record(&rec)?;
        }
        w.flush()?;
        drop(w);
        // An empty line between tables.
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
