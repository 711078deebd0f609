//! An attribute path (`attrPath`, RFC 7644 Figure 1): the name a filter compares and
//! a PATCH path starts at.

use std::fmt;

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrPath {
    /// Schema URN prefix, as written.
    pub urn: Option<String>,
    /// Attribute name, as written.
    pub name: String,
    /// Sub-attribute name, as written.
    pub sub: Option<String>,
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
