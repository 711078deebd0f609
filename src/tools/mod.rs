//! Tools for people chasing a bug: `repro` (one case, verbosely, with its curl
//! sequence), `record` (requests → a replayable case file) and `diff` (the same cases
//! against two targets).

pub mod curlfile;
pub mod diff;
pub mod explore;
pub mod record;
pub mod repro;
pub mod text;
