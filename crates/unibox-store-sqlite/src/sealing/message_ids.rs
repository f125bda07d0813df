//! The blind index of platform message ids, laid out in insertion generations.
//!
//! A sealed inbox looks messages up by the keyed blind of their platform id (ingest's dedupe,
//! edits, unsends, reactions and receipts naming a message, a send's echo, an import). Blinds
//! are random, so an index ordered by them takes every new entry at a random place: each commit
//! rewrites as many index pages as it stores messages, and with a large inbox those pages are
//! not in the cache. Measured on the LINE closed-loop webhook run, that index alone cost a
//! sealed inbox about a tenth of its throughput (`docs/performance.md`, session 13).
//!
//! So the stored key is the blind prefixed by its **generation**: the number of the block of
//! [`GENERATION`] ids it was stored in, in the order they were stored. New entries go to the end
//! of their account's part of the index, as plain platform ids (often increasing) would. The
//! prefix reveals nothing a reader of the file does not already see: rows are numbered in
//! insertion order, and an index entry points at its row.
//!
//! A lookup then does not know the generation of what it looks for, so the inbox keeps one
//! Bloom filter of blinds per generation, in memory, built when the file is opened by reading
//! the index once: a lookup probes only the generations whose filter holds its blind (with
//! none, it asks the database nothing at all, the usual case for a new message). Filters have
//! no false negatives; a false positive costs one probe that finds nothing (about 1 lookup in
//! 1,000 per generation). A message deleted later leaves its blind in the filter: a probe that
//! finds nothing.
//!
//! Keys stored before this layout, and keys of a file sealed in place, are bare blinds (32 hex
//! digits): they have a filter of their own and are probed by their bare value, so both
//! layouts live in one file. Changes waiting for a message (`pending_actions`) are keyed by the
//! bare blind: they are stored before their message has a generation.

use std::sync::{Mutex, PoisonError};

use rusqlite::Connection;
use unibox_core::Result;
use unibox_core::privacy::hex;

use crate::error::SqlResultExt;

/// Ids per generation.
pub(crate) const GENERATION: u32 = 4096;

/// Blocks of a generation's filter (16 bits per id).
const GENERATION_BLOCKS: usize = GENERATION as usize * 16 / 512;

/// Hex digits of the generation prefix (2^32 generations of [`GENERATION`] ids).
const PREFIX: usize = 8;

/// Hex digits of a bare blind.
const BLIND_HEX: usize = 32;

/// The blind index's generations of one sealed inbox file, shared by every thread that writes.
#[derive(Debug)]
pub(crate) struct MessageIds {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The filter of each generation, by number (gaps: generations without a key left).
    generations: Vec<Option<Filter>>,
    /// Keys stored in the current (last) generation.
    filled: u32,
    /// Bare blinds: keys stored before generations, or by sealing a file in place.
    bare: Option<Filter>,
}

impl MessageIds {
    /// No keys yet: [`load`](Self::load) reads a file's.
    pub(crate) fn new() -> Self {
        MessageIds { state: Mutex::new(State::default()) }
    }

    /// Reads every stored key of `messages` once, replacing what was known.
    pub(crate) fn load(&self, conn: &Connection) -> Result<()> {
        const OP: &str = "sqlite.open";
        let mut state = State::default();
        let mut bare = Vec::new();
        let mut statement = conn
            .prepare("SELECT platform_message_id FROM messages WHERE platform_message_id IS NOT NULL")
            .during(OP)?;
        let mut rows = statement.query([]).during(OP)?;
        while let Some(row) = rows.next().during(OP)? {
            let key = row.get_ref(0).during(OP)?;
            let Ok(key) = key.as_str() else { continue };
            match parse(key) {
                Some(Key::Generation(generation, blind)) => state.add(generation, &blind),
                Some(Key::Bare(blind)) => bare.push(blind),
                None => {}
            }
        }
        if !bare.is_empty() {
            let mut filter = Filter::with_capacity(bare.len());
            bare.iter().for_each(|blind| filter.insert(blind));
            state.bare = Some(filter);
        }
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
        Ok(())
    }

