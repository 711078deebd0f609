//! A fast reader for case files. The events of granit-parser (the YAML parser
//! serde-saphyr is built on, driven with serde-saphyr's options) become a flat node tree,
//! and a serde `Deserializer` over that tree gives what `serde_saphyr::from_str` gives,
//! without serde-saphyr's per-event layer (budget accounting, key capture and
//! fingerprints, lookahead), which costs twice the parse itself.
//!
//! Conservative: outside a plain subset of YAML, and on any error at all, it declines,
//! and the loader asks serde-saphyr, so every message and position a user sees is still
//! serde-saphyr's. Declined: tags, merge keys, anything but a string as a mapping key
//! (and anchors or aliases there), duplicate keys, more than one document, plain
//! scalars whose YAML type is in any doubt, and texts near a limit of serde-saphyr's
//! default budget. Anchors and aliases elsewhere are in the subset: 24 of the 29 case
//! files share their setup steps that way, and the reader reproduces serde-saphyr's
//! `Spanned::referenced` (the alias) and `Spanned::defined` (the anchored node).
//!
//! What it mirrors is serde-saphyr 2.1's behaviour, read from its source (the files are
//! named where it matters); after an upgrade the tests below say whether it still holds.

use std::borrow::Cow;
use std::fmt;

use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::case::model::Case;

/// The cases in a case file's text as `serde_saphyr::from_str` reads them, or `None`
/// when the text is outside what this reader is sure of; the caller then asks
/// serde-saphyr, for the cases or for its error.
pub fn read(text: &str) -> Option<Vec<Case>> {
    read_or_why(text).ok()
}

/// [`read`], saying why it declined.
fn read_or_why(text: &str) -> Result<Vec<Case>, Declined> {
    need(text.len() <= MAX_TEXT_BYTES, "text too long")?;
    let nodes = tree(text)?;
    Vec::<Case>::deserialize(NodeDe {
        nodes: &nodes,
        at: 0,
        via: None,
    })
}

/// Longer texts go to serde-saphyr. Below it no position can overflow a `u32` and no
/// scalar text can come near serde-saphyr's 64 MiB budget, escapes included.
const MAX_TEXT_BYTES: usize = 8 << 20;

// serde-saphyr's default budget (`serde_saphyr::Budget::default()`), with room to spare:
// a text near one of its limits is serde-saphyr's to accept or refuse.
/// Containers nested in one another, aliases expanded (budget: 64).
const MAX_DEPTH: u32 = 63;
/// Scalars and containers, aliases expanded (budget: 250 000).
const MAX_NODES: u64 = 200_000;
/// Events parsed, replayed for aliases or recorded for anchors (budget: 1 000 000 each).
const MAX_EVENTS: u64 = 500_000;
/// Bytes of scalar text, aliases expanded, and recorded for anchors (budget: 64 MiB each).
const MAX_SCALAR_BYTES: u64 = 32 << 20;
/// Aliases, and anchors (budget: 50 000 each).
const MAX_ALIASES: u64 = 40_000;
/// From this many aliases on, serde-saphyr refuses a case file with more than ten
/// aliases per anchor (`alias_anchor_min_aliases`; its default is 100). Case files share
/// their setup steps through anchors: `cases/idm/errors.yaml` already holds 89 aliases
/// of 4 anchors, so a few more cases would have made it "too complex". What an alias may
/// expand to stays bounded by the node and event budgets.
pub(super) const RATIO_MIN_ALIASES: u64 = 5_000;

/// The options serde-saphyr reads case files with: its defaults, but for the
/// alias-to-anchor heuristic, which starts at [`RATIO_MIN_ALIASES`], and booleans,
/// which are YAML 1.2's `true` and `false` only. With YAML 1.1's spellings, a plain
/// `country: NO` or `nickName: y` in a request body went to the server as `false` and
/// `true`; now they are the strings they look like, and `strict: yes` in a case's own
/// settings is an error at its line and column instead of a guess.
pub fn saphyr_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            alias_anchor_min_aliases: RATIO_MIN_ALIASES as usize,
        },
        strict_booleans: true,
    }
}

/// The newtype name `serde_saphyr::Spanned` asks for (its `Deserialize` impl, spanned.rs).
const SPANNED: &str = "__yaml_spanned";
/// The first key of the map serde-saphyr presents for `Spanned` (`INTERNAL_SPANNED_MARKER`).
const SPANNED_MARKER: &str = "__serde_saphyr_private_spanned";

/// Why the reader declined a text. Never shown: the loader asks serde-saphyr instead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Declined(Cow<'static, str>);

impl de::Error for Declined {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Declined(Cow::Owned(msg.to_string()))
    }
}

fn declined(why: &'static str) -> Declined {
    Declined(Cow::Borrowed(why))
}

fn need(ok: bool, why: &'static str) -> Result<(), Declined> {
    if ok { Ok(()) } else { Err(declined(why)) }
}

/// A position as serde-saphyr reports it in a `serde_saphyr::Location`: 1-based line and
/// column, then the character offset and length and the byte offset and length of the
/// node's text.
#[derive(Clone, Copy, Debug)]
struct Pos {
    line: u32,
    column: u32,
    offset: u32,
    len: u32,
    byte_offset: u32,
    byte_len: u32,
}

impl Pos {
    /// serde-saphyr's `location_from_span` (location.rs) for texts under 4 GiB.
    fn of(span: &Span) -> Result<Pos, Declined> {
        let (start, end) = (&span.start, &span.end);
        let len = end.index().checked_sub(start.index());
        let bytes = start.byte_offset().zip(end.byte_offset());
        let (Some(len), Some((byte_start, byte_end))) = (len, bytes) else {
            return Err(declined("span without byte offsets"));
        };
        let small = |n: usize| u32::try_from(n).map_err(|_| declined("position too large"));
        Ok(Pos {
            line: small(start.line())?,
            column: small(start.col().saturating_add(1))?,
            offset: small(start.index())?,
            len: small(len)?,
            byte_offset: small(byte_start)?,
            byte_len: small(byte_end.saturating_sub(byte_start))?,
        })
    }
}

