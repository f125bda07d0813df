//! Capturing log output in a test, to assert that no secret appears in it.
//!
//! [`CapturedLogs`] is a `std::io::Write` whose clones share one buffer: hand a clone to the
//! log subscriber (`tracing_subscriber::fmt().with_writer(move || writer.clone())`) and read
//! the text afterwards.
//!
//! ```
//! use std::io::Write;
//! use unibox_testkit::logs::CapturedLogs;
//! let captured = CapturedLogs::default();
//! let mut writer = captured.clone();
//! writeln!(writer, "send failed: kind=token_invalid").unwrap();
//! assert!(captured.text().contains("token_invalid"));
//! ```

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// A shared in-memory log buffer.
#[derive(Clone, Debug, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
