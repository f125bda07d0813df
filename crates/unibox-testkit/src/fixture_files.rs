//! An adapter's recorded payloads: a directory of `<name>.json` files, read byte for byte (the
//! signature tests need the exact bytes the platform signed).
//!
//! ```
//! let dir = std::env::temp_dir().join("unibox-fixture-files-doc");
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("text.json"), br#"{"events":[]}"#).unwrap();
//! assert!(unibox_testkit::fixture_files::names(&dir).contains(&"text".to_string()));
//! assert_eq!(unibox_testkit::fixture_files::read(&dir, "text"), br#"{"events":[]}"#);
//! ```

use std::path::Path;

/// The exact bytes of `{dir}/{name}.json`; panics (it is a test) naming the file if it cannot.
pub fn read(dir: impl AsRef<Path>, name: &str) -> Vec<u8> {
    let path = dir.as_ref().join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The name of every `.json` file in `dir`, without the extension, sorted.
pub fn names(dir: impl AsRef<Path>) -> Vec<String> {
    let dir = dir.as_ref();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    names
}
