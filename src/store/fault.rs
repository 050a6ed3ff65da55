//! Test-only fault injection: a unit test arms one step with an errno, and the store fails there as
//! if the operating system had refused, so every cleanup path is tested without filling a disk.
//! In non-test builds `check` is an empty function.

use std::io;

/// A point in a write where a failure is injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// After the previous content was written into a new backup entry.
    Backup,
    /// After the new content was written into the temp file, before its mode and owner are set.
    TempWritten,
    /// Just before the temp file is renamed over the config file.
    Rename,
}

#[cfg(test)]
thread_local! {
    static ARMED: std::cell::Cell<Option<(Step, i32)>> = const { std::cell::Cell::new(None) };
}

/// Fail once at `step` with `errno` (in this thread).
#[cfg(test)]
pub(crate) fn arm(step: Step, errno: i32) {
    ARMED.with(|a| a.set(Some((step, errno))));
}

/// Disarm any armed fault (in this thread).
#[cfg(test)]
pub(crate) fn disarm() {
    ARMED.with(|a| a.set(None));
}

/// The injected error if `step` is armed (then disarmed), else `Ok`.
pub(crate) fn check(step: Step) -> io::Result<()> {
    #[cfg(test)]
    {
        if let Some((armed, errno)) = ARMED.with(|a| a.get())
            && armed == step
        {
            disarm();
            return Err(io::Error::from_raw_os_error(errno));
        }
    }
    let _ = step;
    Ok(())
}
