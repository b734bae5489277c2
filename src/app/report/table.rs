//! Small-count suppression: counts become [`Cell`]s, and no cell from fewer
//! than [`MIN_COUNT`] conversations can be read or worked out from a total.
//!
//! The rule (README "Report"): a count under 5 (0 included) is shown as
//! "<5". Then, for every line that shows a total (a row with its row total,
//! a column with its column total, the totals with the grand total), a line
//! with exactly one hidden cell gets a second one: its smallest shown cell
//! is hidden too (shown as "x"), or, when it has no other shown cell, its
//! total. This repeats until no line has exactly one hidden cell, so a
//! hidden number is never the difference between a total and what is shown.
//! Lines are treated as if their cells added up to the total even where a
//! conversation counts in several cells (several concerns): safe either way.
//! A total counts as one of its line's values: a total hidden in another
//! line (a subtotal) with all its cells shown would be their sum, so one of
//! them is hidden too ([`suppress_lines`]).

/// Counts under this are never shown.
pub const MIN_COUNT: u64 = 5;

/// One value as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    Count(u64),
    /// From fewer than [`MIN_COUNT`] conversations: "<5".
    Small,
    /// At least [`MIN_COUNT`], hidden so that a small cell cannot be
    /// worked out from a total: "x".
    Hidden,
    /// A share in percent of a shown total.
    Percent(f64),
    /// A duration in hours (median or p90 of at least [`MIN_COUNT`]).
    Hours(f64),
    /// Nothing to show (a share of a hidden cell, a label column).
    Empty,
}

impl Cell {
    pub fn count(self) -> Option<u64> {
        match self {
            Cell::Count(n) => Some(n),
            _ => None,
        }
    }

    /// Suppressed (small or hidden).
    pub fn is_suppressed(self) -> bool {
        matches!(self, Cell::Small | Cell::Hidden)
    }

    fn of(n: u64) -> Cell {
        if n < MIN_COUNT {
            Cell::Small
        } else {
            Cell::Count(n)
        }
    }
}

/// A grid of raw counts with optional totals, before suppression.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub cells: Vec<Vec<u64>>,
    pub row_totals: Option<Vec<u64>>,
    pub col_totals: Option<Vec<u64>>,
    pub total: Option<u64>,
}

/// The same grid, suppressed.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub cells: Vec<Vec<Cell>>,
    pub row_totals: Option<Vec<Cell>>,
    pub col_totals: Option<Vec<Cell>>,
    pub total: Option<Cell>,
}

impl Counts {
    /// A single column of counts with its total (a list of bars).
    pub fn column(values: Vec<u64>, total: Option<u64>) -> Counts {
        Counts {
            cells: values.into_iter().map(|v| vec![v]).collect(),
            row_totals: None,
            col_totals: total.map(|t| vec![t]),
            total: None,
        }
    }

    /// Applies the rule in the module notes.
    pub fn suppress(&self) -> Grid {
        // Every number in one flat list: cells, row totals, column totals, total.
        let rows = self.cells.len();
        // Without rows, the column totals still say how many columns.
        let cols = self
            .cells
            .first()
            .map_or_else(|| self.col_totals.as_ref().map_or(0, Vec::len), Vec::len);
        let mut values: Vec<u64> = self.cells.iter().flatten().copied().collect();
        let cell = |r: usize, c: usize| r * cols + c;
        let rt0 = values.len();
        if let Some(t) = &self.row_totals {
            values.extend(t);
        }
        let ct0 = values.len();
        if let Some(t) = &self.col_totals {
            values.extend(t);
        }
        let g = values.len();
        if let Some(t) = self.total {
            values.push(t);
        }
        let mut lines: Vec<(Vec<usize>, usize)> = Vec::new();
        if self.row_totals.is_some() {
            for r in 0..rows {
                lines.push(((0..cols).map(|c| cell(r, c)).collect(), rt0 + r));
            }
        }
        if self.col_totals.is_some() {
            for c in 0..cols {
                lines.push(((0..rows).map(|r| cell(r, c)).collect(), ct0 + c));
            }
        }
        if self.total.is_some() {
            if self.row_totals.is_some() {
                lines.push(((rt0..rt0 + rows).collect(), g));
            }
            if self.col_totals.is_some() {
                lines.push(((ct0..ct0 + cols).collect(), g));
            }
        }
        let shown = suppress_lines(&values, &lines);
        Grid {
            cells: (0..rows)
                .map(|r| (0..cols).map(|c| shown[cell(r, c)]).collect())
                .collect(),
            row_totals: self
                .row_totals
                .as_ref()
                .map(|_| shown[rt0..rt0 + rows].to_vec()),
            col_totals: self
                .col_totals
                .as_ref()
                .map(|_| shown[ct0..ct0 + cols].to_vec()),
            total: self.total.map(|_| shown[g]),
        }
    }
}