    /// The stored keys a message with this blind may have: one per generation whose filter
    /// holds it (usually none or one), and the bare blind when older keys may hold it.
    pub(crate) fn candidates(&self, blind: &[u8; 16]) -> Vec<String> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut keys = Vec::new();
        if state.bare.as_ref().is_some_and(|filter| filter.holds(&filter.probe(blind))) {
            keys.push(hex(blind));
        }
        // Every generation's filter has one size: one probe for all. Newest first: a message
        // named by a change is usually a recent one.
        let probe = Probe::new(blind, GENERATION_BLOCKS);
        for (generation, filter) in state.generations.iter().enumerate().rev() {
            if filter.as_ref().is_some_and(|filter| filter.holds(&probe)) {
                keys.push(key(generation, blind));
            }
        }
        keys
    }

    /// The key to store for a new entry with this blind, in the current generation (the next
    /// one once it is full). The caller has looked the blind up first ([`candidates`](Self::candidates)):
    /// one blind has one entry.
    pub(crate) fn assign(&self, blind: &[u8; 16]) -> String {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = match state.generations.len() {
            0 => 0,
            len if state.filled >= GENERATION => len,
            len => len - 1,
        };
        state.add(generation, blind);
        key(generation, blind)
    }
}

impl State {
    fn add(&mut self, generation: usize, blind: &[u8; 16]) {
        if generation >= self.generations.len() {
            self.generations.resize_with(generation + 1, || None);
            self.filled = 0;
        }
        let filter = self.generations[generation].get_or_insert_with(|| Filter::with_capacity(GENERATION as usize));
        filter.insert(blind);
        if generation + 1 == self.generations.len() {
            self.filled = self.filled.saturating_add(1);
        }
    }
}

/// A stored key of a sealed inbox, parsed.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    Generation(usize, [u8; 16]),
    Bare([u8; 16]),
}

fn key(generation: usize, blind: &[u8; 16]) -> String {
    let mut key = format!("{generation:0PREFIX$x}");
    key.push_str(&hex(blind));
    key
}

fn parse(key: &str) -> Option<Key> {
    match key.len() {
        BLIND_HEX => unhex(key).map(Key::Bare),
        len if len == PREFIX + BLIND_HEX => {
            let generation = usize::from_str_radix(key.get(..PREFIX)?, 16).ok()?;
            unhex(key.get(PREFIX..)?).map(|blind| Key::Generation(generation, blind))
        }
        _ => None,
    }
}

/// The bare blind of a stored key of a sealed inbox (what `pending_actions` is keyed by).
pub(crate) fn bare_blind(stored: &str) -> &str {
    match stored.len() {
        len if len == PREFIX + BLIND_HEX => stored.get(PREFIX..).unwrap_or(stored),
        _ => stored,
    }
}

fn unhex(text: &str) -> Option<[u8; 16]> {
    let digits = text.as_bytes();
    if digits.len() != BLIND_HEX {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 16];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

/// A blocked Bloom filter of blinds: each blind sets [`PROBES`] bits in one 512-bit block, so a
/// lookup reads one cache line per filter, and for filters of one size (every generation's) the
/// block and bits are computed once per lookup ([`Probe`]). A blind is the output of a keyed PRF,
/// uniformly random already, so its own bits choose the block and the bits.
#[derive(Debug)]
struct Filter {
    blocks: Vec<[u64; 8]>,
}

/// Bits set per blind; with 16 bits per entry this gives about 1 false positive in 1,000.
const PROBES: u32 = 11;

/// Where one blind's bits are in filters of one size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Probe {
    block: usize,
    mask: [u64; 8],
}

impl Probe {
    /// `blocks`: a power of two, at most 2^16 (the blind's first 16 bits choose the block).
    fn new(blind: &[u8; 16], blocks: usize) -> Self {
        let bits = u128::from_le_bytes(*blind);
        let block = (bits as usize & 0xffff) & (blocks - 1);
        let mut mask = [0u64; 8];
        // Then 9 bits per probe (a bit of the 512), from bit 16 on: 16 + 11 × 9 = 115 ≤ 128.
        for probe in 0..PROBES {
            let bit = ((bits >> (16 + 9 * probe)) & 0x1ff) as usize;
            mask[bit / 64] |= 1 << (bit % 64);
        }
        Probe { block, mask }
    }
}

impl Filter {
    fn with_capacity(entries: usize) -> Self {
        // 16 bits per entry, 512 per block, a power of two of blocks (at most 2^16: beyond
        // 2^16 blocks, about 2 million bare keys, false positives rise slowly).
        let blocks = (entries.max(32) * 16 / 512).next_power_of_two().min(1 << 16);
        Filter { blocks: vec![[0; 8]; blocks] }
    }

    fn probe(&self, blind: &[u8; 16]) -> Probe {
        Probe::new(blind, self.blocks.len())
    }

