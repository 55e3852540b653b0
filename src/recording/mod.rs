//! Recording and replay: `--record FILE.csv` writes every sample the twin
//! applies, `--replay FILE.csv` feeds a recording (or a user's own CSV) back
//! through the live path with the file's times.
//!
//! The pure core reads and writes the file (`rows`, `time`) and keeps a
//! replay's cursor and clock (`replay`); `plugin` moves samples between it
//! and the ECS. Replayed samples enter the same channel as live ones, so
//! analytics and alarms cannot tell a replay from the plant, except by the
//! clock, which follows the file.

pub(crate) mod rows;
mod time;

pub(crate) mod plugin;
pub(crate) mod replay;

pub use plugin::RecorderRes;
pub use replay::{Replay, Speed};
pub use time::{TimeError, format_time};

/// What went wrong with a recording, and where: `file:line[:column]: …`
/// for what is in a file.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("cannot read recording {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot create recording {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write recording {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("recording stopped: {reason}")]
    Stopped { reason: String },
    #[error("{file}: the file is empty (expected the header \"{header}\")")]
    Empty { file: String, header: &'static str },
    #[error("{file}: the recording has a header but no rows")]
    NoRows { file: String },
    #[error(
        "{file}:{line}: the header needs columns \"timestamp\" and \"value\" \
         (found \"{found}\"; expected \"{header}\")"
    )]
    NoTimeOrValue {
        file: String,
        line: usize,
        found: String,
        header: &'static str,
    },
    #[error(
        "{file}:{line}: the header needs \"twin\" and \"sensor\" columns, or a \"topic\" column"
    )]
    NoRoute { file: String, line: usize },
    #[error("{file}:{line}: {found} fields, but the header has {expected}")]
    FieldCount {
        file: String,
        line: usize,
        found: usize,
        expected: usize,
    },
    #[error("{file}:{line}: a quote opened in this row is never closed")]
    UnclosedQuote { file: String, line: usize },
    #[error("{file}:{line}: {why}")]
    Csv {
        file: String,
        line: usize,
        why: String,
    },
    #[error("{file}:{line}:{column}: {source}")]
    Time {
        file: String,
        line: usize,
        column: usize,
        source: TimeError,
    },
    #[error("{file}:{line}: the row names neither a twin and sensor nor a topic")]
    Unrouted { file: String, line: usize },
    #[error("\"{text}\" is not a speed: give a positive factor (1, 0.5, 60) or \"max\"")]
    Speed { text: String },
}
