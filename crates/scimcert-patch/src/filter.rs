//! The filter grammar (RFC 7644 §3.4.2.2 Figure 1) and its evaluation.

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

use crate::attr::AttrPath;
use crate::error::{PatchError, ScimType};
use crate::schema::{AttrDef, AttrType, Schema};
use crate::value::{find_key, is_unassigned};

/// `compareOp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// equal
    Eq,
    /// not equal
    Ne,
    /// contains
    Co,
    /// starts with
    Sw,
    /// ends with
    Ew,
    /// greater than
    Gt,
    /// less than
    Lt,
    /// greater or equal
    Ge,
    /// less or equal
    Le,
}

impl CompareOp {
    /// Every operator, in RFC order.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Lt,
        CompareOp::Ge,
        CompareOp::Le,
    ];

    /// The lowercase keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Lt => "lt",
            CompareOp::Ge => "ge",
            CompareOp::Le => "le",
        }
    }

    /// The operator spelled `word`, case-insensitively (P-23).
    pub fn parse(word: &str) -> Option<CompareOp> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Lt | CompareOp::Ge | CompareOp::Le
        )
    }
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `attrPath op compValue`
    Compare(AttrPath, CompareOp, Value),
    /// `attrPath pr`
    Present(AttrPath),
    /// `a and b`
    And(Box<Filter>, Box<Filter>),
    /// `a or b`
    Or(Box<Filter>, Box<Filter>),
    /// `not (a)`
    Not(Box<Filter>),
    /// `attrPath[valFilter]` nested inside a filter
    ValuePath(AttrPath, Box<Filter>),
}

/// Longest filter or PATCH path accepted, in bytes. Real ones are well under a kilobyte;
/// the bound keeps parsing cheap and the error details that quote the input readable.
pub const MAX_EXPRESSION_BYTES: usize = 8 * 1024;
/// Deepest nesting of parentheses, `not (...)` and value filters (`emails[...]`): the
/// parser recurses once per level, so the bound keeps a hostile `((((…` off the stack.
pub const MAX_NESTING: usize = 32;
/// Most comparisons (`attrPath op value`, `attrPath pr`) in one filter or path. `and`
/// and `or` chains become trees this deep, which evaluation, printing and dropping walk
/// recursively.
pub const MAX_TERMS: usize = 256;

/// Parses a filter; errors are 400 `invalidFilter` with the byte position.
pub fn parse_filter(input: &str) -> Result<Filter, PatchError> {
    check_length(input, "filter", ScimType::InvalidFilter)?;
    let mut parser = Parser::new(input);
    parser.skip_ws();
    let filter = parser.or_expr()?;
    parser.skip_ws();
    if parser.pos < input.len() {
        return Err(parser.error(ScimType::InvalidFilter, "unexpected trailing input"));
    }
    Ok(filter)
}

/// Rejects an input over [`MAX_EXPRESSION_BYTES`] without quoting it.
pub(crate) fn check_length(input: &str, what: &str, kind: ScimType) -> Result<(), PatchError> {
    if input.len() > MAX_EXPRESSION_BYTES {
        return Err(PatchError::bad_request(
            kind,
            format!(
                "the {what} is {} bytes long; at most {MAX_EXPRESSION_BYTES} are accepted",
                input.len()
            ),
        ));
    }
    Ok(())
}

/// A cursor over a path or filter; shared by `parse_path` and `parse_filter`.
pub(crate) struct Parser<'a> {
    src: &'a str,
    /// Byte offset of the next unread character.
    pub(crate) pos: usize,
    /// Groups and value filters open at the cursor.
    depth: usize,
    /// Comparisons parsed so far.
    terms: usize,
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'$'
}

