//! Compiler-style diagnostics that point into a case file: `--> file:line:col`, the
//! source line and a caret.

use std::fmt;
use std::path::PathBuf;

/// A position in a case file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Pos {
    /// File path as given to the loader.
    pub file: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub col: u64,
}

impl Pos {
    /// A position from a serde-saphyr location in `file`.
    pub fn at(file: &std::path::Path, loc: serde_saphyr::Location) -> Pos {
        Pos {
            file: file.to_path_buf(),
            line: loc.line(),
            col: loc.column(),
        }
    }

    /// The start of `file`.
    pub fn file_start(file: &std::path::Path) -> Pos {
        Pos {
            file: file.to_path_buf(),
            line: 1,
            col: 1,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// One problem in a case file, with the offending line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong (lowercase, reads after "error: ").
    pub message: String,
    /// Where.
    pub pos: Pos,
    /// The source line at `pos`, when known.
    pub line_text: Option<String>,
    /// Further positions involved (e.g. the first definition of a duplicate id).
    pub related: Vec<(String, Pos, Option<String>)>,
}

impl Diagnostic {
    /// A diagnostic at `pos`, reading the line from `source`.
    pub fn new(message: impl Into<String>, pos: Pos, source: &str) -> Diagnostic {
        let line_text = line_of(source, pos.line);
        Diagnostic {
            message: message.into(),
            pos,
            line_text,
            related: Vec::new(),
        }
    }

    /// Adds a related position (shown as a note).
    pub fn with_related(mut self, note: impl Into<String>, pos: Pos, source: &str) -> Diagnostic {
        let text = line_of(source, pos.line);
        self.related.push((note.into(), pos, text));
        self
    }
}

/// The 1-based `line` of `source`, if it exists.
pub fn line_of(source: &str, line: u64) -> Option<String> {
    let index = usize::try_from(line.checked_sub(1)?).ok()?;
    source.lines().nth(index).map(str::to_string)
}

fn write_snippet(f: &mut fmt::Formatter<'_>, pos: &Pos, text: Option<&String>) -> fmt::Result {
    writeln!(f, "  --> {pos}")?;
    if let Some(text) = text {
        let gutter = pos.line.to_string();
        let pad = " ".repeat(gutter.len());
        writeln!(f, " {pad} |")?;
        writeln!(f, " {gutter} | {text}")?;
        let caret_pad = " ".repeat(usize::try_from(pos.col.saturating_sub(1)).unwrap_or(0));
        writeln!(f, " {pad} | {caret_pad}^")?;
    }
    Ok(())
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        write_snippet(f, &self.pos, self.line_text.as_ref())?;
        for (note, pos, text) in &self.related {
            writeln!(f, "note: {note}")?;
            write_snippet(f, pos, text.as_ref())?;
        }
        Ok(())
    }
}
