//! How a command ends: kiln's exit statuses, as a type (docs/commands.md, exit codes).

use std::process::ExitCode;

/// What a command's run came to; `main` turns it into the process's exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    /// Exit 0: done, nothing to report.
    Ok,
    /// Exit 1: problems in the user's input, or a difference found where asked
    /// (`build --check`, `diff --exit-code`).
    Problems,
    /// Exit 2: kiln itself failed, or was used wrongly.
    Failure,
}

impl Status {
    /// `Problems` when `found`, else `Ok`.
    pub(super) fn problems_if(found: bool) -> Status {
        if found {
            Status::Problems
        } else {
            Status::Ok
        }
    }

    pub(super) fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Problems => 1,
            Status::Failure => 2,
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codes_are_documented_ones() {
        assert_eq!(Status::Ok.code(), 0);
        assert_eq!(Status::Problems.code(), 1);
        assert_eq!(Status::Failure.code(), 2);
        assert_eq!(Status::problems_if(true), Status::Problems);
        assert_eq!(Status::problems_if(false), Status::Ok);
    }
}