fn is_attr_path_char(b: u8) -> bool {
    is_name_char(b) || b == b':' || b == b'.'
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Parser {
            src,
            pos: 0,
            depth: 0,
            terms: 0,
        }
    }

    /// Runs `parse` one nesting level deeper, refusing to go past [`MAX_NESTING`].
    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, PatchError>,
    ) -> Result<T, PatchError> {
        if self.depth >= MAX_NESTING {
            return Err(self.error(
                ScimType::InvalidFilter,
                &format!("nesting deeper than {MAX_NESTING} levels"),
            ));
        }
        self.depth += 1;
        let parsed = parse(self);
        self.depth -= 1;
        parsed
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    pub(crate) fn error(&self, kind: ScimType, msg: &str) -> PatchError {
        self.error_at(kind, msg, self.pos)
    }

    fn error_at(&self, kind: ScimType, msg: &str, pos: usize) -> PatchError {
        PatchError::bad_request(kind, format!("{msg} at byte {pos} of `{}`", self.src))
    }

    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|b| b == b' ' || b == b'\t') {
            self.pos += 1;
        }
        self.pos > start
    }

    /// `ATTRNAME = ALPHA *(nameChar)`; `$ref` is accepted too (RFC 7643 sub-attributes).
    pub(crate) fn attr_name(&mut self, kind: ScimType) -> Result<String, PatchError> {
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        let name = &self.src[start..self.pos];
        validate_name(name).map_err(|msg| self.error_at(kind, msg, start))?;
        Ok(name.to_string())
    }

    /// `attrPath = [URI ":"] ATTRNAME *1subAttr`: the URN ends at the last colon.
    pub(crate) fn attr_path(&mut self, kind: ScimType) -> Result<AttrPath, PatchError> {
        let start = self.pos;
        while self.peek().is_some_and(is_attr_path_char) {
            self.pos += 1;
        }
        let token = &self.src[start..self.pos];
        if token.is_empty() {
            return Err(self.error_at(kind, "expected an attribute name", start));
        }
        let (urn, rest, rest_at) = match token.rfind(':') {
            Some(0) => return Err(self.error_at(kind, "empty schema URN", start)),
            Some(colon) => (
                Some(token[..colon].to_string()),
                &token[colon + 1..],
                start + colon + 1,
            ),
            None => (None, token, start),
        };
        let (name, sub) = match rest.find('.') {
            Some(dot) => (&rest[..dot], Some(&rest[dot + 1..])),
            None => (rest, None),
        };
        validate_name(name).map_err(|msg| self.error_at(kind, msg, rest_at))?;
        if let Some(sub) = sub {
            validate_name(sub).map_err(|msg| self.error_at(kind, msg, rest_at + name.len() + 1))?;
        }
        Ok(AttrPath {
            urn,
            name: name.to_string(),
            sub: sub.map(str::to_string),
        })
    }

    /// Consumes `word` (case-insensitive) when it stands alone at the cursor.
    fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let matches = self
            .src
            .get(self.pos..end)
            .is_some_and(|w| w.eq_ignore_ascii_case(word))
            && !self
                .src
                .as_bytes()
                .get(end)
                .copied()
                .is_some_and(is_attr_path_char);
        if matches {
            self.pos = end;
        }
        matches
    }

    /// `FILTER SP "or" SP FILTER`, lowest precedence (P-24).
    pub(crate) fn or_expr(&mut self) -> Result<Filter, PatchError> {
        let mut left = self.and_expr()?;
        loop {
            let save = self.pos;
            if self.skip_ws() && self.keyword("or") && self.skip_ws() {
                let right = self.and_expr()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn and_expr(&mut self) -> Result<Filter, PatchError> {
        let mut left = self.unary()?;
        loop {
            let save = self.pos;
            if self.skip_ws() && self.keyword("and") && self.skip_ws() {
                let right = self.unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    /// `not (FILTER)`, `not(FILTER)` (erratum 7319), `(FILTER)` or an attribute expression.
    fn unary(&mut self) -> Result<Filter, PatchError> {
        let save = self.pos;
        if self.keyword("not") {
            self.skip_ws();
            if self.peek() == Some(b'(') {
                return Ok(Filter::Not(Box::new(self.group()?)));
            }
            self.pos = save;
        }
        if self.peek() == Some(b'(') {
            return self.group();
        }
        self.attr_expr()
    }

    fn group(&mut self) -> Result<Filter, PatchError> {
        self.nested(|parser| {
            parser.pos += 1;
            parser.skip_ws();
            let inner = parser.or_expr()?;
            parser.skip_ws();
            if parser.peek() != Some(b')') {
                return Err(parser.error(ScimType::InvalidFilter, "expected `)`"));
            }
            parser.pos += 1;
            Ok(inner)
        })
    }

    fn attr_expr(&mut self) -> Result<Filter, PatchError> {
        if self.terms >= MAX_TERMS {
            return Err(self.error(
                ScimType::InvalidFilter,
                &format!("more than {MAX_TERMS} comparisons"),
            ));
        }
        self.terms += 1;
        let attr = self.attr_path(ScimType::InvalidFilter)?;
        if self.peek() == Some(b'[') {
            let inner = self.bracket_filter(&attr)?;
            return Ok(Filter::ValuePath(attr, Box::new(inner)));
        }
        if !self.skip_ws() {
            return Err(self.error(ScimType::InvalidFilter, "expected a space and an operator"));
        }
        let op_start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let word = &self.src[op_start..self.pos];
        if word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(attr));
        }
        let Some(op) = CompareOp::parse(word) else {
            return Err(self.error_at(
                ScimType::InvalidFilter,
                &format!("unknown operator `{word}`"),
                op_start,
            ));
        };
        if !self.skip_ws() {
            return Err(self.error(ScimType::InvalidFilter, "expected a space and a value"));
        }
        let value = self.comp_value()?;
        Ok(Filter::Compare(attr, op, value))
    }

    /// `"[" valFilter "]"` after an attribute path (no sub-attribute before `[`).
    pub(crate) fn bracket_filter(&mut self, attr: &AttrPath) -> Result<Filter, PatchError> {
        if attr.sub.is_some() {
            return Err(self.error(
                ScimType::InvalidFilter,
                "a value filter follows an attribute, not a sub-attribute",
            ));
        }
        self.nested(|parser| {
            parser.pos += 1;
            parser.skip_ws();
            let inner = parser.or_expr()?;
            parser.skip_ws();
            if parser.peek() != Some(b']') {
                return Err(parser.error(ScimType::InvalidFilter, "expected `]`"));
            }
            parser.pos += 1;
            Ok(inner)
        })
    }

    /// `compValue = false / null / true / number / string` (JSON).
    fn comp_value(&mut self) -> Result<Value, PatchError> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                let mut i = self.pos + 1;
                let bytes = self.src.as_bytes();
                loop {
                    match bytes.get(i) {
                        None => {
                            return Err(self.error_at(
                                ScimType::InvalidFilter,
                                "unterminated string",
                                start,
                            ));
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                let literal = &self.src[start..=i];
                let parsed: String = serde_json::from_str(literal).map_err(|_| {
                    self.error_at(ScimType::InvalidFilter, "invalid JSON string", start)
                })?;
                self.pos = i + 1;
                Ok(Value::String(parsed))
            }
            Some(b) if b == b'-' || b.is_ascii_digit() => {
                while self.peek().is_some_and(|b| {
                    b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                }) {
                    self.pos += 1;
                }
                match serde_json::from_str::<Value>(&self.src[start..self.pos]) {
                    Ok(n @ Value::Number(_)) => Ok(n),
                    _ => Err(self.error_at(ScimType::InvalidFilter, "invalid number", start)),
                }
            }
            _ => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.keyword(word) {
                        return Ok(value);
                    }
                }
                Err(self.error(
                    ScimType::InvalidFilter,
                    "expected a value (string, number, true, false or null)",
                ))
            }
        }
    }
}

fn validate_name(name: &str) -> Result<(), &'static str> {
    let mut bytes = name.bytes();
    match bytes.next() {
        None => Err("expected an attribute name"),
        Some(b) if b.is_ascii_alphabetic() => {
            if name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                Ok(())
            } else {
                Err("invalid character in attribute name")
            }
        }
        // `$ref` is the one RFC 7643 name outside ATTRNAME.
        Some(b'$') if name.len() > 1 && bytes.all(|b| b.is_ascii_alphanumeric()) => Ok(()),
        Some(_) => Err("an attribute name starts with a letter"),
    }
}

