//! Tools for people chasing a bug: `repro` (one case, verbosely, with its curl
//! sequence), `record` (requests → a replayable case file) and `diff` (the same cases
//! against two targets).

mod curlfile;
// Public as namespaces: each tool's vocabulary (`diff::Side`, `diff::render`,
// `explore::Finding`, `record::Source`, `record::case_file`, ...) only reads right under
// the tool's name.
pub mod diff;
pub mod explore;
pub mod record;
mod repro;
mod text;

pub use curlfile::{CurlCommand, CurlError, parse_curl_file, read_at_file};
pub use repro::Repro;
pub use text::closest;
