//! The process's open-file limit: raised to the hard limit at start where the process may, and
//! read to fit the connection cap under it.

/// Raises the soft limit on open files to the hard limit (Unix), and returns the soft limit in
/// force afterwards; `None` where it cannot be read or is unlimited.
#[cfg(unix)]
pub(crate) fn raise_and_read(raise: bool) -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if raise && limit.current < limit.maximum {
        let raised = rustix::process::Rlimit { current: limit.maximum, maximum: limit.maximum };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::info!(
                target: "unibox::server",
                from = ?limit.current,
                to = ?limit.maximum,
                "raised the open-file limit to the hard limit"
            ),
            // macOS refuses an unlimited hard limit; the soft one stays.
            Err(error) => {
                tracing::debug!(target: "unibox::server", %error, "the open-file limit could not be raised")
            }
        }
    }
    getrlimit(Resource::Nofile).current
}

/// Not Unix: nothing to raise, no limit to read.
#[cfg(not(unix))]
pub(crate) fn raise_and_read(_raise: bool) -> Option<u64> {
    None
}