/// The values an attribute path designates in one element, and the definition that types them.
struct Located<'v, 'd> {
    values: Vec<&'v Value>,
    def: &'d AttrDef,
}

fn unknown(attr: &AttrPath) -> PatchError {
    PatchError::bad_request(
        ScimType::InvalidFilter,
        format!("filter names the unknown attribute `{attr}`"),
    )
}

/// Resolves `attr` against `defs` (or against the whole schema when `schema` is given) and
/// returns the definition of the compared attribute and where it lives in `element`.
fn resolve<'d>(
    attr: &AttrPath,
    defs: &'d [AttrDef],
    schema: Option<&'d Schema>,
) -> Result<(Option<&'d str>, &'d AttrDef, Option<&'d AttrDef>), PatchError> {
    let (container, def) = match schema {
        Some(schema) => {
            let (urn, def) = schema
                .find(attr.urn.as_deref(), &attr.name)
                .ok_or_else(|| unknown(attr))?;
            let container = (!urn.eq_ignore_ascii_case(&schema.core_urn)).then_some(urn);
            (container, def)
        }
        None => {
            let def = defs
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(&attr.name))
                .ok_or_else(|| unknown(attr))?;
            (None, def)
        }
    };
    let sub = match &attr.sub {
        Some(s) => Some(def.sub(s).ok_or_else(|| unknown(attr))?),
        None => None,
    };
    Ok((container, def, sub))
}

