//! Batched inserts: each table's rows are kept column by column and written
//! [`BATCH_ROWS`] at a time, one `INSERT ... SELECT ... FROM unnest($2::T[], ...)` per batch,
//! so an export of a million messages is two thousand statements, not a million round trips.

use std::ops::Range;

/// The rows one statement inserts.
pub(super) const BATCH_ROWS: usize = 500;

/// The row ranges of `len` rows, [`BATCH_ROWS`] each (the last one shorter).
pub(super) fn batches(len: usize) -> impl Iterator<Item = Range<usize>> {
    (0..len).step_by(BATCH_ROWS).map(move |start| start..len.min(start + BATCH_ROWS))
}

/// The values of one column for the rows of `range`.
pub(super) fn part<'c, T>(column: &'c [T], range: &Range<usize>) -> &'c [T] {
    &column[range.clone()]
}

#[cfg(test)]
mod tests {
    use super::{BATCH_ROWS, batches};

    #[test]
    fn batches_cover_every_row_once_in_order() {
        assert_eq!(batches(0).count(), 0);
        assert_eq!(batches(3).collect::<Vec<_>>(), vec![0..3]);
        let ranges: Vec<_> = batches(2 * BATCH_ROWS + 1).collect();
        assert_eq!(ranges, vec![0..BATCH_ROWS, BATCH_ROWS..2 * BATCH_ROWS, 2 * BATCH_ROWS..2 * BATCH_ROWS + 1]);
    }
}