    fn insert(&mut self, blind: &[u8; 16]) {
        let probe = self.probe(blind);
        let block = &mut self.blocks[probe.block];
        block.iter_mut().zip(probe.mask).for_each(|(word, mask)| *word |= mask);
    }

    fn holds(&self, probe: &Probe) -> bool {
        let block = &self.blocks[probe.block];
        block.iter().zip(probe.mask).all(|(word, mask)| word & mask == mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blind(n: u32) -> [u8; 16] {
        // Spread like PRF output (a blind is one): a simple mix of the counter.
        let mut out = [0u8; 16];
        let mut x = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        for chunk in out.chunks_exact_mut(8) {
            x ^= x >> 31;
            x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x ^= x >> 29;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        out
    }

    #[test]
    fn a_new_blind_has_no_candidates_and_a_stored_one_exactly_its_key() {
        let ids = MessageIds::new();
        assert!(ids.candidates(&blind(1)).is_empty());
        let stored = ids.assign(&blind(1));
        assert_eq!(stored.len(), PREFIX + BLIND_HEX);
        assert!(stored.starts_with("00000000"), "{stored}");
        assert_eq!(ids.candidates(&blind(1)), std::slice::from_ref(&stored));
        assert_eq!(bare_blind(&stored), hex(&blind(1)));
        assert_eq!(parse(&stored), Some(Key::Generation(0, blind(1))));
    }

    #[test]
    fn generations_fill_in_order_and_keys_sort_by_generation() {
        let ids = MessageIds::new();
        let keys: Vec<String> = (0..GENERATION * 2 + 5).map(|n| ids.assign(&blind(n))).collect();
        assert!(keys[..GENERATION as usize].iter().all(|key| key.starts_with("00000000")));
        assert!(keys[GENERATION as usize].starts_with("00000001"));
        assert!(keys.last().unwrap().starts_with("00000002"));
        // Each generation's keys sort after every key of the ones before.
        let firsts: Vec<&str> = keys.iter().map(|key| &key[..PREFIX]).collect();
        assert!(firsts.windows(2).all(|pair| pair[0] <= pair[1]));
        for n in [0, GENERATION - 1, GENERATION, GENERATION * 2 + 4] {
            assert!(ids.candidates(&blind(n)).contains(&keys[n as usize]), "blind {n}");
        }
    }

    #[test]
    fn false_positives_are_rare() {
        let ids = MessageIds::new();
        (0..GENERATION * 4).for_each(|n| {
            ids.assign(&blind(n));
        });
        let extra: usize = (1_000_000..1_020_000).map(|n| ids.candidates(&blind(n)).len()).sum();
        // 20,000 absent blinds against 4 full generations: about 80 expected at 1 in 1,000.
        assert!(extra < 240, "{extra} false candidates");
    }

    #[test]
    fn a_generation_filter_has_the_size_its_probe_assumes() {
        let filter = Filter::with_capacity(GENERATION as usize);
        assert_eq!(filter.blocks.len(), GENERATION_BLOCKS);
        assert_eq!(filter.probe(&blind(5)), Probe::new(&blind(5), GENERATION_BLOCKS));
        assert_eq!(Probe::new(&blind(5), 1).block, 0);
        assert!(Probe::new(&blind(5), 128).mask.iter().map(|word| word.count_ones()).sum::<u32>() <= PROBES);
    }

    #[test]
    fn loading_reads_both_layouts() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE messages (platform_message_id TEXT)").unwrap();
        let bare = hex(&blind(7));
        let generation = key(3, &blind(8));
        for stored in [Some(bare.as_str()), Some(generation.as_str()), None, Some("not a blind")] {
            conn.execute("INSERT INTO messages VALUES (?1)", [stored]).unwrap();
        }
        let ids = MessageIds::new();
        ids.load(&conn).unwrap();
        assert_eq!(ids.candidates(&blind(7)), std::slice::from_ref(&bare));
        assert_eq!(ids.candidates(&blind(8)), [generation]);
        assert_eq!(bare_blind(&bare), bare);
        // Generation 3 is the current one, with one key: the next key joins it.
        assert!(ids.assign(&blind(9)).starts_with("00000003"));
    }

    #[test]
    fn only_well_formed_keys_parse() {
        assert_eq!(parse(&"g".repeat(32)), None);
        assert_eq!(parse(&"A".repeat(32)), None);
        assert_eq!(parse("1234"), None);
        assert_eq!(parse(&format!("zzzzzzzz{}", hex(&blind(1)))), None);
    }
}