fn locate<'v, 'd>(
    attr: &AttrPath,
    element: &'v Value,
    defs: &'d [AttrDef],
    schema: Option<&'d Schema>,
) -> Result<Located<'v, 'd>, PatchError> {
    let (container, def, sub) = resolve(attr, defs, schema)?;
    let holder = match container {
        Some(urn) => element
            .as_object()
            .and_then(|o| find_key(o, urn))
            .and_then(|k| element.get(k.as_str())),
        None => Some(element),
    };
    let field = |v: &'v Value, name: &str| -> Option<&'v Value> {
        v.as_object()
            .and_then(|o| find_key(o, name))
            .and_then(|k| v.get(k.as_str()))
    };
    let flatten = |v: &'v Value| -> Vec<&'v Value> {
        match v {
            Value::Array(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        }
    };
    let top: Vec<&Value> = holder
        .and_then(|h| field(h, &def.name))
        .map(flatten)
        .unwrap_or_default();
    let (values, target) = match sub {
        Some(sub) => (
            top.into_iter()
                .filter_map(|v| field(v, &sub.name))
                .flat_map(flatten)
                .collect(),
            sub,
        ),
        None => (top, def),
    };
    Ok(Located {
        values,
        def: target,
    })
}

impl Filter {
    /// Checks the filter against the attribute definitions without evaluating it:
    /// unknown attributes, complex attributes compared without a sub-attribute (P-28)
    /// and ordering operators on boolean/binary attributes (P-26) are 400 `invalidFilter`.
    pub fn validate(&self, defs: &[AttrDef]) -> Result<(), PatchError> {
        self.validate_in(defs, None)
    }

    fn validate_in(&self, defs: &[AttrDef], schema: Option<&Schema>) -> Result<(), PatchError> {
        let bad = |msg: String| Err(PatchError::bad_request(ScimType::InvalidFilter, msg));
        match self {
            Filter::Compare(attr, op, value) => {
                let (_, def, sub) = resolve(attr, defs, schema)?;
                let target = sub.unwrap_or(def);
                if target.ty == AttrType::Complex {
                    return bad(format!(
                        "`{attr}` is complex: filter on one of its sub-attributes"
                    ));
                }
                if op.is_ordering() && matches!(target.ty, AttrType::Boolean | AttrType::Binary) {
                    return bad(format!(
                        "`{}` cannot be applied to the {} attribute `{attr}`",
                        op.as_str(),
                        target.ty.as_str()
                    ));
                }
                if value.is_array() || value.is_object() {
                    return bad(format!("`{attr}` is compared with a non-scalar value"));
                }
                Ok(())
            }
            Filter::Present(attr) => resolve(attr, defs, schema).map(|_| ()),
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.validate_in(defs, schema)?;
                b.validate_in(defs, schema)
            }
            Filter::Not(a) => a.validate_in(defs, schema),
            Filter::ValuePath(attr, inner) => {
                let (_, def, _) = resolve(attr, defs, schema)?;
                if def.ty != AttrType::Complex {
                    return bad(format!(
                        "`{attr}` is not complex: it has no values to filter"
                    ));
                }
                inner.validate(&def.sub_attributes)
            }
        }
    }

    /// Does `element` (one value of a multi-valued attribute, or a resource) match?
    /// `defs` are the sub-attribute definitions used for caseExact and typing; a
    /// `gt`/`ge`/`lt`/`le` on a boolean or binary attribute is 400 `invalidFilter`.
    pub fn matches(&self, element: &Value, defs: &[AttrDef]) -> Result<bool, PatchError> {
        self.validate(defs)?;
        self.eval(element, defs, None)
    }

    /// Does a whole resource match? URN-qualified and extension attributes are looked
    /// up under their extension key (for `GET /Users?filter=`).
    pub fn matches_resource(&self, resource: &Value, schema: &Schema) -> Result<bool, PatchError> {
        self.validate_in(&schema.core, Some(schema))?;
        self.eval(resource, &schema.core, Some(schema))
    }

    fn eval(
        &self,
        element: &Value,
        defs: &[AttrDef],
        schema: Option<&Schema>,
    ) -> Result<bool, PatchError> {
        Ok(match self {
            Filter::Compare(attr, op, expected) => {
                let located = locate(attr, element, defs, schema)?;
                let any = |op: CompareOp| {
                    located
                        .values
                        .iter()
                        .any(|v| compare(op, v, expected, located.def))
                };
                match op {
                    CompareOp::Eq if expected.is_null() => {
                        located.values.iter().all(|v| is_unassigned(v))
                    }
                    CompareOp::Ne if expected.is_null() => {
                        !located.values.iter().all(|v| is_unassigned(v))
                    }
                    CompareOp::Ne => !any(CompareOp::Eq),
                    other => any(*other),
                }
            }
            Filter::Present(attr) => {
                let located = locate(attr, element, defs, schema)?;
                located
                    .values
                    .iter()
                    .any(|v| !is_unassigned(v) && v.as_str() != Some(""))
            }
            Filter::And(a, b) => a.eval(element, defs, schema)? && b.eval(element, defs, schema)?,
            Filter::Or(a, b) => a.eval(element, defs, schema)? || b.eval(element, defs, schema)?,
            Filter::Not(a) => !a.eval(element, defs, schema)?,
            Filter::ValuePath(attr, inner) => {
                let located = locate(attr, element, defs, schema)?;
                let mut any = false;
                for v in located.values {
                    if inner.eval(v, &located.def.sub_attributes, None)? {
                        any = true;
                        break;
                    }
                }
                any
            }
        })
    }

    /// The `attr eq value` clauses of a filter made only of `eq` joined by `and`, used to
    /// build the element an unmatched filter designates (E12 upsert).
    pub fn equality_clauses(&self) -> Option<Vec<(&AttrPath, &Value)>> {
        match self {
            Filter::Compare(attr, CompareOp::Eq, value) if attr.sub.is_none() => {
                Some(vec![(attr, value)])
            }
            Filter::And(a, b) => {
                let mut clauses = a.equality_clauses()?;
                clauses.extend(b.equality_clauses()?);
                Some(clauses)
            }
            _ => None,
        }
    }
}

