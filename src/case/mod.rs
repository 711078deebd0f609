//! What a case file says and how it loads: the model, positions, templating, loading.

mod load;
// Crate-wide under its own name: `matcher::compiled` and `matcher::is_uuid` need the word.
pub(crate) mod matcher;
mod model;
mod requires;
mod rules;
// Crate-wide under its own name: `template::render`, `template::references`, ...
pub(crate) mod template;
mod yaml;

pub use load::{Corpus, LoadError, LoadedCase, load_path, parse_file, validate};
pub use matcher::Matcher;
pub use model::{
    Capture, Case, Expect, HeaderExpect, Level, Request, SnapshotSpec, StatusSpec, Step,
    json_schema,
};
pub use requires::{Requirement, user_attribute};
pub use rules::{Catalogue, RULES_FILE, Rule};
pub use template::{USER_NAME_DOMAIN, Vars};
// For the fuzz target and the benchmarks, which hold it against serde-saphyr.
#[doc(hidden)]
pub use yaml::read as read_yaml_fast;
// The options case files are read with, for the fuzz target to read them the same way.
#[doc(hidden)]
pub use yaml::saphyr_options as yaml_options;