/// What serde-saphyr makes of an untagged plain scalar where the type is open
/// (`deserialize_any`): null, a boolean, an integer, a float or a string. `Unsure`
/// is anything this reader does not claim to type as serde-saphyr does.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Plain {
    Null,
    Bool(bool),
    /// A non-negative integer written without a sign.
    Int(u64),
    /// An integer written with a `-` (`-0` included).
    NegInt(i64),
    Float(f64),
    Str,
    Unsure,
}

/// Padding serde-saphyr trims before typing a scalar (`yaml_trim`); a plain scalar with
/// some is unusual enough to decline.
const PAD: [char; 4] = [' ', '\t', '\r', '\n'];

/// The type of a plain scalar. serde-saphyr tries null (exact spellings), then YAML 1.1
/// booleans (any case), integers (signs, `0x`/`0o`/`0b`, underscores) and floats (Rust's
/// `f64` grammar, `.inf`, `.nan`), in that order, and takes the text as a string when
/// nothing matched. Only the common spellings are typed here; anything another rule
/// might match is `Unsure`.
fn classify(t: &str) -> Plain {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        _ => {}
    }
    if t.starts_with(PAD) || t.ends_with(PAD) || is_bool_word(t) {
        return Plain::Unsure;
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let Some(&first) = unsigned.as_bytes().first() else {
        return Plain::Unsure;
    };
    // Rust's `f64` grammar begins, past a sign, with a digit, `.`, `inf` or `nan`, and
    // serde-saphyr's integers with a digit: anything else is a string.
    if !(first.is_ascii_digit() || matches!(first, b'.' | b'i' | b'I' | b'n' | b'N')) {
        return Plain::Str;
    }
    if let Some(number) = strict_number(t) {
        return number;
    }
    let int_like = ["0x", "0X", "0o", "0O", "0b", "0B"]
        .iter()
        .any(|p| unsigned.starts_with(p))
        || unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if int_like || first == b'.' || t.parse::<f64>().is_ok() {
        Plain::Unsure
    } else {
        Plain::Str
    }
}

/// A YAML 1.1 boolean spelling (`parse_yaml11_bool`). Case files are read with
/// `strict_booleans` (`saphyr_options`), where these are strings or, for a boolean
/// field, an error with serde-saphyr's own text: such a scalar is left to serde-saphyr.
fn is_bool_word(t: &str) -> bool {
    ["true", "yes", "y", "on", "false", "no", "n", "off"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an integer when there is neither
/// fraction nor exponent, else a finite float; `Unsure` when it does not fit.
fn strict_number(t: &str) -> Option<Plain> {
    let body = t.strip_prefix('-').unwrap_or(t).as_bytes();
    let digits = |from: usize| {
        body.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    let whole = digits(0);
    if whole == 0 || (whole > 1 && body[0] == b'0') {
        return None;
    }
    let mut at = whole;
    let mut float = false;
    if body.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction == 0 {
            return None;
        }
        (at, float) = (at + 1 + fraction, true);
    }
    if matches!(body.get(at), Some(b'e' | b'E')) {
        at += 1 + usize::from(matches!(body.get(at + 1), Some(b'+' | b'-')));
        let exponent = digits(at);
        if exponent == 0 {
            return None;
        }
        (at, float) = (at + exponent, true);
    }
    if at != body.len() {
        return None;
    }
    Some(match (float, t.starts_with('-')) {
        (true, _) => t
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map_or(Plain::Unsure, Plain::Float),
        (false, true) => t.parse::<i64>().map_or(Plain::Unsure, Plain::NegInt),
        (false, false) => t.parse::<u64>().map_or(Plain::Unsure, Plain::Int),
    })
}

/// What a node is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A plain scalar and its type.
    Plain(Plain),
    /// A single- or double-quoted scalar: always a string.
    Quoted,
    /// A literal (`|`) or folded (`>`) scalar: always a string.
    Block,
    /// A sequence: its items follow it.
    Seq,
    /// A mapping: its keys and values follow it, alternately.
    Map,
    /// An alias of the anchored node at this index.
    Alias(u32),
}

/// One node of the tree, in document order: a container's children follow it, up to
/// `next`.
#[derive(Debug)]
struct Node<'a> {
    kind: Kind,
    /// A scalar's text (empty for the other kinds).
    text: Cow<'a, str>,
    /// Where the node starts; for an alias, where the alias is written.
    pos: Pos,
    /// The index just past the node and its children.
    next: u32,
}

/// A subtree's size with its aliases expanded, counted as serde-saphyr's budget counts.
#[derive(Clone, Copy, Debug, Default)]
struct Weight {
    events: u64,
    nodes: u64,
    bytes: u64,
    /// Containers nested in one another.
    height: u32,
}

impl Weight {
    fn add(&mut self, child: Weight) {
        self.events = self.events.saturating_add(child.events);
        self.nodes = self.nodes.saturating_add(child.nodes);
        self.bytes = self.bytes.saturating_add(child.bytes);
        self.height = self.height.max(child.height);
    }
}

/// A container still open while the tree is built.
struct Open {
    at: usize,
    map: bool,
    /// In a mapping, whether the next node is a key.
    key_next: bool,
    anchor: usize,
    /// The container's weight so far, its children's heights not yet counted for itself.
    weight: Weight,
}

/// Builds the tree from parser events.
#[derive(Default)]
struct Builder<'a> {
    nodes: Vec<Node<'a>>,
    open: Vec<Open>,
    /// Anchored nodes and their weights by the parser's anchor id.
    anchors: Vec<Option<(u32, Weight)>>,
    defined: u64,
    aliases: u64,
    replayed: Weight,
    recorded: Weight,
    root: Option<Weight>,
    /// Key indices of the mapping being checked for duplicates.
    keys: Vec<u32>,
}

/// serde-saphyr's parser options (`Budget::parser_options` in budget.rs, which it keeps
/// private) for its default budget and without its `comments` feature.
fn parser_options() -> granit_parser::Options {
    granit_parser::options! {
        simple_key_max_lookahead: 1024,
        flow_nesting_limit: 255,
        block_nesting_limit: granit_parser::Options::default().block_nesting_limit.max(65),
        emit_comments: false,
    }
}