/// One comparison of an actual value with a filter literal, honouring `caseExact` (P-25).
fn compare(op: CompareOp, actual: &Value, expected: &Value, def: &AttrDef) -> bool {
    let fold = |s: &str| {
        if def.compares_case_exact() {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            let (a, e) = (fold(a), fold(e));
            match op {
                CompareOp::Eq => a == e,
                CompareOp::Ne => a != e,
                CompareOp::Co => a.contains(&e),
                CompareOp::Sw => a.starts_with(&e),
                CompareOp::Ew => a.ends_with(&e),
                ordering => ordered(ordering, a.cmp(&e)),
            }
        }
        (Value::Number(a), Value::Number(e)) => match (a.as_f64(), e.as_f64()) {
            (Some(a), Some(e)) => match op {
                CompareOp::Eq => a == e,
                CompareOp::Ne => a != e,
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
                ordering => a.partial_cmp(&e).is_some_and(|o| ordered(ordering, o)),
            },
            _ => false,
        },
        (Value::Bool(a), Value::Bool(e)) => match op {
            CompareOp::Eq => a == e,
            CompareOp::Ne => a != e,
            _ => false,
        },
        _ => op == CompareOp::Ne,
    }
}

fn ordered(op: CompareOp, ordering: Ordering) -> bool {
    match op {
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        _ => false,
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parentheses only where the left-associative, and-over-or parse needs them, so
        // that printing and parsing again gives the same tree.
        let wrapped = |f: &mut fmt::Formatter<'_>, filter: &Filter, wrap: bool| {
            if wrap {
                write!(f, "({filter})")
            } else {
                write!(f, "{filter}")
            }
        };
        match self {
            Filter::Compare(attr, op, value) => {
                let literal = serde_json::to_string(value).map_err(|_| fmt::Error)?;
                write!(f, "{attr} {} {literal}", op.as_str())
            }
            Filter::Present(attr) => write!(f, "{attr} pr"),
            Filter::And(a, b) => {
                wrapped(f, a, matches!(**a, Filter::Or(..)))?;
                f.write_str(" and ")?;
                wrapped(f, b, matches!(**b, Filter::Or(..) | Filter::And(..)))
            }
            Filter::Or(a, b) => {
                wrapped(f, a, false)?;
                f.write_str(" or ")?;
                wrapped(f, b, matches!(**b, Filter::Or(..)))
            }
            Filter::Not(a) => write!(f, "not ({a})"),
            Filter::ValuePath(attr, inner) => write!(f, "{attr}[{inner}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn emails_defs() -> Vec<AttrDef> {
        Schema::rfc7643_user()
            .find(None, "emails")
            .map(|(_, d)| d.sub_attributes.clone())
            .expect("emails")
    }

    fn kind(input: &str) -> Option<ScimType> {
        parse_filter(input).err().and_then(|e| e.scim_type)
    }

    fn ap(name: &str) -> AttrPath {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: None,
        }
    }

    #[test]
    fn p24_not_binds_tighter_than_and_tighter_than_or() {
        let f = parse_filter(r#"a eq 1 or b eq 2 and not (c pr)"#).expect("parses");
        let expected = Filter::Or(
            Box::new(Filter::Compare(ap("a"), CompareOp::Eq, json!(1))),
            Box::new(Filter::And(
                Box::new(Filter::Compare(ap("b"), CompareOp::Eq, json!(2))),
                Box::new(Filter::Not(Box::new(Filter::Present(ap("c"))))),
            )),
        );
        assert_eq!(f, expected);
        let grouped = parse_filter(r#"(a eq 1 or b eq 2) and c pr"#).expect("parses");
        assert!(matches!(grouped, Filter::And(ref l, _) if matches!(**l, Filter::Or(..))));
    }

    #[test]
    fn erratum_7319_not_with_and_without_space() {
        assert_eq!(parse_filter("not(a pr)"), parse_filter("not (a pr)"));
        assert!(parse_filter("NOT (a pr)").is_ok());
    }

    #[test]
    fn p23_operators_and_names_case_insensitive() {
        let defs = emails_defs();
        let work = json!({"type": "work", "value": "a@x"});
        let upper = parse_filter(r#"TYPE EQ "work""#).expect("parses");
        assert_eq!(upper.matches(&work, &defs), Ok(true));
    }

    #[test]
    fn p25_case_exact_honoured() {
        let defs = emails_defs();
        let work = json!({"type": "work"});
        let f = parse_filter(r#"type eq "WORK""#).expect("parses");
        assert_eq!(f.matches(&work, &defs), Ok(true));
        let schema = Schema::rfc7643_user();
        let id_filter = parse_filter(r#"id eq "ABC""#).expect("parses");
        assert_eq!(
            id_filter.matches_resource(&json!({"id": "abc"}), &schema),
            Ok(false)
        );
        assert_eq!(
            id_filter.matches_resource(&json!({"id": "ABC"}), &schema),
            Ok(true)
        );
    }

    #[test]
    fn p26_ordering_on_boolean_is_invalid_filter() {
        let defs = emails_defs();
        let f = parse_filter("primary gt true").expect("parses");
        let err = f.matches(&json!({}), &defs).expect_err("boolean ordering");
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        let binary = Schema::rfc7643_user()
            .find(None, "x509Certificates")
            .map(|(_, d)| d.sub_attributes.clone())
            .expect("defs");
        let f = parse_filter(r#"value le "AA==""#).expect("parses");
        assert!(f.validate(&binary).is_err());
    }

    #[test]
    fn p27_unknown_operator_is_invalid_filter_with_position() {
        let err = parse_filter(r#"type xx "work""#).expect_err("unknown op");
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        assert!(err.detail.contains("byte 5"), "{}", err.detail);
        assert_eq!(kind(r#"type eq "work"#), Some(ScimType::InvalidFilter));
        assert_eq!(kind("type eq"), Some(ScimType::InvalidFilter));
        assert_eq!(kind("(type pr"), Some(ScimType::InvalidFilter));
        assert_eq!(kind("type eq [1]"), Some(ScimType::InvalidFilter));
    }

    #[test]
    fn p28_operators_and_multi_valued_any() {
        let schema = Schema::rfc7643_user();
        let user = json!({
            "userName": "bjensen",
            "emails": [{"value": "b@example.com", "type": "work"}, {"value": "b@home.org"}],
            "name": {"givenName": "Barbara"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984"},
        });
        let yes = |f: &str| parse_filter(f).and_then(|f| f.matches_resource(&user, &schema));
        assert_eq!(yes(r#"emails.value ew "home.org""#), Ok(true));
        assert_eq!(yes(r#"emails.value co "example""#), Ok(true));
        assert_eq!(yes(r#"userName sw "BJ""#), Ok(true));
        assert_eq!(yes(r#"userName gt "a" and userName lt "c""#), Ok(true));
        assert_eq!(yes(r#"name.givenName ne "Barbara""#), Ok(false));
        assert_eq!(
            yes(r#"emails[type eq "work" and value co "example"]"#),
            Ok(true)
        );
        assert_eq!(yes("title pr"), Ok(false));
        assert_eq!(yes(r#"employeeNumber eq "701984""#), Ok(true));
        assert_eq!(
            yes(
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber ge "7""#
            ),
            Ok(true)
        );
        let complex = yes(r#"name eq "Barbara""#).expect_err("complex without sub");
        assert_eq!(complex.scim_type, Some(ScimType::InvalidFilter));
    }

    #[test]
    fn literals_with_escapes_and_numbers() {
        let f = parse_filter(r#"value eq "a \"quoted\" \u00e9 (x)""#).expect("parses");
        assert_eq!(
            f,
            Filter::Compare(ap("value"), CompareOp::Eq, json!("a \"quoted\" é (x)"))
        );
        assert!(parse_filter("(n eq -1.5e3)").is_ok());
        assert_eq!(
            parse_filter("a eq null"),
            Ok(Filter::Compare(ap("a"), CompareOp::Eq, Value::Null))
        );
    }

    #[test]
    fn ten_thousand_open_parentheses_are_invalid_filter_not_a_stack_overflow() {
        let deep = format!("{}a pr{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(kind(&deep), Some(ScimType::InvalidFilter));
        let unclosed = "(".repeat(10_000);
        assert_eq!(kind(&unclosed), Some(ScimType::InvalidFilter));
        // Under the length limit, the nesting limit is what stops it.
        for deep in [
            format!("{}a pr{}", "(".repeat(1_000), ")".repeat(1_000)),
            format!("{}a pr{}", "not (".repeat(1_000), ")".repeat(1_000)),
            format!("{}b pr{}", "a[".repeat(1_000), "]".repeat(1_000)),
        ] {
            let error = parse_filter(&deep).expect_err("too deep");
            assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
            assert!(
                error.detail.contains("nesting deeper than"),
                "{}",
                error.detail
            );
        }
    }

    #[test]
    fn nesting_up_to_the_limit_parses() {
        let deepest = format!("{}a pr{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(parse_filter(&deepest), Ok(Filter::Present(ap("a"))));
        let too_deep = format!("({deepest})");
        assert_eq!(kind(&too_deep), Some(ScimType::InvalidFilter));
    }

    #[test]
    fn overlong_filter_is_invalid_filter_without_quoting_it() {
        let long = format!(r#"userName eq "{}""#, "x".repeat(100 * 1024));
        let error = parse_filter(&long).expect_err("too long");
        assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
        assert!(error.detail.len() < 200, "{}", error.detail);
        assert!(error.detail.contains("bytes long"), "{}", error.detail);
        let longest = format!(
            r#"userName eq "{}""#,
            "x".repeat(MAX_EXPRESSION_BYTES - r#"userName eq """#.len())
        );
        assert_eq!(longest.len(), MAX_EXPRESSION_BYTES);
        assert!(parse_filter(&longest).is_ok());
    }

    #[test]
    fn comparisons_are_limited_and_a_chain_at_the_limit_evaluates() {
        let chain = |terms: usize| vec!["title pr"; terms].join(" and ");
        assert_eq!(kind(&chain(MAX_TERMS + 1)), Some(ScimType::InvalidFilter));
        let longest = parse_filter(&chain(MAX_TERMS)).expect("at the limit");
        // The left-deep tree is walked recursively by each of these.
        let schema = Schema::rfc7643_user();
        assert_eq!(
            longest.matches_resource(&json!({"title": "Guide"}), &schema),
            Ok(true)
        );
        assert_eq!(parse_filter(&longest.to_string()), Ok(longest.clone()));
        let or_chain = vec![r#"userName eq "a""#; MAX_TERMS].join(" or ");
        assert!(parse_filter(&or_chain).is_ok());
    }

    #[test]
    fn worst_case_inputs_parse_in_linear_time() {
        // Inputs at the length limit that make the parser back-track or scan the most:
        // unterminated strings, keywords that are not operators, failed `or` attempts.
        let inputs = [
            format!(r#"a eq "{}"#, "\\\"".repeat(MAX_EXPRESSION_BYTES / 2 - 4)),
            "a pr o".repeat(MAX_EXPRESSION_BYTES / 6),
            format!("{}x", "a:".repeat(MAX_EXPRESSION_BYTES / 2 - 1)),
            "not ".repeat(MAX_EXPRESSION_BYTES / 4),
        ];
        let started = std::time::Instant::now();
        for input in &inputs {
            for _ in 0..20 {
                assert!(parse_filter(input).is_err());
            }
        }
        // Linear parsing takes milliseconds even unoptimised; quadratic would take minutes.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn display_round_trips() {
        for input in [
            r#"a eq 1 or b eq 2 and not (c pr)"#,
            r#"(a eq 1 or b eq 2) and c pr"#,
            r#"a pr and (b pr and c pr)"#,
            r#"a pr or (b pr or c pr)"#,
            r#"emails[type eq "work\n"] or x ge 2.5"#,
        ] {
            let f = parse_filter(input).expect("parses");
            assert_eq!(parse_filter(&f.to_string()), Ok(f.clone()), "{f}");
        }
    }
}
