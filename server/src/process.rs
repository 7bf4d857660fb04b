//! This process as the operating system sees it: its resident memory and open files for `/metrics`, and its limit
//! on open files.
//!
//! Every live-feed page holds a socket, and a socket is a file descriptor. Many systems start processes with a
//! soft limit of 1024 open files while allowing far more, so a server (and `sev-tools load`, which opens thousands of
//! client sockets) raises its soft limit to the hard limit at start-up instead of failing at the 1025th page.

use std::io;

/// Raises the soft limit on open files to the hard limit and returns the limit now in force.
#[cfg(unix)]
pub fn raise_open_files_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct it is given, which lives on this stack frame.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        // SAFETY: setrlimit only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(io::Error::last_os_error());
        }
        limit = raised;
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux and macOS, but not on every unix.
    Ok(limit.rlim_cur as u64)
}

/// Elsewhere there is no such limit to raise.
#[cfg(not(unix))]
pub fn raise_open_files_limit() -> io::Result<u64> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no RLIMIT_NOFILE on this system"))
}

/// Bytes of this process's memory that are resident in RAM, from `/proc/self/statm`. `None` off Linux.
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let resident_pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(resident_pages * page_size()?)
}

#[cfg(unix)]
fn page_size() -> Option<u64> {
    // SAFETY: sysconf reads a constant of the system and has no memory effects.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(size).ok().filter(|s| *s > 0)
}

#[cfg(not(unix))]
fn page_size() -> Option<u64> {
    None
}

/// How many files (sockets included) this process has open, from `/proc/self/fd`. `None` off Linux.
pub fn open_fds() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_reports_memory_and_open_files() {
        let rss = resident_memory_bytes().expect("statm is readable on Linux");
        assert!(rss > 1024 * 1024, "a test binary uses more than a megabyte: {rss}");
        // Other tests open and close files meanwhile, so only a lower bound is certain.
        let files: Vec<_> = (0..50).map(|_| std::fs::File::open("/proc/self/statm").unwrap()).collect();
        let open = open_fds().expect("/proc/self/fd is readable on Linux");
        assert!(open >= 50, "the 50 files held open are counted: {open}");
        drop(files);
    }

    #[cfg(unix)]
    #[test]
    fn the_open_files_limit_ends_at_the_hard_limit() {
        let raised = raise_open_files_limit().expect("raising to the hard limit is always allowed");
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: as above.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) }, 0);
        assert_eq!(limit.rlim_cur, limit.rlim_max);
        #[allow(clippy::unnecessary_cast)]
        let current = limit.rlim_cur as u64;
        assert_eq!(raised, current);
    }
}
