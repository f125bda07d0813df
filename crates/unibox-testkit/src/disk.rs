//! A small file system of its own for a disk-full test: a `tmpfs` of a few MiB mounted on a
//! temporary directory (which needs root, or `CAP_SYS_ADMIN`), filled and freed by the test,
//! and unmounted when dropped, a failing test included.
//!
//! Where mounting is not allowed, [`SmallDisk::mount`] prints why and returns `None`, and the
//! test returns early; with `UNIBOX_TEST_DISKFULL_REQUIRED=1` (set by CI) it fails instead, so
//! a machine that should run the case never skips it silently.
//!
//! ```no_run
//! use unibox_testkit::disk::SmallDisk;
//!
//! let Some(disk) = SmallDisk::mount("my_disk_full_test", 8 * 1024 * 1024) else { return };
//! let filler = disk.fill_leaving(1024 * 1024);
//! assert!(disk.free_bytes() <= 1024 * 1024);
//! std::fs::remove_file(filler).unwrap();
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The variable that turns a skipped disk-full test into a failure.
pub const REQUIRED_VARIABLE: &str = "UNIBOX_TEST_DISKFULL_REQUIRED";

/// A mounted `tmpfs`, unmounted on drop.
///
/// ```no_run
/// let Some(disk) = unibox_testkit::disk::SmallDisk::mount("example", 8 << 20) else { return };
/// let db = disk.path().join("inbox.db");
/// # let _ = db;
/// ```
#[derive(Debug)]
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a `tmpfs` of `bytes` on a new temporary directory; `None` (after printing why
    /// `test` is skipped) where mounting is not allowed, unless [`REQUIRED_VARIABLE`] is `1`, in
    /// which case it panics.
    ///
    /// ```no_run
    /// let disk = unibox_testkit::disk::SmallDisk::mount("example", 8 << 20);
    /// # let _ = disk;
    /// ```
    pub fn mount(test: &str, bytes: u64) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("a temporary directory for the small file system");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes},mode=0700"), "unibox-test-tmpfs"])
            .arg(dir.path())
            .output();
        let refusal = match mounted {
            Ok(output) if output.status.success() => return Some(SmallDisk { dir }),
            Ok(output) => String::from_utf8_lossy(&output.stderr).trim().replace('\n', "; "),
            Err(err) => format!("cannot run mount: {err}"),
        };
        let message = format!(
            "{test}: SKIPPED: it needs a small file system of its own and mounting a tmpfs is not allowed here \
             ({refusal}); run it as root, or set {REQUIRED_VARIABLE}=1 to make this a failure"
        );
        if std::env::var(REQUIRED_VARIABLE).is_ok_and(|value| value == "1") {
            panic!("{message}");
        }
        println!("{message}");
        eprintln!("{message}");
        None
    }

    /// The mount point.
    ///
    /// ```no_run
    /// # let disk = unibox_testkit::disk::SmallDisk::mount("example", 8 << 20).unwrap();
    /// assert!(disk.path().is_dir());
    /// ```
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The bytes still free.
    ///
    /// ```no_run
    /// # let disk = unibox_testkit::disk::SmallDisk::mount("example", 8 << 20).unwrap();
    /// assert!(disk.free_bytes() > 0);
    /// ```
    pub fn free_bytes(&self) -> u64 {
        let stats = rustix::fs::statvfs(self.path()).expect("statvfs of the small file system");
        stats.f_bavail.saturating_mul(stats.f_frsize)
    }

    /// Writes a new filler file until at most `leave` bytes are free (0: the disk is full) and
    /// returns its path; deleting it gives the space back.
    ///
    /// ```no_run
    /// # let disk = unibox_testkit::disk::SmallDisk::mount("example", 8 << 20).unwrap();
    /// let filler = disk.fill_leaving(0);
    /// assert_eq!(disk.free_bytes(), 0);
    /// std::fs::remove_file(filler).unwrap();
    /// ```
    pub fn fill_leaving(&self, leave: u64) -> PathBuf {
        let mut index = 0;
        let path = loop {
            let candidate = self.path().join(format!("filler-{index}"));
            if !candidate.exists() {
                break candidate;
            }
            index += 1;
        };
        let mut file = std::fs::File::create(&path).expect("create the filler file");
        let chunk = vec![0x5a_u8; 64 * 1024];
        loop {
            let free = self.free_bytes();
            if free <= leave {
                break;
            }
            let step = usize::try_from(free - leave).unwrap_or(usize::MAX).min(chunk.len());
            match file.write(&chunk[..step]) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) if err.raw_os_error() == Some(28) => break, // ENOSPC: full
                Err(err) => panic!("writing the filler file failed: {err}"),
            }
        }
        file.sync_all().ok();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazy: a file still open (a connection a failing test left behind) does not keep the
        // mount; the temporary directory is removed after.
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}
