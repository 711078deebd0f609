//! What a case file says and how it loads: the model, positions, templating, loading.

pub mod load;
pub mod matcher;
pub mod model;
pub mod requires;
pub mod rules;
pub mod template;

pub use crate::diag::{Diagnostic, Pos};
pub use load::{Corpus, LoadError, LoadedCase, load_path};
pub use model::{Case, Expect, Level, Step};
