//! Nonces for sealing, drawn from the operating system's generator a block at a time.
//!
//! Every sealed value takes a fresh random nonce (24 bytes for XChaCha20-Poly1305, 12 for
//! AES-256-GCM-SIV). Asking the kernel for each one costs a system call per value, and a
//! sealed inbox seals several values per webhook; so each thread keeps a block of
//! [`BLOCK`] bytes from `getrandom` and hands out slices of it, each byte once. The bytes are
//! the operating system's, unchanged: nothing is derived or stretched.
//!
//! A process that forks would hand the same bytes to parent and child (a repeated nonce under
//! one key). The block remembers the process id it was drawn in and is discarded, unused, in a
//! process with another id.

use std::cell::RefCell;

use unibox_core::{Error, ErrorKind, Result};

/// The bytes drawn per system call: 170 XChaCha20 nonces.
const BLOCK: usize = 4096;

struct Pool {
    bytes: [u8; BLOCK],
    /// How many leading bytes are handed out already (`BLOCK`: none left).
    used: usize,
    /// The process the bytes were drawn in.
    pid: u32,
}

thread_local! {
    static POOL: RefCell<Pool> = const { RefCell::new(Pool { bytes: [0; BLOCK], used: BLOCK, pid: 0 }) };
}

/// Fills `nonce` with bytes from the operating system's generator that no other call, thread
/// or process is given. Fails (typed, never a panic) only when the generator does.
pub(crate) fn fill(nonce: &mut [u8]) -> Result<()> {
    if nonce.len() > BLOCK {
        return getrandom::fill(nonce).map_err(unavailable);
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let pid = std::process::id();
        if pool.pid != pid || BLOCK - pool.used < nonce.len() {
            // Mark the block spent first: a failed refill must not leave old bytes usable.
            pool.used = BLOCK;
            getrandom::fill(&mut pool.bytes).map_err(unavailable)?;
            pool.used = 0;
            pool.pid = pid;
        }
        let start = pool.used;
        nonce.copy_from_slice(&pool.bytes[start..start + nonce.len()]);
        // Handed-out bytes are overwritten, so no later reader of this memory sees a used nonce.
        pool.bytes[start..start + nonce.len()].fill(0);
        pool.used += nonce.len();
        Ok(())
    })
}

fn unavailable(error: getrandom::Error) -> Error {
    Error::new(ErrorKind::Unexpected, format!("the operating system's random generator failed: {error}"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn nonces_never_repeat_across_refills_and_threads() {
        let draw = || {
            (0..2_000)
                .map(|_| {
                    let mut nonce = [0u8; 24];
                    fill(&mut nonce).unwrap();
                    nonce
                })
                .collect::<Vec<_>>()
        };
        let other = std::thread::spawn(draw);
        let mut seen = HashSet::new();
        for nonce in draw().into_iter().chain(other.join().unwrap()) {
            assert!(seen.insert(nonce), "a nonce was handed out twice");
        }
        assert_eq!(seen.len(), 4_000);
    }

    #[test]
    fn nonces_of_mixed_lengths_and_a_long_one_are_filled() {
        let mut short = [0u8; 12];
        let mut long = [0u8; BLOCK + 1];
        fill(&mut short).unwrap();
        fill(&mut long).unwrap();
        assert_ne!(short, [0u8; 12]);
        assert!(long.iter().any(|byte| *byte != 0));
    }
}