/// The node tree of a text holding exactly one document.
fn tree(text: &str) -> Result<Vec<Node<'_>>, Declined> {
    let mut parser = Parser::with_options(StrInput::new(text), parser_options());
    let mut next = move || match parser.next() {
        Some(Ok((event, span))) => Ok(Some((event, span))),
        Some(Err(_)) => Err(declined("not valid YAML")),
        None => Ok(None),
    };
    need(
        matches!(next()?, Some((Event::StreamStart, _))),
        "no stream start",
    )?;
    need(
        matches!(next()?, Some((Event::DocumentStart(..), _))),
        "no document",
    )?;
    let mut builder = Builder::default();
    let root = loop {
        let Some((event, span)) = next()? else {
            return Err(declined("document ends early"));
        };
        builder.event(event, &span)?;
        if let Some(root) = builder.root {
            break root;
        }
    };
    need(
        matches!(next()?, Some((Event::DocumentEnd, _))),
        "more than a node",
    )?;
    need(
        matches!(next()?, Some((Event::StreamEnd, _))),
        "more than one document",
    )?;
    need(next()?.is_none(), "events after the stream")?;
    builder.check_budget(root)?;
    Ok(builder.nodes)
}

impl<'a> Builder<'a> {
    fn event(&mut self, event: Event<'a>, span: &Span) -> Result<(), Declined> {
        match event {
            Event::Scalar(text, style, anchor, None) => {
                let kind = match style {
                    ScalarStyle::Plain => Kind::Plain(classify(&text)),
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Kind::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Kind::Block,
                };
                let weight = Weight {
                    events: 1,
                    nodes: 1,
                    bytes: text.len() as u64,
                    height: 0,
                };
                let at = self.begin(kind, text, span, anchor)?;
                self.finish(at, anchor, weight)
            }
            Event::SequenceStart(_, anchor, None) => self.open(false, span, anchor),
            Event::MappingStart(_, anchor, None) => self.open(true, span, anchor),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Alias(id) => {
                let Some(&Some((target, weight))) = self.anchors.get(id) else {
                    return Err(declined("alias of an open or unknown anchor"));
                };
                self.aliases += 1;
                self.replayed.add(weight);
                let at = self.begin(Kind::Alias(target), Cow::Borrowed(""), span, 0)?;
                self.finish(at, 0, weight)
            }
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) => {
                Err(declined("tag"))
            }
            _ => Err(declined("unexpected event")),
        }
    }

    /// Adds a node where the parser is, checking what a mapping key may be.
    fn begin(
        &mut self,
        kind: Kind,
        text: Cow<'a, str>,
        span: &Span,
        anchor: usize,
    ) -> Result<usize, Declined> {
        if let Some(parent) = self.open.last_mut()
            && parent.map
        {
            if parent.key_next {
                // serde-saphyr fingerprints keys to find duplicates, and integers and
                // nulls by value: only string keys are compared as text here.
                let string = matches!(kind, Kind::Plain(Plain::Str) | Kind::Quoted | Kind::Block);
                need(string && anchor == 0, "key other than a string")?;
                need(text != "<<", "merge key")?;
            }
            parent.key_next = !parent.key_next;
        }
        let at = self.nodes.len();
        need(at < u32::MAX as usize, "too many nodes")?;
        self.nodes.push(Node {
            kind,
            text,
            pos: Pos::of(span)?,
            next: 0,
        });
        Ok(at)
    }

    fn open(&mut self, map: bool, span: &Span, anchor: usize) -> Result<(), Declined> {
        let kind = if map { Kind::Map } else { Kind::Seq };
        let at = self.begin(kind, Cow::Borrowed(""), span, anchor)?;
        self.open.push(Open {
            at,
            map,
            key_next: true,
            anchor,
            weight: Weight {
                events: 2,
                nodes: 1,
                bytes: 0,
                height: 0,
            },
        });
        need(self.open.len() <= MAX_DEPTH as usize, "nested too deeply")
    }

    fn close(&mut self) -> Result<(), Declined> {
        let Some(mut open) = self.open.pop() else {
            return Err(declined("unbalanced container end"));
        };
        if open.map {
            need(open.key_next, "key without a value")?;
            self.keys_unique(open.at)?;
        }
        open.weight.height += 1;
        self.finish(open.at, open.anchor, open.weight)
    }

    /// Ends a node: its subtree's extent, its anchor, and its weight on its parent.
    fn finish(&mut self, at: usize, anchor: usize, weight: Weight) -> Result<(), Declined> {
        self.nodes[at].next = self.nodes.len() as u32;
        if anchor != 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some((at as u32, weight));
            self.defined += 1;
            self.recorded.add(weight);
        }
        match self.open.last_mut() {
            Some(parent) => parent.weight.add(weight),
            None => self.root = Some(weight),
        }
        Ok(())
    }

    /// Declines a mapping with two equal keys (serde-saphyr's default refuses them).
    fn keys_unique(&mut self, map: usize) -> Result<(), Declined> {
        let nodes = &self.nodes;
        self.keys.clear();
        let mut at = map + 1;
        while at < nodes.len() {
            self.keys.push(at as u32);
            let value = nodes[at].next as usize;
            at = nodes.get(value).map_or(nodes.len(), |v| v.next as usize);
        }
        self.keys
            .sort_unstable_by(|&a, &b| nodes[a as usize].text.cmp(&nodes[b as usize].text));
        let unique = self
            .keys
            .windows(2)
            .all(|w| nodes[w[0] as usize].text != nodes[w[1] as usize].text);
        need(unique, "duplicate key")
    }

    /// Declines a text near a limit of the budget [`saphyr_options`] gives serde-saphyr,
    /// or over its alias-to-anchor ratio (`check_post_scan_heuristics` in budget.rs).
    fn check_budget(&self, root: Weight) -> Result<(), Declined> {
        need(root.height <= MAX_DEPTH, "nested too deeply")?;
        need(root.nodes <= MAX_NODES, "too many nodes")?;
        let events = root.events.saturating_add(self.aliases);
        let within = |w: Weight| w.events <= MAX_EVENTS && w.bytes <= MAX_SCALAR_BYTES;
        need(
            events <= MAX_EVENTS && root.bytes <= MAX_SCALAR_BYTES,
            "too large",
        )?;
        need(within(self.replayed) && within(self.recorded), "too large")?;
        need(
            self.aliases <= MAX_ALIASES && self.defined <= MAX_ALIASES,
            "too many aliases",
        )?;
        let ratio = self.aliases >= RATIO_MIN_ALIASES
            && (self.defined == 0 || self.aliases > self.defined.saturating_mul(10));
        need(!ratio, "too many aliases per anchor")
    }
}

