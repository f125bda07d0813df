//! Mutated samples for property tests: real payloads with a few bytes changed, the inputs most
//! likely to reach deep into a parser and find a panic.

use proptest::collection::vec;
use proptest::prelude::*;

/// One of `samples` with 1 to 7 bytes overwritten at arbitrary positions. Empty samples (or
/// none) give empty bodies.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// let sample = br#"{"events":[]}"#.to_vec();
/// let strategy = unibox_testkit::mutation::mutated(vec![sample.clone()]);
/// let body = strategy.new_tree(&mut TestRunner::default()).unwrap().current();
/// assert_eq!(body.len(), sample.len());
/// ```
pub fn mutated(samples: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = samples.len().max(1);
    (0..count, vec((any::<usize>(), any::<u8>()), 1..8)).prop_map(move |(which, edits)| {
        let mut sample = samples.get(which).cloned().unwrap_or_default();
        for (at, byte) in edits {
            if !sample.is_empty() {
                let at = at % sample.len();
                sample[at] = byte;
            }
        }
        sample
    })
}
