//! Byte scans of the files a store writes: how the at-rest tests check that planted personal
//! data (a sentence, a phone number, a name, a token) cannot be read from the disk.
//!
//! ```
//! use unibox_testkit::scan::{found_in, sqlite_files};
//! let dir = std::env::temp_dir().join(format!("unibox-scan-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let inbox = dir.join("inbox.db");
//! std::fs::write(&inbox, b"...call +66 81 234 5678...").unwrap();
//! std::fs::write(dir.join("inbox.db.inbound"), b"sealed bytes").unwrap();
//! let files = sqlite_files(&inbox);
//! assert_eq!(files.len(), 2, "the inbox and its journal; no log files exist");
//! assert_eq!(found_in(&files, &["+66 81 234 5678", "Somchai"]), vec!["+66 81 234 5678"]);
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::path::{Path, PathBuf};

/// The files of a SQLite inbox at `path` that exist: the inbox, its write-ahead log, the inbound
/// journal (`.inbound`) and its log.
pub fn sqlite_files(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", ".inbound", ".inbound-wal"]
        .iter()
        .map(|suffix| {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            PathBuf::from(file)
        })
        .filter(|file| file.exists())
        .collect()
}

/// The values of `planted` that occur, as UTF-8 bytes, in any of `files`, in `planted`'s order.
///
/// # Panics
///
/// When a file cannot be read (a test's store files must be readable).
pub fn found_in<'a>(files: &[PathBuf], planted: &[&'a str]) -> Vec<&'a str> {
    let contents: Vec<Vec<u8>> =
        files.iter().map(|file| std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))).collect();
    planted
        .iter()
        .copied()
        .filter(|value| {
            contents.iter().any(|bytes| bytes.windows(value.len()).any(|window| window == value.as_bytes()))
        })
        .collect()
}