/// A node of the tree as a serde `Deserializer`.
#[derive(Clone, Copy)]
struct NodeDe<'t, 'a> {
    nodes: &'t [Node<'a>],
    at: usize,
    /// Where the alias that led here is written, if one did: the first alias on the
    /// way down, as serde-saphyr replays an anchor's events already expanded.
    via: Option<Pos>,
}

impl<'t, 'a> NodeDe<'t, 'a> {
    fn node(&self) -> &'t Node<'a> {
        &self.nodes[self.at]
    }

    /// The node itself, or the anchored node when this is an alias.
    fn resolved(self) -> Self {
        let node = self.node();
        match node.kind {
            Kind::Alias(target) => NodeDe {
                at: target as usize,
                via: self.via.or(Some(node.pos)),
                ..self
            },
            _ => self,
        }
    }

    /// The resolved node's plain-scalar type, if it is one.
    fn plain(self) -> Option<Plain> {
        match self.resolved().node().kind {
            Kind::Plain(plain) => Some(plain),
            _ => None,
        }
    }

    /// serde-saphyr's integer parses (`parse_int_unsigned`), for the spellings typed here.
    fn unsigned(self) -> Result<u64, Declined> {
        match self.plain() {
            Some(Plain::Int(n)) => Ok(n),
            _ => Err(declined("not an unsigned integer")),
        }
    }

    /// serde-saphyr's `parse_int_signed`, for the spellings typed here.
    fn signed(self) -> Result<i64, Declined> {
        match self.plain() {
            Some(Plain::Int(n)) => i64::try_from(n).map_err(|_| declined("out of range")),
            Some(Plain::NegInt(n)) => Ok(n),
            _ => Err(declined("not an integer")),
        }
    }

    fn children(self) -> Children<'t, 'a> {
        Children {
            nodes: self.nodes,
            at: self.at + 1,
            end: self.node().next as usize,
            via: self.via,
            value: None,
        }
    }
}

/// Integer requests: the number when it fits the type, else a decline.
macro_rules! integers {
    ($($method:ident $visit:ident $ty:ty, $read:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
            let n = <$ty>::try_from(self.$read()?).map_err(|_| declined("out of range"))?;
            visitor.$visit(n)
        }
    )*};
}

