//! Exit codes, as a documented enum, and the error kinds that choose them.

use std::fmt;

/// How a run ended. The numbers are part of the command-line contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done: changed, or already so.
    Done = 0,
    /// Failed: invalid file, write error, apply failed (and was rolled back).
    Failed = 1,
    /// Bad usage: unknown flag, invalid address or URL. Nothing was written.
    Usage = 2,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The exit code an error maps to: `UsageError` anywhere in the chain is 2, the rest 1.
    pub fn for_error(err: &anyhow::Error) -> Exit {
        if err.chain().any(|e| e.is::<UsageError>()) {
            Exit::Usage
        } else {
            Exit::Failed
        }
    }
}

/// The user asked for something malformed (an invalid address, a bad value): exit 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

/// A problem in a file, already rendered with its place (`path:line:col: error: ...`, the line,
/// a caret and `help:`). Printed as is, without another `error:` prefix.
#[derive(Debug)]
pub struct FileError(pub String);

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.trim_end())
    }
}
impl std::error::Error for FileError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        assert_eq!(Exit::Done.code(), 0);
        assert_eq!(Exit::Failed.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
    }

    #[test]
    fn usage_errors_anywhere_in_the_chain_exit_2() {
        let e = anyhow::Error::new(UsageError("bad address".into())).context("adding");
        assert_eq!(Exit::for_error(&e), Exit::Usage);
        assert_eq!(Exit::for_error(&anyhow::anyhow!("disk full")), Exit::Failed);
        let f = anyhow::Error::new(FileError("x:1:1: error: y".into()));
        assert_eq!(Exit::for_error(&f), Exit::Failed);
    }
}