/// The rule on any set of lines: `values` are counts, each line is
/// (members, total) as indices into them. A total may be a member of
/// another line (a subtotal), so nested tables suppress as one. Returns a
/// cell per value.
pub fn suppress_lines(values: &[u64], lines: &[(Vec<usize>, usize)]) -> Vec<Cell> {
    let mut shown: Vec<Cell> = values.iter().map(|&v| Cell::of(v)).collect();
    loop {
        let mut changed = false;
        for (members, total) in lines {
            let hidden = members
                .iter()
                .chain(std::iter::once(total))
                .filter(|&&m| shown[m].is_suppressed())
                .count();
            // A hidden total with every member shown is their sum: one
            // member must go as well (the smallest).
            if hidden != 1 {
                continue;
            }
            let smallest = members
                .iter()
                .filter(|&&m| !shown[m].is_suppressed())
                .min_by_key(|&&m| values[m])
                .copied();
            match smallest {
                Some(m) => shown[m] = Cell::Hidden,
                None if !shown[*total].is_suppressed() => shown[*total] = Cell::Hidden,
                None => continue,
            }
            changed = true;
        }
        if !changed {
            break;
        }
    }
    shown
}

/// The median and the 90th percentile (nearest rank) of `values`, when
/// there are at least [`MIN_COUNT`] of them.
pub fn median_p90(values: &mut [u32]) -> Option<(u32, u32)> {
    if (values.len() as u64) < MIN_COUNT {
        return None;
    }
    values.sort_unstable();
    let rank = |p: f64| {
        let i = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
        values[i - 1]
    };
    Some((rank(0.5), rank(0.9)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suppressed(g: &Grid) -> usize {
        g.cells
            .iter()
            .flatten()
            .filter(|c| c.is_suppressed())
            .count()
    }

    #[test]
    fn one_small_cell_in_a_line_with_a_total_gets_a_partner() {
        let c = Counts {
            cells: vec![vec![3, 10, 20], vec![7, 8, 9]],
            row_totals: Some(vec![33, 24]),
            col_totals: Some(vec![10, 18, 29]),
            total: Some(57),
        };
        let g = c.suppress();
        assert_eq!(g.cells[0][0], Cell::Small);
        // Row 0 and column 0 each need a second hidden cell.
        for r in 0..2 {
            let n = g.cells[r].iter().filter(|c| c.is_suppressed()).count();
            assert_ne!(n, 1, "row {r}: {:?}", g.cells[r]);
        }
        for col in 0..3 {
            let n = (0..2).filter(|&r| g.cells[r][col].is_suppressed()).count();
            assert_ne!(n, 1, "column {col}");
        }
        assert!(suppressed(&g) >= 4);
        assert_eq!(g.total, Some(Cell::Count(57)));
    }

    #[test]
    fn a_lone_small_cell_hides_its_total_and_lists_work() {
        let g = Counts::column(vec![2], Some(2)).suppress();
        assert_eq!(g.cells[0][0], Cell::Small);
        assert_eq!(g.col_totals.unwrap()[0], Cell::Small);
        let g = Counts::column(vec![12, 3, 40], Some(55)).suppress();
        assert_eq!(
            g.cells,
            vec![vec![Cell::Hidden], vec![Cell::Small], vec![Cell::Count(40)]]
        );
        let g = Counts::column(vec![12, 3, 40], None).suppress();
        assert_eq!(
            g.cells[0][0],
            Cell::Count(12),
            "no total, nothing to derive"
        );
    }

    #[test]
    fn a_subtotal_hidden_in_one_line_is_not_the_sum_of_its_own() {
        // agreed = waiting + sent; sent = answered + not answered.
        let values = [40, 3, 37, 20, 17];
        let lines = vec![(vec![1, 2], 0), (vec![3, 4], 2)];
        let c = suppress_lines(&values, &lines);
        assert_eq!(c[1], Cell::Small);
        assert_eq!(c[2], Cell::Hidden, "sent would give the 3 away");
        // Both parts of the hidden 37 shown would add up to it.
        assert_eq!(c[4], Cell::Hidden);
        assert_eq!((c[0], c[3]), (Cell::Count(40), Cell::Count(20)));
    }

    #[test]
    fn percentiles_need_five_values() {
        assert_eq!(median_p90(&mut [1, 2, 3, 4]), None);
        assert_eq!(
            median_p90(&mut [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]),
            Some((5, 9))
        );
    }
}