/// Requests case files never make: declined.
macro_rules! unsupported {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Declined> {
            Err(declined(concat!("unsupported request: ", stringify!($method))))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_, '_> {
    type Error = Declined;

    /// serde-saphyr's `deserialize_any`: quoted and block scalars are strings, plain
    /// ones typed, containers visited.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        let me = self.resolved();
        let node = me.node();
        match node.kind {
            Kind::Plain(Plain::Null) => visitor.visit_unit(),
            Kind::Plain(Plain::Bool(b)) => visitor.visit_bool(b),
            Kind::Plain(Plain::Int(n)) => visitor.visit_u64(n),
            Kind::Plain(Plain::NegInt(n)) => visitor.visit_i64(n),
            Kind::Plain(Plain::Float(f)) => visitor.visit_f64(f),
            Kind::Plain(Plain::Str) | Kind::Quoted | Kind::Block => visitor.visit_str(&node.text),
            Kind::Plain(Plain::Unsure) => Err(declined("plain scalar of uncertain type")),
            Kind::Seq => me.visit_seq(visitor),
            Kind::Map => me.visit_map(visitor),
            Kind::Alias(_) => Err(declined("alias of an alias")),
        }
    }

    /// serde-saphyr's `deserialize_bool` takes YAML 1.1 spellings in any style; only
    /// the plain `true`/`false` family is taken here.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self.plain() {
            Some(Plain::Bool(b)) => visitor.visit_bool(b),
            _ => Err(declined("not a boolean")),
        }
    }

    integers! {
        deserialize_u8 visit_u8 u8, unsigned;
        deserialize_u16 visit_u16 u16, unsigned;
        deserialize_u32 visit_u32 u32, unsigned;
        deserialize_u64 visit_u64 u64, unsigned;
        deserialize_i8 visit_i8 i8, signed;
        deserialize_i16 visit_i16 i16, signed;
        deserialize_i32 visit_i32 i32, signed;
        deserialize_i64 visit_i64 i64, signed;
    }

    unsupported! {
        deserialize_f32 deserialize_f64 deserialize_char deserialize_bytes
        deserialize_byte_buf
    }

    /// serde-saphyr's `deserialize_str`: any scalar's text but a plain null's.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        let node = self.resolved().node();
        match node.kind {
            Kind::Plain(Plain::Null) => Err(declined("null for a string")),
            Kind::Plain(_) | Kind::Quoted | Kind::Block => visitor.visit_str(&node.text),
            _ => Err(declined("not a scalar")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.deserialize_str(visitor)
    }

    /// serde-saphyr's `deserialize_option`: a plain null is `None`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self.plain() {
            Some(Plain::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self.plain() {
            Some(Plain::Null) => visitor.visit_unit(),
            _ => Err(declined("not a unit")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Declined> {
        self.deserialize_unit(visitor)
    }

    /// serde-saphyr's `deserialize_newtype_struct`, with its `Spanned` protocol
    /// (spanned_deser.rs): where the node is defined, and where it is used (its alias).
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Declined> {
        if name != SPANNED {
            return visitor.visit_newtype_struct(self);
        }
        let node = self.resolved();
        let defined = node.node().pos;
        visitor.visit_newtype_struct(SpannedDe {
            node,
            referenced: node.via.unwrap_or(defined),
            defined,
        })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        let me = self.resolved();
        match me.node().kind {
            Kind::Seq => me.visit_seq(visitor),
            _ => Err(declined("not a sequence")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, Declined> {
        Err(declined("unsupported request: deserialize_tuple"))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, Declined> {
        Err(declined("unsupported request: deserialize_tuple_struct"))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        let me = self.resolved();
        match me.node().kind {
            Kind::Map => me.visit_map(visitor),
            _ => Err(declined("not a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Declined> {
        self.deserialize_map(visitor)
    }

    /// serde-saphyr's `deserialize_enum` for a unit variant written as a scalar (any
    /// style: the text names the variant); the `{Variant: value}` form is declined.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Declined> {
        let node = self.resolved().node();
        match node.kind {
            Kind::Plain(_) | Kind::Quoted | Kind::Block => {
                visitor.visit_enum(UnitVariant(&node.text))
            }
            _ => Err(declined("enum other than a unit variant")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        self.deserialize_any(visitor)
    }
}

impl NodeDe<'_, '_> {
    /// Visits a sequence's items; the visitor must take them all.
    fn visit_seq<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        let mut items = self.children();
        let value = visitor.visit_seq(&mut items)?;
        need(items.at >= items.end, "items left over")?;
        Ok(value)
    }

    /// Visits a mapping's entries; the visitor must take them all.
    fn visit_map<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        let mut entries = self.children();
        let value = visitor.visit_map(&mut entries)?;
        need(
            entries.at >= entries.end && entries.value.is_none(),
            "entries left over",
        )?;
        Ok(value)
    }
}

/// A container's children: a sequence's items, or a mapping's keys and values.
struct Children<'t, 'a> {
    nodes: &'t [Node<'a>],
    at: usize,
    end: usize,
    via: Option<Pos>,
    /// In a mapping, the value of the key just taken.
    value: Option<usize>,
}

impl<'t, 'a> Children<'t, 'a> {
    /// The next child, as a deserializer.
    fn take(&mut self) -> Option<NodeDe<'t, 'a>> {
        if self.at >= self.end {
            return None;
        }
        let child = NodeDe {
            nodes: self.nodes,
            at: self.at,
            via: self.via,
        };
        self.at = child.node().next as usize;
        Some(child)
    }
}

impl<'de> de::SeqAccess<'de> for Children<'_, '_> {
    type Error = Declined;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Declined> {
        self.take().map(|item| seed.deserialize(item)).transpose()
    }
}

impl<'de> de::MapAccess<'de> for Children<'_, '_> {
    type Error = Declined;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Declined> {
        need(self.value.is_none(), "key without its value taken")?;
        let Some(key) = self.take() else {
            return Ok(None);
        };
        self.value = Some(self.at);
        self.take();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Declined> {
        let at = self
            .value
            .take()
            .ok_or_else(|| declined("value before its key"))?;
        seed.deserialize(NodeDe {
            nodes: self.nodes,
            at,
            via: self.via,
        })
    }
}

/// A unit variant named by a scalar's text.
struct UnitVariant<'t>(&'t str);

impl<'de> de::EnumAccess<'de> for UnitVariant<'_> {
    type Error = Declined;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Declined> {
        let variant = seed.deserialize(self.0.into_deserializer())?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'_> {
    type Error = Declined;

    fn unit_variant(self) -> Result<(), Declined> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Declined> {
        Err(declined("newtype variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, Declined> {
        Err(declined("tuple variant"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Declined> {
        Err(declined("struct variant"))
    }
}

/// A node as serde-saphyr presents it to `Spanned<T>`: the map
/// `{__serde_saphyr_private_spanned: true, value: T, referenced: Location, defined: Location}`.
struct SpannedDe<'t, 'a> {
    node: NodeDe<'t, 'a>,
    referenced: Pos,
    defined: Pos,
}

impl<'de> de::Deserializer<'de> for SpannedDe<'_, '_> {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        visitor.visit_map(SpannedFields {
            spanned: self,
            next: 0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// The fields of [`SpannedDe`]'s map, in serde-saphyr's order.
struct SpannedFields<'t, 'a> {
    spanned: SpannedDe<'t, 'a>,
    next: u8,
}

impl<'de> de::MapAccess<'de> for SpannedFields<'_, '_> {
    type Error = Declined;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Declined> {
        let key = match self.next {
            0 => SPANNED_MARKER,
            1 => "value",
            2 => "referenced",
            3 => "defined",
            _ => return Ok(None),
        };
        self.next += 1;
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Declined> {
        let spanned = &self.spanned;
        match self.next {
            1 => seed.deserialize(true.into_deserializer()),
            2 => seed.deserialize(spanned.node),
            3 => seed.deserialize(Field::Location(spanned.referenced)),
            4 => seed.deserialize(Field::Location(spanned.defined)),
            _ => Err(declined("value before its key")),
        }
    }
}

/// A `Location` field as serde-saphyr presents it (spanned_deser.rs): numbers, the
/// location and its span as maps, and the span's byte range as a pair.
#[derive(Clone, Copy)]
enum Field {
    U32(u32),
    U64(u64),
    Location(Pos),
    Span(Pos),
    ByteInfo(Pos),
}

impl<'de> de::Deserializer<'de> for Field {
    type Error = Declined;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Declined> {
        match self {
            Field::U32(n) => visitor.visit_u32(n),
            Field::U64(n) => visitor.visit_u64(n),
            Field::Location(pos) => visitor.visit_map(Fields {
                names: &["line", "column", "span", "source_id"],
                values: [
                    Field::U32(pos.line),
                    Field::U32(pos.column),
                    Field::Span(pos),
                    // Sources other than the text itself come only with `!include`.
                    Field::U32(0),
                ],
                next: 0,
            }),
            Field::Span(pos) => visitor.visit_map(Fields {
                names: &["offset", "len", "byte_info"],
                values: [
                    Field::U64(pos.offset.into()),
                    Field::U64(pos.len.into()),
                    Field::ByteInfo(pos),
                    Field::U32(0),
                ],
                next: 0,
            }),
            Field::ByteInfo(pos) => {
                let pair = [u64::from(pos.byte_offset), u64::from(pos.byte_len)];
                de::value::SeqDeserializer::new(pair.into_iter()).deserialize_any(visitor)
            }
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Named [`Field`]s as a map (up to four; `names` says how many).
struct Fields {
    names: &'static [&'static str],
    values: [Field; 4],
    next: usize,
}

impl<'de> de::MapAccess<'de> for Fields {
    type Error = Declined;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Declined> {
        let Some(name) = self.names.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Declined> {
        let value = self.next.checked_sub(1).and_then(|i| self.values.get(i));
        seed.deserialize(*value.ok_or_else(|| declined("value before its key"))?)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::case::load::{parse_file, saphyr_cases};

    /// serde-saphyr's reading, as the loader did it before this reader.
    fn saphyr(text: &str) -> Result<Vec<Case>, serde_saphyr::Error> {
        serde_saphyr::from_str_with_options(text, saphyr_options())
    }

    /// Whether the fast reader took `text`; when it did, it must agree with serde-saphyr,
    /// positions included (a `Spanned` prints its locations).
    fn agrees(text: &str) -> bool {
        let Ok(fast) = read_or_why(text) else {
            return false;
        };
        match saphyr(text) {
            Ok(slow) => assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "text:\n{text}"),
            Err(e) => panic!("fast reader took a text serde-saphyr refuses ({e}):\n{text}"),
        }
        true
    }

    /// `text` is read by the fast reader, exactly as serde-saphyr reads it.
    fn taken(text: &str) {
        if let Err(why) = read_or_why(text) {
            panic!("declined ({why}):\n{text}");
        }
        assert!(agrees(text));
    }

    fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("cases dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                case_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && path
                    .file_name()
                    .is_some_and(|n| n != crate::case::RULES_FILE)
            {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_case_file_is_read_as_serde_saphyr_reads_it() {
        let mut files = Vec::new();
        case_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("cases"),
            &mut files,
        );
        assert!(files.len() >= 20, "{files:?}");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            let fast = read_or_why(&text)
                .unwrap_or_else(|why| panic!("{} declined: {why}", file.display()));
            let slow = saphyr(&text).expect("case file parses");
            assert_eq!(
                format!("{fast:?}"),
                format!("{slow:?}"),
                "{}",
                file.display()
            );
        }
    }

    #[test]
    fn fuzz_seeds_are_read_as_serde_saphyr_reads_them_or_declined() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/case_loader");
        let mut taken = 0;
        for entry in std::fs::read_dir(dir).expect("seeds") {
            let bytes = std::fs::read(entry.expect("seed").path()).expect("read");
            if let Ok(text) = std::str::from_utf8(&bytes) {
                taken += usize::from(agrees(text));
            }
        }
        assert!(taken > 0);
    }

    /// A case with `value` as the text after `key:` at `place`; continuation lines of
    /// `value` are indented under the key.
    fn case_with(place: Place, value: &str) -> String {
        let indent = " ".repeat(place.indent() + 2);
        let value = value.replace('\n', &format!("\n{indent}"));
        let slot = |p: Place| {
            if p == place {
                value.clone()
            } else {
                p.default_value().to_string()
            }
        };
        format!(
            "- id: t-1\n  title: {}\n  level: {}\n  api: scim\n  requires: [{}]\n  fault: {}\n  steps:\n    \
             - name: {}\n      request:\n        method: POST\n        path: /Users\n        auth: {}\n        \
             headers:\n          X-Test: {}\n        body: {}\n      expect:\n        status: {}\n        \
             snapshot: {}\n        body: {}\n",
            slot(Place::Title),
            slot(Place::Level),
            slot(Place::Requires),
            slot(Place::Fault),
            slot(Place::Name),
            slot(Place::Auth),
            slot(Place::Header),
            slot(Place::RequestBody),
            slot(Place::Status),
            slot(Place::Snapshot),
            slot(Place::ExpectBody),
        )
    }

    /// Where [`case_with`] puts a value: the JSON bodies, and typed fields.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Place {
        RequestBody,
        ExpectBody,
        Title,
        Level,
        Requires,
        Fault,
        Name,
        Auth,
        Header,
        Status,
        Snapshot,
    }

    impl Place {
        const ALL: [Place; 11] = [
            Place::RequestBody,
            Place::ExpectBody,
            Place::Title,
            Place::Level,
            Place::Requires,
            Place::Fault,
            Place::Name,
            Place::Auth,
            Place::Header,
            Place::Status,
            Place::Snapshot,
        ];

        fn indent(self) -> usize {
            match self {
                Place::Title | Place::Level | Place::Requires | Place::Fault => 2,
                Place::Name => 6,
                Place::Header => 10,
                _ => 8,
            }
        }

        fn default_value(self) -> &'static str {
            match self {
                Place::RequestBody | Place::ExpectBody => "{a: 1}",
                Place::Title | Place::Name | Place::Header => "x",
                Place::Level => "MUST",
                Place::Requires => "etag",
                Place::Fault => "~",
                Place::Auth => "true",
                Place::Status => "200",
                Place::Snapshot => "false",
            }
        }
    }

    /// Values worth trying everywhere: styles, YAML's typing of plain scalars, layout.
    const TRICKY: &[&str] = &[
        "plain words",
        "\"double quoted\"",
        "'single quoted'",
        "\"\"",
        "''",
        "|\n  literal\n  text\n",
        "|-\n  literal\n  stripped\n",
        ">\n  folded\n  text\n",
        ">-\n  folded\n  stripped\n",
        "|+\n  kept\n\n",
        "first line\n  continued plain",
        "\"quoted\n  over lines\"",
        "x # a comment",
        "# only a comment",
        "[1, two, \"3\", [4.5, null]]",
        "{a: 1, b: [x, y], c: {d: ~}}",
        "[]",
        "{}",
        "",
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "true",
        "false",
        "True",
        "TRUE",
        "False",
        "FALSE",
        "tRUE",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Yes",
        "NO",
        "Off",
        "0",
        "-0",
        "1",
        "-1",
        "200",
        "65536",
        "1.5",
        "-1.5",
        "0.0",
        "1e3",
        "-2.5E-3",
        "1E+2",
        "0x1F",
        "0o7",
        "0b101",
        "010",
        "-010",
        "01.5",
        "1_000",
        "+1",
        "+1.5",
        ".5",
        "1.",
        ".inf",
        "-.inf",
        ".NaN",
        "inf",
        "-infinity",
        "nan",
        "1e999",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "2026-12-31T23:59:59Z",
        "2026-12-31",
        "12:30:00",
        "1:30",
        "\"#uuid\"",
        "'#regex ^a+$'",
        "\"{{ user_id }}\"",
        "café ✓ 日本語",
        "\"\\u00e9\\t\\n\\\\\"",
        "a\tb",
        "-",
        "-x",
        "name",
        "infinite",
        "12abc",
        "2819c223-7f76-453a-919d-413861904646",
        "{key with spaces: v, \"quoted key\": w, 'single key': z}",
        "{a: 1, a: 2}",
        "{\"a\": 1, a: 2}",
        "{1: a}",
        "{true: x}",
        "{~: x}",
        "{null: x}",
        "{yes: x}",
        "{? complex : x}",
        "{<<: {a: 1}}",
        "!!str tagged",
        "!custom x",
        "&anchor x",
        "[&a x, *a]",
        "{a: &a {b: 1}, c: *a}",
        "[unclosed",
        "{a: 1",
        "\"unterminated",
    ];

    #[test]
    fn tricky_values_are_read_as_serde_saphyr_reads_them_or_declined() {
        for place in Place::ALL {
            for value in TRICKY {
                // Either declined, or the same cases, positions included.
                agrees(&case_with(place, value));
            }
        }
    }

    #[test]
    fn common_values_are_taken() {
        let bodies = [
            "plain words",
            "\"double quoted\"",
            "'single quoted'",
            "|\n  literal\n  text\n",
            "|-\n  literal\n  stripped\n",
            ">\n  folded\n  text\n",
            ">-\n  folded\n  stripped\n",
            "first line\n  continued plain",
            "x # a comment",
            "[1, two, \"3\", [4.5, null]]",
            "{a: 1, b: [x, z], c: {d: ~}}",
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "true",
            "false",
            "True",
            "FALSE",
            "0",
            "-0",
            "-1",
            "1.5",
            "1e3",
            "-2.5E-3",
            "-9223372036854775808",
            "2026-12-31T23:59:59Z",
            "12:30:00",
            "\"#uuid\"",
            "café ✓ 日本語",
            "\"\\u00e9\\t\\n\\\\\"",
            "a\tb",
            "name",
            "12abc",
            "2819c223-7f76-453a-919d-413861904646",
            "{key with spaces: v, \"quoted key\": w, 'single key': z}",
            "[&a x, *a]",
            "{a: &a {b: 1}, c: *a}",
            &"long ".repeat(20_000),
            &format!("{}1{}", "[".repeat(50), "]".repeat(50)),
        ];
        for body in bodies {
            taken(&case_with(Place::RequestBody, body));
            taken(&case_with(Place::ExpectBody, body));
        }
        for (place, value) in [
            (Place::Title, "\"a title: with a colon\""),
            (Place::Title, ">\n  folded\n  title\n"),
            (Place::Level, "SHOULD"),
            (Place::Level, "\"MAY\""),
            (Place::Requires, "\"attr:title\""),
            (Place::Fault, "drop"),
            (Place::Name, "~"),
            (Place::Name, "200"),
            (Place::Name, "true"),
            (Place::Auth, "false"),
            (Place::Header, "'W/\"1\"'"),
            (Place::Header, "1.5"),
            (Place::Status, "[200, 201]"),
            (Place::Status, "404"),
            (Place::Snapshot, "true"),
            (Place::Snapshot, "named"),
        ] {
            taken(&case_with(place, value));
        }
    }

    #[test]
    fn whole_text_variants_are_read_or_declined_alike() {
        let base = case_with(Place::RequestBody, "{a: \"x\", b: [1, 2]}");
        let crlf = base.replace('\n', "\r\n");
        let bom = format!("\u{feff}{base}");
        let explicit = format!("# leading comment\n---\n{base}...\n");
        let tabbed = base.replace("{a: \"x\", b: [1, 2]}", "{a:\t\"x\",\tb: [1,\t2]}");
        for text in [&base, &crlf, &bom, &explicit, &tabbed, "[]\n"] {
            taken(text);
        }
        let two = format!("{base}---\n{base}");
        let deep = case_with(
            Place::RequestBody,
            &format!("{}1{}", "[".repeat(70), "]".repeat(70)),
        );
        for text in [&two, &deep, "", "# only a comment\n", "a: 1\n"] {
            assert!(!agrees(text), "{text}");
        }
    }

    /// Anchors and aliases, including an alias inside an anchored node and aliases to
    /// scalars behind `Spanned` fields: `referenced` is the alias, `defined` the anchor.
    const ALIASES: &str = "\
- id: a-1
  title: &title shared title
  level: &level MUST
  api: scim
  requires: [&etag etag, *etag]
  setup: &create
    - request:
        method: &post POST
        path: /Users
        headers: {X-A: &h v, X-B: *h}
        body: &user {userName: u, emails: [{value: &mail a@b.c, primary: true}]}
      expect: &created {status: &ok [200, 201], body: {emails: [{value: *mail}]}}
      capture: {user_id: &capture {body: /id}}
  steps:
    - request: {method: *post, path: /x, body: {nested: *user, list: [*user, *mail]}}
      expect: *created
      capture: {again: *capture}
    - request: {method: PATCH, path: &path /y, body: &outer {inner: *user}}
      expect: {status: *ok, body: *outer}
  cleanup: *create
- id: a-2
  title: *title
  level: *level
  api: scim
  setup: *create
  steps:
    - request: {method: GET, path: *path}
";

    #[test]
    fn aliases_are_read_as_serde_saphyr_reads_them() {
        taken(ALIASES);
        let fast = read(ALIASES).expect("taken");
        let method = &fast[0].steps[0].request.method;
        assert_eq!(method.value, "POST");
        assert_eq!((method.referenced.line(), method.defined.line()), (15, 8));
    }

    #[test]
    fn too_many_aliases_per_anchor_are_declined_as_serde_saphyr_refuses_them() {
        let with_aliases = |n: usize| {
            let tags = vec!["*t"; n].join(", ");
            format!(
                "- id: a\n  title: &t x\n  level: MUST\n  api: scim\n  tags: [{tags}]\n  steps:\n    \
                 - request: {{method: GET, path: /Users}}\n"
            )
        };
        let limit = RATIO_MIN_ALIASES as usize;
        // With serde-saphyr's default the second of these was refused already.
        taken(&with_aliases(99));
        taken(&with_aliases(100));
        taken(&with_aliases(limit - 1));
        let over = with_aliases(limit);
        assert!(read_or_why(&over).is_err());
        let refused = saphyr(&over).expect_err("over the ratio").to_string();
        assert!(refused.contains("budget breached"), "{refused}");
        // The loader says what the limit is about.
        let loaded = parse_file(Path::new("many.yaml"), &over).expect_err("refused");
        assert!(
            loaded.to_string().contains("too large or complex"),
            "{loaded}"
        );
    }

    #[test]
    fn declined_texts_keep_serde_saphyr_errors_byte_for_byte() {
        let good = case_with(Place::RequestBody, "{a: 1}");
        let texts = [
            good.replace("  title: x\n", "  title: x\n  title: y\n"),
            case_with(Place::RequestBody, "{a: 1, a: 2}"),
            case_with(Place::RequestBody, "{*a : 1}"),
            case_with(Place::RequestBody, "{<<: {a: 1}}"),
            case_with(Place::RequestBody, "*undefined"),
            case_with(Place::RequestBody, "!!int x"),
            case_with(Place::Title, "!!str x"),
            case_with(Place::RequestBody, "[unclosed"),
            good.replace("      request:", "     request:"),
            case_with(Place::Auth, "yes please"),
            case_with(Place::Status, "0x1F4"),
            case_with(Place::Level, "{MUST: 1}"),
        ];
        let file = Path::new("cases/c.yaml");
        for text in &texts {
            assert!(read_or_why(text).is_err(), "taken:\n{text}");
            let before = saphyr_cases(file, text);
            let after = parse_file(file, text);
            match (before, after) {
                (Err(before), Err(after)) => {
                    assert_eq!(after.to_string(), before.to_string());
                    let at = saphyr(text)
                        .expect_err("refused")
                        .location()
                        .expect("located");
                    let pos = format!("cases/c.yaml:{}:{}", at.line(), at.column());
                    assert!(after.to_string().contains(&pos), "{after}");
                }
                (Ok(_), Ok(_)) => {}
                (before, after) => panic!("{before:?} became {after:?}"),
            }
        }
    }

    #[test]
    fn plain_scalars_are_typed_only_when_certain() {
        use Plain::*;
        for (text, want) in [
            ("", Null),
            ("~", Null),
            ("NULL", Null),
            ("nULL", Str),
            ("TRUE", Bool(true)),
            ("False", Bool(false)),
            ("fAlse", Unsure),
            ("yes", Unsure),
            ("N", Unsure),
            ("0", Int(0)),
            ("-0", NegInt(0)),
            ("42", Int(42)),
            ("-42", NegInt(-42)),
            ("1.5", Float(1.5)),
            ("1e3", Float(1000.0)),
            ("-2.5E-3", Float(-0.0025)),
            ("18446744073709551616", Unsure),
            ("1e999", Unsure),
            ("010", Unsure),
            ("0x1F", Unsure),
            ("1_000", Unsure),
            ("+1", Unsure),
            (".5", Unsure),
            ("1.", Unsure),
            (".inf", Unsure),
            ("nan", Unsure),
            ("Infinity", Unsure),
            ("-", Unsure),
            (" padded", Unsure),
            ("2026-12-31", Str),
            ("1:30", Str),
            ("2026-12-31T23:59:59Z", Str),
            ("12abc", Str),
            ("name", Str),
            ("-x", Str),
        ] {
            assert_eq!(classify(text), want, "{text:?}");
        }
    }

    mod generated {
        use proptest::prelude::*;

        use super::{Place, agrees, case_with};

        /// Scalars as written in YAML, styles and spellings mixed.
        fn scalar() -> impl Strategy<Value = String> {
            prop::sample::select(vec![
                "x",
                "\"x\"",
                "'x'",
                "~",
                "null",
                "true",
                "True",
                "yes",
                "n",
                "0",
                "-0",
                "7",
                "-7",
                "1.5",
                "1e3",
                "0x1F",
                "010",
                "1_0",
                ".inf",
                "nan",
                "\"\"",
                "a b",
                "\"#uuid\"",
                "2026-12-31T23:59:59Z",
                "é",
                "\"\\t\"",
            ])
            .prop_map(str::to_string)
        }

        /// Flow collections of those scalars, with keys that may repeat.
        fn value() -> impl Strategy<Value = String> {
            scalar().prop_recursive(4, 24, 4, |inner| {
                let key = prop::sample::select(vec!["a", "b", "\"a\"", "'b'", "c d", "1", "y"]);
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4)
                        .prop_map(|items| format!("[{}]", items.join(", "))),
                    prop::collection::vec((key, inner), 0..4).prop_map(|entries| {
                        let entries: Vec<String> =
                            entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                        format!("{{{}}}", entries.join(", "))
                    }),
                ]
            })
        }

        proptest! {
            #[test]
            fn generated_bodies_are_read_as_serde_saphyr_reads_them_or_declined(
                body in value(),
                expect in value(),
            ) {
                agrees(&case_with(Place::RequestBody, &body));
                agrees(&case_with(Place::ExpectBody, &expect));
            }
        }
    }

    /// YAML 1.1's boolean spellings are strings in case files (`saphyr_options`): the
    /// Norway problem would send `"country": false` to the server.
    #[test]
    fn yaml_1_1_boolean_words_are_strings_and_a_typed_yes_is_an_error() {
        let text = case_with(
            Place::RequestBody,
            "{country: NO, nickName: y, title: off, active: true, locale: Yes}",
        );
        let cases = parse_file(Path::new("norway.yaml"), &text).expect("loads");
        let body = format!("{:?}", cases[0].case.steps[0].request.body);
        for word in ["\"NO\"", "\"y\"", "\"off\"", "Bool(true)", "\"Yes\""] {
            assert!(body.contains(word), "{word} in {body}");
        }
        let typed = text.replace("      expect:\n", "      expect:\n        strict: yes\n");
        let error = parse_file(Path::new("typed.yaml"), &typed).expect_err("not a boolean");
        assert!(error.to_string().contains("typed.yaml:"), "{error}");
    }
}
