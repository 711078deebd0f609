//! Applying operations to a resource, atomically and in order (RFC 7644 §3.5.2.1-3).

use serde_json::{Map, Value};

use crate::error::{PatchError, ScimType};
use crate::filter::Filter;
use crate::leniency::Leniency;
use crate::path::{Path, parse_path};
use crate::request::{OpKind, Operation, in_context};
use crate::schema::{AttrDef, AttrType, Mutability, Schema};
use crate::value::{check_single, check_value, drop_nulls, find_key, get_ci, is_unassigned};

/// The result of a successful PATCH.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// The resource after every operation.
    pub resource: Value,
    /// Whether anything changed (a no-op add leaves version and lastModified alone).
    pub changed: bool,
}

/// Applies `ops` in order to a copy of `resource`; on any error the original is
/// untouched and the error names the operation index and path. Does not touch
/// `meta.version`/`meta.lastModified`: the caller bumps them when `changed`.
pub fn apply(
    resource: &Value,
    ops: &[Operation],
    schema: &Schema,
    leniency: &Leniency,
) -> Result<Applied, PatchError> {
    let mut work = resource.clone();
    let patched = apply_in_place(&mut work, ops, schema, leniency)?;
    Ok(Applied {
        resource: work,
        changed: patched.changed,
    })
}

/// A PATCH [`apply_in_place`] made, and what it takes to undo it.
#[derive(Debug)]
#[must_use = "a patch is undone only through `revert`"]
pub struct Patched {
    /// Whether anything changed; when not, the resource is exactly as it was.
    pub changed: bool,
    /// Per operation, what it found in the members it touched, oldest first.
    undo: Vec<work::Saved>,
}

impl Patched {
    /// What the top-level member `name` (any case) held before the PATCH: `None` when
    /// no operation touched it (it holds the same now), `Some(None)` when it was absent.
    pub fn original(&self, name: &str) -> Option<Option<&Value>> {
        self.undo.iter().find_map(|saved| saved.original(name))
    }

    /// Puts `resource` back as it was before the PATCH, member order included: for a
    /// caller whose own checks refuse what the operations made (a userName taken).
    pub fn revert(self, resource: &mut Value) {
        if let Some(root) = resource.as_object_mut() {
            work::unwind(root, self.undo);
        }
    }
}

/// Applies `ops` in order to `resource` itself (P-13 as [`apply`], without copying the
/// resource): each operation first keeps a copy of the top-level members it touches,
/// and a failure, or a PATCH that changed nothing, puts those back, so on `Err` and on
/// `changed: false` the resource is exactly as it was, member order included.
pub fn apply_in_place(
    resource: &mut Value,
    ops: &[Operation],
    schema: &Schema,
    leniency: &Leniency,
) -> Result<Patched, PatchError> {
    let Some(root) = resource.as_object_mut() else {
        return Err(PatchError::bad_request(
            ScimType::InvalidSyntax,
            "the resource to patch is not a JSON object",
        ));
    };
    let engine = Engine { schema, leniency };
    let mut undo = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let mut work = work::Work::new(root);
        let result = engine
            .apply_op(&mut work, op)
            .and_then(|()| engine.check_invariants(&work));
        if let Err(error) = result {
            undo.push(work.into_saved());
            work::unwind(root, undo);
            // Named only when it failed: most operations succeed.
            return Err(in_context(error, &op.label(index)));
        }
        engine.sync_extensions(&mut work);
        undo.push(work.into_saved());
    }
    let changed = work::changed(root, &undo);
    if !changed {
        // Back to the stored order too: a no-op keeps the resource as it was.
        work::unwind(root, std::mem::take(&mut undo));
    }
    Ok(Patched { changed, undo })
}

/// The resource under patch, seen by one operation: the map is private to this module,
/// and the engine reaches it only through [`work::Work`]'s methods, each of which names
/// the member it is for and keeps a copy of the members of that name (in any case)
/// first. What they hand out for a core attribute is the whole map, and the engine's
/// functions change only the attribute they are given (`def.name`): the proptest
/// `in_place_puts_back_exactly_and_agrees_with_copies` holds them to it.
mod work {
    use serde_json::{Map, Value};

    use super::{find_key, get_ci, same_value};

    /// The members of one name (compared ignoring ASCII case) as an operation found
    /// them, with their positions.
    #[derive(Debug)]
    struct Group {
        name: String,
        members: Vec<(usize, String, Value)>,
    }

    /// What one operation found in the members it touched.
    #[derive(Debug, Default)]
    pub(super) struct Saved(Vec<Group>);

    impl Saved {
        fn group(&self, name: &str) -> Option<&Group> {
            self.0.iter().find(|g| g.name.eq_ignore_ascii_case(name))
        }

        /// The first member named `name` as the operation found it, if it touched one.
        pub(super) fn original(&self, name: &str) -> Option<Option<&Value>> {
            self.group(name)
                .map(|group| group.members.first().map(|(_, _, value)| value))
        }
    }

    /// The resource, changed only through methods that save what they touch.
    pub(super) struct Work<'m> {
        root: &'m mut Map<String, Value>,
        saved: Saved,
    }

    impl<'m> Work<'m> {
        /// One operation's view of `root`.
        pub(super) fn new(root: &'m mut Map<String, Value>) -> Self {
            Work {
                root,
                saved: Saved::default(),
            }
        }

        /// The resource as it is now.
        pub(super) fn now(&self) -> &Map<String, Value> {
            self.root
        }

        /// The top-level member `name` as it was before this operation.
        pub(super) fn before(&self, name: &str) -> Option<&Value> {
            self.saved
                .original(name)
                .unwrap_or_else(|| get_ci(self.root, name))
        }

        /// Whether this operation touched the top-level member `name`.
        pub(super) fn touched(&self, name: &str) -> bool {
            self.saved.group(name).is_some()
        }

        /// Keeps a copy of the members named `name`, once per name.
        fn save(&mut self, name: &str) {
            if self.touched(name) {
                return;
            }
            let members = self
                .root
                .iter()
                .enumerate()
                .filter(|(_, (key, _))| key.eq_ignore_ascii_case(name))
                .map(|(index, (key, value))| (index, key.clone(), value.clone()))
                .collect();
            self.saved.0.push(Group {
                name: name.to_string(),
                members,
            });
        }

        /// The top-level member `name`, to change as a whole.
        pub(super) fn member(&mut self, name: &str) -> &mut Map<String, Value> {
            self.save(name);
            self.root
        }

        /// The object that holds one schema's attributes: the resource itself for the
        /// core schema (`attribute` is then the member changed), the object under the
        /// extension URN key for an extension (created on demand; `sync_extensions`
        /// drops it again when it stays empty).
        pub(super) fn holder(
            &mut self,
            container: Option<&str>,
            attribute: &str,
        ) -> &mut Map<String, Value> {
            let Some(urn) = container else {
                return self.member(attribute);
            };
            let root = self.member(urn);
            let key = find_key(root, urn)
                .cloned()
                .unwrap_or_else(|| urn.to_string());
            let slot = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            slot.as_object_mut().expect("slot was just made an object")
        }

        /// Removes the top-level member `name` (any case).
        pub(super) fn remove(&mut self, name: &str) {
            super::remove_ci(self.member(name), name);
        }

        /// What this operation found, for [`unwind`].
        pub(super) fn into_saved(self) -> Saved {
            self.saved
        }
    }

    /// Undoes the operations whose saves `undo` holds, the last first: each put back
    /// gives the resource as that operation found it.
    pub(super) fn unwind(root: &mut Map<String, Value>, undo: Vec<Saved>) {
        for saved in undo.into_iter().rev() {
            // Every member the operation did not touch kept its value and, among the
            // others, its order: with the touched ones out, putting each back at its
            // old position, lowest first, gives the old order.
            for group in &saved.0 {
                while let Some(key) = find_key(root, &group.name).cloned() {
                    root.shift_remove(&key);
                }
            }
            let mut members: Vec<_> = saved.0.into_iter().flat_map(|g| g.members).collect();
            members.sort_by_key(|(index, _, _)| *index);
            for (index, key, value) in members {
                root.shift_insert(index.min(root.len()), key, value);
            }
        }
    }

    /// Whether `root` differs from what it was before the operations of `undo`
    /// (order aside, as map equality has it): only touched members can.
    pub(super) fn changed(root: &Map<String, Value>, undo: &[Saved]) -> bool {
        let mut seen: Vec<&str> = Vec::new();
        for saved in undo {
            for group in &saved.0 {
                // The first operation to touch a name found it as it was at the start.
                if seen
                    .iter()
                    .any(|name| name.eq_ignore_ascii_case(&group.name))
                {
                    continue;
                }
                seen.push(&group.name);
                let now = root
                    .keys()
                    .filter(|key| key.eq_ignore_ascii_case(&group.name))
                    .count();
                let same = now == group.members.len()
                    && group
                        .members
                        .iter()
                        .all(|(_, key, value)| root.get(key).is_some_and(|v| same_value(v, value)));
                if !same {
                    return true;
                }
            }
        }
        false
    }
}

/// `a == b`, faster when both list their members in the same order (an operation
/// keeps the order of what it does not touch): pairwise, without hashing every key.
fn same_map(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if !a.keys().zip(b.keys()).all(|(x, y)| x == y) {
        return a == b;
    }
    a.values().zip(b.values()).all(|(x, y)| same_value(x, y))
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => same_map(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_value(v, w))
        }
        _ => a == b,
    }
}

/// `a == b` of two members that may be absent, as [`same_value`] compares them.
fn same_member(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_value(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
}

fn invalid_value(msg: String) -> PatchError {
    PatchError::bad_request(ScimType::InvalidValue, msg)
}

fn invalid_path(msg: String) -> PatchError {
    PatchError::bad_request(ScimType::InvalidPath, msg)
}

fn mutability(msg: String) -> PatchError {
    PatchError::bad_request(ScimType::Mutability, msg)
}

fn no_target(msg: String) -> PatchError {
    PatchError::bad_request(ScimType::NoTarget, msg)
}

/// Writes `value` under `name`, reusing a key spelled in another case (`nickname`).
fn set_ci(obj: &mut Map<String, Value>, name: &str, value: Value) {
    let key = find_key(obj, name)
        .cloned()
        .unwrap_or_else(|| name.to_string());
    obj.insert(key, value);
}

fn remove_ci(obj: &mut Map<String, Value>, name: &str) {
    if let Some(key) = find_key(obj, name).cloned() {
        obj.shift_remove(&key);
    }
}

/// Merges the sub-attributes of `patch` into `target` (X-05): null unassigns a sub-attribute.
fn merge_into(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        if value.is_null() {
            remove_ci(target, key);
        } else {
            set_ci(target, key, value.clone());
        }
    }
}

/// A value with its keys in the schema's spelling and nulls dropped, for equality.
/// A value in the form used to find duplicates (A-08): sub-attribute names in schema
/// spelling, nulls dropped, and strings of `caseExact: false` sub-attributes lowercased
/// (RFC 7643 §2.4: providers SHOULD NOT return duplicates under the attribute's own
/// comparison rule).
fn canonical(def: &AttrDef, value: &Value) -> Value {
    let fold = |sub: Option<&AttrDef>, v: &Value| match (sub, v) {
        (Some(s), Value::String(text)) if !s.compares_case_exact() => {
            Value::String(text.to_lowercase())
        }
        _ => v.clone(),
    };
    match value {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let sub = def.sub(k);
                    (
                        sub.map_or_else(|| k.clone(), |s| s.name.clone()),
                        fold(sub, v),
                    )
                })
                .collect(),
        ),
        Value::String(_) => fold(Some(def), value),
        other => other.clone(),
    }
}

fn is_primary(value: &Value) -> bool {
    value
        .as_object()
        .and_then(|o| get_ci(o, "primary"))
        .is_some_and(|p| p == &Value::Bool(true))
}

/// P-12: when one written value is primary, every other value stops being primary; two
/// written primaries break "MUST appear no more than once" (RFC 7643 §2.4).
fn enforce_primary(
    def: &AttrDef,
    items: &mut [Value],
    written: &[usize],
) -> Result<(), PatchError> {
    if def.sub("primary").is_none() {
        return Ok(());
    }
    let primaries: Vec<usize> = written
        .iter()
        .copied()
        .filter(|&i| is_primary(&items[i]))
        .collect();
    if primaries.len() > 1 {
        return Err(invalid_value(format!(
            "{}: primary true MUST appear no more than once",
            def.name
        )));
    }
    if let Some(&keep) = primaries.first() {
        for (i, item) in items.iter_mut().enumerate() {
            if i != keep
                && is_primary(item)
                && let Some(obj) = item.as_object_mut()
            {
                set_ci(obj, "primary", Value::Bool(false));
            }
        }
    }
    Ok(())
}

/// The first readOnly sub-attribute a client value tries to set (`manager.displayName`).
fn read_only_in_value(def: &AttrDef, value: &Value) -> Option<String> {
    if def.ty != AttrType::Complex {
        return None;
    }
    let elements: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    elements
        .into_iter()
        .filter_map(Value::as_object)
        .find_map(|obj| {
            obj.iter().find_map(|(k, v)| {
                def.sub(k)
                    .filter(|s| s.mutability == Mutability::ReadOnly && !v.is_null())
                    .map(|s| format!("{}.{}", def.name, s.name))
            })
        })
}

struct Engine<'a> {
    schema: &'a Schema,
    leniency: &'a Leniency,
}

impl Engine<'_> {
    /// The container an attribute of schema `urn` lives in: `None` for the core schema.
    fn container_of<'u>(&self, urn: &'u str) -> Option<&'u str> {
        (!urn.eq_ignore_ascii_case(&self.schema.core_urn)).then_some(urn)
    }

    fn apply_op(&self, root: &mut work::Work<'_>, op: &Operation) -> Result<(), PatchError> {
        match (&op.path, op.op) {
            (None, OpKind::Remove) => Err(no_target("remove requires a path (R-01)".into())),
            (None, kind) => {
                let value = op
                    .value
                    .as_ref()
                    .ok_or_else(|| invalid_value("value is missing (P-07)".into()))?;
                self.pathless(root, value, kind)
            }
            (Some(path), kind) => self.with_path(root, path, kind, op.value.as_ref()),
        }
    }

    /// A pathless add/replace: every member of the value is an attribute (A-02, X-01).
    fn pathless(
        &self,
        root: &mut work::Work<'_>,
        value: &Value,
        kind: OpKind,
    ) -> Result<(), PatchError> {
        let Some(attrs) = value.as_object() else {
            return Err(invalid_value(
                "without a path the value must be an object of attributes".into(),
            ));
        };
        for (key, v) in attrs {
            // `schemas` is managed by the service provider from the attributes present.
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(ext) = self.schema.extension_urn(key) {
                match v {
                    Value::Object(inner) => {
                        for (name, inner_value) in inner {
                            let (_, def) = self.schema.find(Some(ext), name).ok_or_else(|| {
                                invalid_path(format!(
                                    "`{name}` is not an attribute of {ext} (P-20)"
                                ))
                            })?;
                            self.whole(root, Some(ext), def, kind, inner_value)?;
                        }
                    }
                    Value::Null if kind == OpKind::Replace => root.remove(ext),
                    Value::Null => {}
                    _ => {
                        return Err(invalid_value(format!(
                            "{ext} must be an object of attributes"
                        )));
                    }
                }
                continue;
            }
            if let Some((urn, def)) = self.schema.find(None, key) {
                if self.leniency.ignore_own_id
                    && def.name == "id"
                    && root.now().get("id") == Some(v)
                {
                    continue;
                }
                self.whole(root, self.container_of(urn), def, kind, v)?;
                continue;
            }
            if self.leniency.path_keys_in_value && (key.contains('.') || key.contains(':')) {
                let path = parse_path(key)?;
                self.with_path(root, &path, kind, Some(v))?;
                continue;
            }
            return Err(invalid_path(format!(
                "`{key}` is not an attribute of the User schema (P-20)"
            )));
        }
        Ok(())
    }

    /// add/replace of a whole attribute named in a pathless value.
    fn whole(
        &self,
        root: &mut work::Work<'_>,
        container: Option<&str>,
        def: &AttrDef,
        kind: OpKind,
        value: &Value,
    ) -> Result<(), PatchError> {
        if def.mutability == Mutability::ReadOnly {
            return Err(mutability(format!("{} is readOnly", def.name)));
        }
        self.set_whole(root.holder(container, &def.name), def, kind, value)
    }

    fn with_path(
        &self,
        root: &mut work::Work<'_>,
        path: &Path,
        kind: OpKind,
        value: Option<&Value>,
    ) -> Result<(), PatchError> {
        let attr = &path.attr;
        if attr.urn.is_none() && attr.name.eq_ignore_ascii_case("schemas") {
            return Err(mutability(
                "schemas is managed by the service provider".into(),
            ));
        }
        if let Some(urn) = &attr.urn
            && attr.sub.is_none()
            && path.filter.is_none()
            && self.leniency.path_keys_in_value
            && let Some(ext) = self.schema.extension_urn(&format!("{urn}:{}", attr.name))
        {
            // P-29: Entra sends the bare extension URN as a path with an object value.
            return match (kind, value) {
                (OpKind::Remove, _) => {
                    root.remove(ext);
                    Ok(())
                }
                (_, Some(v)) => self.pathless(
                    root,
                    &Value::Object(Map::from_iter([(ext.to_string(), v.clone())])),
                    kind,
                ),
                (_, None) => Err(invalid_value("value is missing (P-07)".into())),
            };
        }
        let (urn, def) = self
            .schema
            .find(attr.urn.as_deref(), &attr.name)
            .ok_or_else(|| {
                let whole_extension = attr.sub.is_none()
                    && attr.urn.as_ref().is_some_and(|urn| {
                        self.schema
                            .extension_urn(&format!("{urn}:{}", attr.name))
                            .is_some()
                    });
                invalid_path(if whole_extension {
                    format!(
                        "`{attr}` names a whole extension, which RFC 7644's path grammar (Figure 7) has no form for; name its attributes instead (P-29)"
                    )
                } else {
                    format!("`{attr}` is not an attribute of the User schema (P-20)")
                })
            })?;
        let sub = match &attr.sub {
            Some(s) => Some(def.sub(s).ok_or_else(|| {
                invalid_path(format!(
                    "`{attr}` is not an attribute of the User schema (P-20)"
                ))
            })?),
            None => None,
        };
        let value_sub = match &path.value_sub {
            Some(s) => Some(def.sub(s).ok_or_else(|| {
                invalid_path(format!(
                    "`{s}` is not a sub-attribute of {} (P-20)",
                    def.name
                ))
            })?),
            None => None,
        };
        for d in std::iter::once(def).chain(sub).chain(value_sub) {
            if d.mutability == Mutability::ReadOnly {
                return Err(mutability(format!("{} is readOnly (P-08)", d.name)));
            }
        }
        let value = match kind {
            OpKind::Remove => value,
            _ => Some(value.ok_or_else(|| invalid_value("value is missing (P-07)".into()))?),
        };
        let obj = root.holder(self.container_of(urn), &def.name);
        match (&path.filter, sub) {
            (Some(filter), _) => self.filtered(obj, def, filter, value_sub, kind, value),
            (None, Some(sub)) => self.sub_attribute(obj, def, sub, kind, value),
            (None, None) => match (kind, value) {
                (OpKind::Remove, v) => self.remove_whole(obj, def, v),
                (_, Some(v)) => self.set_whole(obj, def, kind, v),
                (_, None) => Err(invalid_value("value is missing (P-07)".into())),
            },
        }
    }

    /// add/replace of a whole attribute (A-03..A-08, X-02..X-05).
    fn set_whole(
        &self,
        obj: &mut Map<String, Value>,
        def: &AttrDef,
        kind: OpKind,
        value: &Value,
    ) -> Result<(), PatchError> {
        if let Some(name) = read_only_in_value(def, value) {
            return Err(mutability(format!("{name} is readOnly (P-08)")));
        }
        let checked = check_value(def, value.clone(), self.leniency)?;
        if is_unassigned(&checked) {
            // RFC 7643 §2.5: replace with null or [] unassigns; adding nothing changes nothing.
            if kind == OpKind::Replace {
                remove_ci(obj, &def.name);
            }
            return Ok(());
        }
        if def.multi_valued {
            let given = match drop_nulls(checked) {
                Value::Array(items) => items,
                other => vec![other],
            };
            let mut items = match (kind, get_ci(obj, &def.name)) {
                (OpKind::Add, Some(Value::Array(existing))) => existing.clone(),
                _ => Vec::new(),
            };
            let mut written = Vec::new();
            for value in given {
                let wanted = canonical(def, &value);
                match items.iter().position(|e| canonical(def, e) == wanted) {
                    // A-08: a value already present is not duplicated.
                    Some(i) => written.push(i),
                    None => {
                        items.push(value);
                        written.push(items.len() - 1);
                    }
                }
            }
            enforce_primary(def, &mut items, &written)?;
            if items.is_empty() {
                remove_ci(obj, &def.name);
            } else {
                set_ci(obj, &def.name, Value::Array(items));
            }
        } else if def.ty == AttrType::Complex {
            let Value::Object(patch) = checked else {
                return Err(invalid_value(format!(
                    "{} expects an object of sub-attributes",
                    def.name
                )));
            };
            let mut current = match get_ci(obj, &def.name) {
                Some(Value::Object(existing)) => existing.clone(),
                _ => Map::new(),
            };
            merge_into(&mut current, &patch);
            if current.is_empty() {
                remove_ci(obj, &def.name);
            } else {
                set_ci(obj, &def.name, Value::Object(current));
            }
        } else {
            set_ci(obj, &def.name, checked);
        }
        Ok(())
    }

    /// remove of a whole attribute (R-02, R-03), or of given values with E6.
    fn remove_whole(
        &self,
        obj: &mut Map<String, Value>,
        def: &AttrDef,
        value: Option<&Value>,
    ) -> Result<(), PatchError> {
        let selective = value
            .filter(|v| self.leniency.remove_with_value && def.multi_valued && !is_unassigned(v));
        let Some(given) = selective else {
            remove_ci(obj, &def.name);
            return Ok(());
        };
        let wanted: Vec<Value> = match given {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let Some(Value::Array(items)) = get_ci(obj, &def.name) else {
            return Ok(());
        };
        let mut kept = Vec::new();
        for item in items {
            let mut hit = false;
            for w in &wanted {
                if self.value_matches(def, item, w)? {
                    hit = true;
                    break;
                }
            }
            if !hit {
                kept.push(item.clone());
            }
        }
        if kept.is_empty() {
            remove_ci(obj, &def.name);
        } else {
            set_ci(obj, &def.name, Value::Array(kept));
        }
        Ok(())
    }

    /// E6: does an existing value match a value the client listed for removal? Every
    /// sub-attribute the client gave must compare equal (a bare string is its `value`).
    fn value_matches(
        &self,
        def: &AttrDef,
        item: &Value,
        wanted: &Value,
    ) -> Result<bool, PatchError> {
        if def.ty != AttrType::Complex {
            return Ok(item == wanted);
        }
        let wanted = match wanted {
            Value::String(s) => Value::Object(Map::from_iter([(
                "value".to_string(),
                Value::String(s.clone()),
            )])),
            other => other.clone(),
        };
        let checked = check_single(def, wanted, self.leniency)?;
        let Some(fields) = checked
            .as_object()
            .filter(|o| o.values().any(|v| !v.is_null()))
        else {
            return Err(invalid_value(format!(
                "{}: a value to remove must name sub-attributes",
                def.name
            )));
        };
        let item = item.as_object();
        Ok(fields.iter().filter(|(_, v)| !v.is_null()).all(|(k, v)| {
            let actual = item.and_then(|o| get_ci(o, k));
            match (actual, v, def.sub(k)) {
                (Some(Value::String(a)), Value::String(b), Some(sub))
                    if !sub.compares_case_exact() =>
                {
                    a.to_lowercase() == b.to_lowercase()
                }
                (Some(a), b, _) => a == b,
                (None, _, _) => false,
            }
        }))
    }

    /// `attr.sub` without a filter: on a singular complex attribute, its sub-attribute; on
    /// a multi-valued one, that sub-attribute of every value.
    fn sub_attribute(
        &self,
        obj: &mut Map<String, Value>,
        def: &AttrDef,
        sub: &AttrDef,
        kind: OpKind,
        value: Option<&Value>,
    ) -> Result<(), PatchError> {
        let checked = match value {
            Some(v) if kind != OpKind::Remove => check_value(sub, v.clone(), self.leniency)?,
            _ => Value::Null,
        };
        if !def.multi_valued {
            let mut current = match get_ci(obj, &def.name) {
                Some(Value::Object(existing)) => existing.clone(),
                _ => Map::new(),
            };
            if is_unassigned(&checked) {
                if kind == OpKind::Add {
                    return Ok(());
                }
                remove_ci(&mut current, &sub.name);
            } else {
                set_ci(&mut current, &sub.name, checked);
            }
            if current.is_empty() {
                remove_ci(obj, &def.name);
            } else {
                set_ci(obj, &def.name, Value::Object(current));
            }
            return Ok(());
        }
        let mut items = match get_ci(obj, &def.name) {
            Some(Value::Array(existing)) => existing.clone(),
            _ => Vec::new(),
        };
        if items.is_empty() {
            if kind == OpKind::Remove || is_unassigned(&checked) {
                return Ok(());
            }
            if !self.leniency.upsert_unmatched_filter {
                return Err(no_target(format!(
                    "{} has no values to set {} on",
                    def.name, sub.name
                )));
            }
            items.push(Value::Object(Map::new()));
        }
        let all: Vec<usize> = (0..items.len()).collect();
        self.write_elements(obj, def, items, &all, Some(sub), kind, &checked)
    }

    /// Writes `checked` into the elements at `targets` (a sub-attribute or a merged
    /// object), or removes them / their sub-attribute, then stores the attribute back.
    #[allow(clippy::too_many_arguments)]
    fn write_elements(
        &self,
        obj: &mut Map<String, Value>,
        def: &AttrDef,
        mut items: Vec<Value>,
        targets: &[usize],
        sub: Option<&AttrDef>,
        kind: OpKind,
        checked: &Value,
    ) -> Result<(), PatchError> {
        let unassign = kind == OpKind::Remove || is_unassigned(checked);
        let mut dropped = vec![false; items.len()];
        for &i in targets {
            match (sub, &mut items[i]) {
                (None, _) if kind == OpKind::Remove => dropped[i] = true,
                // RFC 7643 §2.5: replacing matched values with null or {} unassigns them.
                (None, _) if unassign && kind == OpKind::Replace => dropped[i] = true,
                (None, _) if unassign => {}
                (Some(sub), Value::Object(element)) if unassign => {
                    if kind != OpKind::Add {
                        remove_ci(element, &sub.name);
                    }
                }
                (Some(sub), Value::Object(element)) => set_ci(element, &sub.name, checked.clone()),
                (None, Value::Object(element)) => match checked {
                    Value::Object(patch) => merge_into(element, patch),
                    _ => {
                        return Err(invalid_value(format!(
                            "{} expects an object of sub-attributes",
                            def.name
                        )));
                    }
                },
                (_, _) => {
                    return Err(invalid_value(format!(
                        "{} holds a value that is not an object",
                        def.name
                    )));
                }
            }
            if items[i].as_object().is_some_and(Map::is_empty) {
                dropped[i] = true;
            }
        }
        enforce_primary(def, &mut items, targets)?;
        let kept: Vec<Value> = items
            .into_iter()
            .zip(dropped)
            .filter_map(|(item, drop)| (!drop).then_some(item))
            .collect();
        match (def.multi_valued, kept.is_empty()) {
            (_, true) => remove_ci(obj, &def.name),
            (true, false) => set_ci(obj, &def.name, Value::Array(kept)),
            (false, false) => set_ci(obj, &def.name, kept.into_iter().next().expect("not empty")),
        }
        Ok(())
    }

    /// `attr[filter]` and `attr[filter].sub` (R-04, R-05, R-07, X-06..X-08, E11, E12).
    fn filtered(
        &self,
        obj: &mut Map<String, Value>,
        def: &AttrDef,
        filter: &Filter,
        value_sub: Option<&AttrDef>,
        kind: OpKind,
        value: Option<&Value>,
    ) -> Result<(), PatchError> {
        if def.ty != AttrType::Complex {
            return Err(PatchError::bad_request(
                ScimType::InvalidFilter,
                format!(
                    "{} is not complex: a value filter needs sub-attributes (P-28)",
                    def.name
                ),
            ));
        }
        filter.validate(&def.sub_attributes)?;
        let checked = match (kind, value) {
            (OpKind::Remove, _) | (_, None) => Value::Null,
            (_, Some(v)) => match value_sub {
                Some(sub) => check_value(sub, v.clone(), self.leniency)?,
                None => {
                    if let Some(name) = read_only_in_value(def, v) {
                        return Err(mutability(format!("{name} is readOnly (P-08)")));
                    }
                    check_single(def, v.clone(), self.leniency)?
                }
            },
        };
        let mut items = match get_ci(obj, &def.name) {
            Some(Value::Array(existing)) => existing.clone(),
            Some(Value::Null) | None => Vec::new(),
            Some(single) => vec![single.clone()],
        };
        let mut matched = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if filter.matches(item, &def.sub_attributes)? {
                matched.push(i);
            }
        }
        if matched.is_empty() {
            if kind == OpKind::Remove {
                return Ok(()); // R-07: nothing to remove is a successful no-op.
            }
            let element = self
                .leniency
                .upsert_unmatched_filter
                .then(|| upsert_element(def, filter))
                .flatten()
                .ok_or_else(|| {
                    no_target(format!(
                        "no value of {} matches [{filter}] (X-08)",
                        def.name
                    ))
                })?;
            if !def.multi_valued {
                items.clear();
            }
            items.push(Value::Object(element));
            matched.push(items.len() - 1);
        }
        self.write_elements(obj, def, items, &matched, value_sub, kind, &checked)
    }

    /// P-08, R-06: immutable attributes keep a set value, required ones stay assigned,
    /// readOnly ones never change.
    fn check_invariants(&self, work: &work::Work<'_>) -> Result<(), PatchError> {
        let schemas = std::iter::once((None, self.schema.core.as_slice())).chain(
            self.schema
                .extensions
                .iter()
                .map(|(urn, defs)| (Some(urn.as_str()), defs.as_slice())),
        );
        for (container, defs) in schemas {
            // A member the operation did not touch is as it was: every check below
            // needs a change (or a required attribute that was set and is not).
            if container.is_some_and(|urn| !work.touched(urn)) {
                continue;
            }
            fn lookup<'m>(
                container: Option<&str>,
                top: impl Fn(&str) -> Option<&'m Value>,
                name: &str,
            ) -> Option<&'m Value> {
                match container {
                    None => top(name),
                    Some(urn) => top(urn)
                        .and_then(Value::as_object)
                        .and_then(|holder| get_ci(holder, name)),
                }
            }
            // Every check below needs a required, readOnly or immutable attribute.
            let guarded = defs.iter().filter(|def| {
                (def.required
                    || matches!(def.mutability, Mutability::ReadOnly | Mutability::Immutable))
                    && (container.is_some() || work.touched(&def.name))
            });
            for def in guarded {
                let (old, new) = (
                    lookup(container, |name| work.before(name), &def.name),
                    lookup(container, |name| get_ci(work.now(), name), &def.name),
                );
                let was_set = old.is_some_and(|v| !is_unassigned(v));
                let is_set = new.is_some_and(|v| !is_unassigned(v));
                // Compared only where a check needs it (most attributes stay as they were:
                // `meta` on every operation).
                let changed = || !same_member(old, new);
                if def.required && was_set && !is_set {
                    return Err(mutability(format!("{} is required", def.name)));
                }
                // RFC 7643 §4.1.1: "Each User MUST include a non-empty userName value."
                let blank = new
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.trim().is_empty());
                if def.required && changed() && blank {
                    return Err(invalid_value(format!("{} must not be empty", def.name)));
                }
                match def.mutability {
                    Mutability::ReadOnly if changed() => {
                        return Err(mutability(format!("{} is readOnly", def.name)));
                    }
                    Mutability::Immutable if was_set && changed() => {
                        return Err(mutability(format!("{} is immutable once set", def.name)));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// P-09, P-10: an extension whose attributes changed is listed in `schemas` while it
    /// holds attributes, and dropped (with its empty object) when it holds none.
    fn sync_extensions(&self, work: &mut work::Work<'_>) {
        for (urn, _) in &self.schema.extensions {
            if !work.touched(urn) || same_member(work.before(urn), get_ci(work.now(), urn)) {
                continue;
            }
            let present = get_ci(work.now(), urn).is_some_and(|v| !is_unassigned(v));
            if !present {
                work.remove(urn);
            }
            let after = work.member("schemas");
            let schemas = after
                .entry("schemas")
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(list) = schemas else {
                continue;
            };
            let listed = list
                .iter()
                .position(|u| u.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)));
            match (present, listed) {
                (true, None) => {
                    if list.is_empty() {
                        list.push(Value::String(self.schema.core_urn.clone()));
                    }
                    list.push(Value::String(urn.clone()));
                }
                (false, Some(i)) => {
                    list.remove(i);
                }
                _ => {}
            }
            if list.is_empty() {
                after.shift_remove("schemas");
            }
        }
    }
}

/// E12: the element an unmatched `eq`-only filter designates (`type eq "work"` -> `{type: work}`).
fn upsert_element(def: &AttrDef, filter: &Filter) -> Option<Map<String, Value>> {
    let clauses = filter.equality_clauses()?;
    let mut element = Map::new();
    for (attr, value) in clauses {
        let sub = def.sub(&attr.name)?;
        element.insert(sub.name.clone(), value.clone());
    }
    Some(element)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::request::parse_patch_request;
    use crate::schema::{ENTERPRISE_URN, PATCH_OP_URN, USER_URN};

    #[test]
    fn same_map_agrees_with_map_equality() {
        let pairs = [
            (
                json!({"a": 1, "b": {"c": [1, {"d": 2}]}}),
                json!({"a": 1, "b": {"c": [1, {"d": 2}]}}),
            ),
            (json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1})),
            (
                json!({"a": 1, "b": {"x": 1, "y": 2}}),
                json!({"a": 1, "b": {"y": 2, "x": 1}}),
            ),
            (
                json!({"a": 1, "b": {"c": [1, 2]}}),
                json!({"a": 1, "b": {"c": [2, 1]}}),
            ),
            (json!({"a": 1, "b": 2}), json!({"a": 1, "c": 2})),
            (json!({"a": 1}), json!({"a": 1, "b": null})),
            (json!({"a": {"b": 1}}), json!({"a": {"b": 1.0}})),
        ];
        for (a, b) in pairs {
            let (x, y) = (
                a.as_object().expect("object"),
                b.as_object().expect("object"),
            );
            assert_eq!(same_map(x, y), a == b, "{a} vs {b}");
            assert_eq!(same_map(y, x), a == b, "{b} vs {a}");
            assert_eq!(same_member(Some(&a), Some(&b)), a == b, "{a} vs {b}");
            assert!(!same_member(Some(&a), None) && !same_member(None, Some(&b)));
        }
        assert!(same_member(None, None));
    }

    fn user() -> Value {
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": "2819c223",
            "externalId": "ext-1",
            "meta": {
                "resourceType": "User",
                "created": "2024-01-01T00:00:00Z",
                "lastModified": "2024-01-01T00:00:00Z",
                "version": "W/\"1\"",
                "location": "https://example.com/v2/Users/2819c223"
            },
            "userName": "bjensen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "nickname": "Babsy",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"}],
            "groups": [{"value": "g1", "display": "Admins"}],
            ENTERPRISE_URN: {"employeeNumber": "701984", "manager": {"value": "m1", "displayName": "John Smith"}}
        })
    }

    fn core_only() -> Value {
        json!({"schemas": [USER_URN], "id": "u1", "userName": "alice"})
    }

    fn run_with(resource: &Value, ops: Value, leniency: Leniency) -> Result<Applied, PatchError> {
        let body = json!({"schemas": [PATCH_OP_URN], "Operations": ops});
        let ops = parse_patch_request(&body, &leniency)?;
        apply(resource, &ops, &Schema::rfc7643_user(), &leniency)
    }

    fn run(resource: &Value, ops: Value) -> Result<Applied, PatchError> {
        run_with(resource, ops, Leniency::strict())
    }

    /// [`run`], in place.
    fn run_in_place(resource: &mut Value, ops: Value) -> Result<Patched, PatchError> {
        let body = json!({"schemas": [PATCH_OP_URN], "Operations": ops});
        let strict = Leniency::strict();
        let ops = parse_patch_request(&body, &strict).expect("a valid request");
        apply_in_place(resource, &ops, &Schema::rfc7643_user(), &strict)
    }

    fn ok(resource: &Value, ops: Value) -> Value {
        run(resource, ops).expect("patch succeeds").resource
    }

    fn fails(resource: &Value, ops: Value) -> ScimType {
        run(resource, ops)
            .expect_err("patch fails")
            .scim_type
            .expect("scimType")
    }

    #[test]
    fn p29_a_bare_extension_urn_path_is_named_as_such() {
        let ops = json!([{"op": "add", "path": ENTERPRISE_URN, "value": {"department": "x"}}]);
        let err = run(&user(), ops).expect_err("not a path");
        assert_eq!(err.scim_type, Some(ScimType::InvalidPath));
        assert!(err.detail.contains("(P-29)"), "{}", err.detail);
        let unknown = json!([{"op": "add", "path": "shoeSize", "value": 1}]);
        let err = run(&user(), unknown).expect_err("unknown");
        assert!(err.detail.contains("(P-20)"), "{}", err.detail);
    }

    fn lenient(set: impl FnOnce(&mut Leniency)) -> Leniency {
        let mut l = Leniency::strict();
        set(&mut l);
        l
    }

    /// A PatchOp body whose one operation's `value` is `levels` arrays or objects deep.
    fn deeply_nested_body(op: &str, path: Option<&str>, levels: usize, object: bool) -> String {
        let (open, close) = if object {
            (r#"{"value": "#, "}")
        } else {
            ("[", "]")
        };
        let path = path
            .map(|p| format!(r#""path": {},"#, Value::from(p)))
            .unwrap_or_default();
        format!(
            r#"{{"schemas": ["{PATCH_OP_URN}"], "Operations": [{{"op": "{op}", {path} "value": {}"x"{}}}]}}"#,
            open.repeat(levels),
            close.repeat(levels)
        )
    }

    #[test]
    fn json_nested_ten_thousand_deep_never_reaches_the_engine() {
        // A `Value` that deep would overflow the stack merely being cloned or dropped;
        // the JSON parser's recursion limit is what keeps it out of every caller.
        for object in [true, false] {
            let error = serde_json::from_str::<Value>(&deeply_nested_body(
                "add",
                Some("nickName"),
                10_000,
                object,
            ))
            .expect_err("too deep to parse");
            assert!(error.to_string().contains("recursion limit"), "{error}");
        }
    }

    #[test]
    fn the_deepest_parseable_values_fail_cleanly_or_apply() {
        let paths = [
            Some("nickName"),
            Some("name"),
            Some("name.givenName"),
            Some("emails"),
            Some(r#"emails[type eq "work"].value"#),
            Some("manager"),
            Some(ENTERPRISE_URN),
            None,
        ];
        let schema = Schema::rfc7643_user();
        for leniency in [Leniency::strict(), Leniency::every()] {
            for object in [true, false] {
                // The deepest body serde_json accepts: the envelope takes four levels.
                let levels = (1..200)
                    .rev()
                    .find(|&levels| {
                        serde_json::from_str::<Value>(&deeply_nested_body(
                            "add", None, levels, object,
                        ))
                        .is_ok()
                    })
                    .expect("some depth parses");
                assert!(levels > 100, "{levels}");
                for path in paths {
                    for op in ["add", "replace", "remove"] {
                        let text = deeply_nested_body(op, path, levels, object);
                        let body: Value = serde_json::from_str(&text).expect("parses");
                        let outcome = parse_patch_request(&body, &leniency)
                            .and_then(|ops| apply(&user(), &ops, &schema, &leniency));
                        if let Err(error) = outcome {
                            assert_eq!(error.status, 400, "{leniency:?} {op} {path:?}: {error}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn p08_read_only_attributes_are_mutability() {
        let u = user();
        for op in [
            json!({"op": "replace", "path": "id", "value": "x"}),
            json!({"op": "add", "path": "meta.version", "value": "W/\"2\""}),
            json!({"op": "replace", "path": "meta", "value": {"version": "x"}}),
            json!({"op": "add", "path": "groups", "value": [{"value": "g2"}]}),
            json!({"op": "remove", "path": "groups[value eq \"g1\"]"}),
            json!({"op": "replace", "path": format!("{ENTERPRISE_URN}:manager.displayName"), "value": "Boss"}),
            json!({"op": "replace", "path": format!("{ENTERPRISE_URN}:manager"), "value": {"value": "m2", "displayName": "Boss"}}),
            json!({"op": "replace", "value": {"id": "2819c223"}}),
            json!({"op": "replace", "path": "schemas", "value": [USER_URN]}),
        ] {
            assert_eq!(fails(&u, json!([op.clone()])), ScimType::Mutability, "{op}");
        }
    }

    #[test]
    fn p09_p10_extension_attribute_adds_its_urn() {
        let out = ok(
            &core_only(),
            json!([{"op": "add", "path": format!("{ENTERPRISE_URN}:employeeNumber"), "value": "42"}]),
        );
        assert_eq!(out["schemas"], json!([USER_URN, ENTERPRISE_URN]));
        assert_eq!(out[ENTERPRISE_URN], json!({"employeeNumber": "42"}));
        // P-09: a later operation sees the URN added by an earlier one; removing the last
        // extension attribute drops the URN again.
        let out = ok(
            &core_only(),
            json!([
                {"op": "add", "path": format!("{ENTERPRISE_URN}:department"), "value": "R&D"},
                {"op": "remove", "path": format!("{ENTERPRISE_URN}:department")}
            ]),
        );
        assert_eq!(out, core_only());
        let pathless = ok(
            &core_only(),
            json!([{"op": "add", "value": {ENTERPRISE_URN: {"costCenter": "4130"}}}]),
        );
        assert_eq!(pathless["schemas"], json!([USER_URN, ENTERPRISE_URN]));
    }

    #[test]
    fn p11_operations_apply_in_order() {
        let out = ok(
            &user(),
            json!([
                {"op": "add", "path": "title", "value": "A"},
                {"op": "replace", "path": "title", "value": "B"}
            ]),
        );
        assert_eq!(out["title"], "B");
    }

    #[test]
    fn p12_primary_true_unsets_others() {
        let out = ok(
            &user(),
            json!([{"op": "add", "path": "emails", "value": [{"value": "new@x.org", "type": "other", "primary": true}]}]),
        );
        let primaries: Vec<&str> = out["emails"]
            .as_array()
            .expect("emails")
            .iter()
            .filter(|e| e["primary"] == true)
            .filter_map(|e| e["value"].as_str())
            .collect();
        assert_eq!(primaries, ["new@x.org"]);
        assert_eq!(out["emails"][0]["primary"], false);
        let via_filter = ok(
            &user(),
            json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
        );
        assert_eq!(via_filter["emails"][0]["primary"], false);
        assert_eq!(via_filter["emails"][1]["primary"], true);
    }

    #[test]
    fn p12_two_primaries_in_one_value_are_invalid_value() {
        let ops = json!([{"op": "replace", "path": "emails", "value": [
            {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
        ]}]);
        assert_eq!(fails(&user(), ops), ScimType::InvalidValue);
    }

    #[test]
    fn p13_failed_op_leaves_resource_untouched() {
        let original = user();
        let err = run(
            &original,
            json!([
                {"op": "replace", "path": "title", "value": "changed"},
                {"op": "remove", "path": "userName"}
            ]),
        )
        .expect_err("second op fails");
        assert_eq!(err.scim_type, Some(ScimType::Mutability));
        assert_eq!(
            err.detail,
            "Operations[1] (remove userName): userName is required"
        );
        assert_eq!(original, user());
    }

    #[test]
    fn p20_unknown_attributes_are_invalid_path() {
        let u = user();
        assert_eq!(
            fails(&u, json!([{"op": "add", "path": "shoeSize", "value": 42}])),
            ScimType::InvalidPath
        );
        assert_eq!(
            fails(
                &u,
                json!([{"op": "add", "path": "name.nickname", "value": "x"}])
            ),
            ScimType::InvalidPath
        );
        assert_eq!(
            fails(&u, json!([{"op": "add", "value": {"shoeSize": 42}}])),
            ScimType::InvalidPath
        );
        assert_eq!(
            fails(
                &u,
                json!([{"op": "add", "path": "emails[type eq \"work\"].label", "value": "x"}])
            ),
            ScimType::InvalidPath
        );
        assert_eq!(
            fails(
                &u,
                json!([{"op": "add", "path": "name", "value": {"nick": "x"}}])
            ),
            ScimType::InvalidPath
        );
        assert_eq!(
            fails(
                &u,
                json!([{"op": "remove", "path": "emails[label eq \"x\"]"}])
            ),
            ScimType::InvalidFilter
        );
    }

    #[test]
    fn p22_path_facets_case_insensitive() {
        let out = ok(
            &user(),
            json!([
                {"op": "replace", "path": "NAME.FAMILYNAME", "value": "Jensen-Smith"},
                {"op": "replace", "path": format!("{}:EMPLOYEENUMBER", ENTERPRISE_URN.to_uppercase()), "value": "1"}
            ]),
        );
        assert_eq!(out["name"]["familyName"], "Jensen-Smith");
        assert_eq!(out[ENTERPRISE_URN]["employeeNumber"], "1");
    }

    #[test]
    fn p26_p28_filter_rules_apply_to_paths() {
        let u = user();
        assert_eq!(
            fails(
                &u,
                json!([{"op": "remove", "path": "emails[primary gt false]"}])
            ),
            ScimType::InvalidFilter
        );
        assert_eq!(
            fails(
                &u,
                json!([{"op": "remove", "path": "userName[value eq \"x\"]"}])
            ),
            ScimType::InvalidFilter
        );
    }

    #[test]
    fn a02_pathless_add_updates_key_in_existing_case() {
        let out = ok(
            &user(),
            json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}}]),
        );
        assert_eq!(out["nickname"], "Babs");
        assert!(out.get("nickName").is_none());
        assert_eq!(out["emails"].as_array().map(Vec::len), Some(2));
        let fresh = ok(
            &core_only(),
            json!([{"op": "add", "value": {"NICKNAME": "Al"}}]),
        );
        assert_eq!(fresh["nickName"], "Al");
    }

    #[test]
    fn a03_add_absent_attribute() {
        let out = ok(
            &core_only(),
            json!([{"op": "add", "path": "title", "value": "Tour Guide"}]),
        );
        assert_eq!(out["title"], "Tour Guide");
    }

    #[test]
    fn a05_add_multi_valued_appends() {
        let out = ok(
            &user(),
            json!([{"op": "add", "path": "emails", "value": [{"value": "third@x.org"}]}]),
        );
        assert_eq!(out["emails"].as_array().map(Vec::len), Some(3));
        assert_eq!(out["emails"][2], json!({"value": "third@x.org"}));
    }

    #[test]
    fn a06_a07_add_single_valued_replaces() {
        let out = ok(
            &user(),
            json!([{"op": "add", "path": "userName", "value": "babs"}]),
        );
        assert_eq!(out["userName"], "babs");
    }

    #[test]
    fn a08_add_existing_value_is_no_op() {
        let u = user();
        for ops in [
            json!([{"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}]),
            json!([{"op": "add", "path": "userName", "value": "bjensen"}]),
            json!([{"op": "add", "path": "name", "value": {"givenName": "Barbara"}}]),
        ] {
            let applied = run(&u, ops.clone()).expect("no-op succeeds");
            assert!(!applied.changed, "{ops}");
            assert_eq!(applied.resource, u);
        }
    }

    #[test]
    fn a04_add_complex_merges_sub_attributes() {
        let out = ok(
            &user(),
            json!([{"op": "add", "path": "name", "value": {"middleName": "J"}}]),
        );
        assert_eq!(
            out["name"],
            json!({"givenName": "Barbara", "familyName": "Jensen", "middleName": "J"})
        );
    }

    #[test]
    fn r02_remove_single_valued() {
        let out = ok(&user(), json!([{"op": "remove", "path": "nickName"}]));
        assert!(out.get("nickname").is_none());
        let sub = ok(&user(), json!([{"op": "remove", "path": "name.givenName"}]));
        assert_eq!(sub["name"], json!({"familyName": "Jensen"}));
    }

    #[test]
    fn r03_remove_multi_valued_all() {
        let out = ok(&user(), json!([{"op": "remove", "path": "emails"}]));
        assert!(out.get("emails").is_none());
    }

    #[test]
    fn r04_remove_by_value_filter() {
        let out = ok(
            &user(),
            json!([{"op": "remove", "path": "emails[value eq \"babs@jensen.org\"]"}]),
        );
        assert_eq!(out["emails"].as_array().map(Vec::len), Some(1));
        assert_eq!(out["emails"][0]["type"], "work");
    }

    #[test]
    fn r05_remove_by_sub_attribute_filter_emptied_attribute_removed() {
        let out = ok(
            &user(),
            json!([{"op": "remove", "path": "addresses[type eq \"work\" and locality ew \"wood\"]"}]),
        );
        assert!(out.get("addresses").is_none());
        let sub = ok(
            &user(),
            json!([{"op": "remove", "path": "emails[type eq \"home\"].type"}]),
        );
        assert_eq!(sub["emails"][1], json!({"value": "babs@jensen.org"}));
    }

    #[test]
    fn r06_remove_required_or_read_only_is_mutability() {
        for path in ["userName", "id", "meta", "meta.created", "groups"] {
            assert_eq!(
                fails(&user(), json!([{"op": "remove", "path": path}])),
                ScimType::Mutability,
                "{path}"
            );
        }
        assert_eq!(
            fails(
                &user(),
                json!([{"op": "replace", "path": "userName", "value": null}])
            ),
            ScimType::Mutability
        );
        let blank = json!([{"op": "replace", "path": "userName", "value": " "}]);
        assert_eq!(fails(&user(), blank), ScimType::InvalidValue);
    }

    #[test]
    fn r07_remove_unmatched_filter_is_no_op() {
        let applied = run(
            &user(),
            json!([{"op": "remove", "path": "emails[type eq \"pager\"]"}]),
        )
        .expect("no-op");
        assert!(!applied.changed);
        assert_eq!(applied.resource, user());
    }

    #[test]
    fn r08_strict_remove_ignores_value() {
        let out = ok(
            &user(),
            json!([{"op": "remove", "path": "emails", "value": [{"value": "babs@jensen.org"}]}]),
        );
        assert!(out.get("emails").is_none());
    }

    #[test]
    fn x01_pathless_replace() {
        let out = ok(
            &user(),
            json!([{"op": "replace", "value": {"active": false, "displayName": "Babs"}}]),
        );
        assert_eq!(
            (out["active"].clone(), out["displayName"].clone()),
            (json!(false), json!("Babs"))
        );
    }

    #[test]
    fn x02_replace_single_valued() {
        assert_eq!(
            ok(
                &user(),
                json!([{"op": "replace", "path": "active", "value": false}])
            )["active"],
            false
        );
    }

    #[test]
    fn x03_replace_multi_valued_replaces_all() {
        let out = ok(
            &user(),
            json!([{"op": "replace", "path": "emails", "value": [{"value": "only@x.org"}]}]),
        );
        assert_eq!(out["emails"], json!([{"value": "only@x.org"}]));
    }

    #[test]
    fn x04_replace_missing_attribute_acts_as_add() {
        let out = ok(
            &core_only(),
            json!([{"op": "replace", "path": "title", "value": "Boss"}]),
        );
        assert_eq!(out["title"], "Boss");
        let sub = ok(
            &core_only(),
            json!([{"op": "replace", "path": "name.givenName", "value": "Alice"}]),
        );
        assert_eq!(sub["name"], json!({"givenName": "Alice"}));
    }

    #[test]
    fn x05_complex_replace_merges() {
        let out = ok(
            &user(),
            json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}]),
        );
        assert_eq!(
            out["name"],
            json!({"givenName": "Babs", "familyName": "Jensen"})
        );
    }

    #[test]
    fn x06_filtered_replace_all_matches() {
        let mut u = user();
        u["emails"] = json!([
            {"value": "a@x", "type": "work"}, {"value": "b@x", "type": "work"}, {"value": "c@x", "type": "home"}
        ]);
        let out = ok(
            &u,
            json!([{"op": "replace", "path": "emails[type eq \"WORK\"]", "value": {"display": "office"}}]),
        );
        let displays: Vec<&Value> = out["emails"]
            .as_array()
            .expect("emails")
            .iter()
            .map(|e| &e["display"])
            .collect();
        assert_eq!(displays, [&json!("office"), &json!("office"), &Value::Null]);
    }

    #[test]
    fn x07_filtered_replace_sub_attribute() {
        let out = ok(
            &user(),
            json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"}]),
        );
        assert_eq!(out["addresses"][0]["streetAddress"], "1 Main St");
        assert_eq!(out["addresses"][0]["locality"], "Hollywood");
    }

    #[test]
    fn x08_replace_unmatched_filter_is_no_target() {
        let ops =
            json!([{"op": "replace", "path": "emails[type eq \"pager\"].value", "value": "x@y"}]);
        assert_eq!(fails(&user(), ops), ScimType::NoTarget);
    }

    #[test]
    fn add_through_unmatched_filter_is_no_target() {
        let ops =
            json!([{"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1"}]);
        assert_eq!(fails(&user(), ops), ScimType::NoTarget);
    }

    #[test]
    fn replace_with_null_or_empty_is_remove() {
        let out = ok(
            &user(),
            json!([
                {"op": "replace", "path": "emails", "value": []},
                {"op": "replace", "path": "nickName", "value": null},
                {"op": "replace", "path": "name.givenName", "value": null}
            ]),
        );
        assert!(out.get("emails").is_none() && out.get("nickname").is_none());
        assert_eq!(out["name"], json!({"familyName": "Jensen"}));
    }

    #[test]
    fn wrong_types_are_invalid_value() {
        let u = user();
        for op in [
            json!({"op": "replace", "path": "active", "value": "False"}),
            json!({"op": "replace", "path": "userName", "value": 7}),
            json!({"op": "add", "path": "emails", "value": {"value": "x@y"}}),
            json!({"op": "add", "path": "name", "value": "Barbara"}),
            json!({"op": "replace", "path": "emails[type eq \"work\"].primary", "value": "yes"}),
            json!({"op": "add", "path": format!("{ENTERPRISE_URN}:manager"), "value": "m2"}),
        ] {
            assert_eq!(
                fails(&u, json!([op.clone()])),
                ScimType::InvalidValue,
                "{op}"
            );
        }
    }

    #[test]
    fn e2_string_booleans_on_and_off() {
        let ops = json!([{"op": "replace", "path": "active", "value": "False"}]);
        assert_eq!(fails(&user(), ops.clone()), ScimType::InvalidValue);
        let on = run_with(&user(), ops, lenient(|l| l.string_booleans = true)).expect("coerced");
        assert_eq!(on.resource["active"], false);
    }

    #[test]
    fn e5_path_keys_in_value_on_and_off() {
        let ops = json!([{"op": "replace", "value": {
            "name.givenName": "Babs",
            format!("{ENTERPRISE_URN}:employeeNumber"): "99"
        }}]);
        assert_eq!(fails(&user(), ops.clone()), ScimType::InvalidPath);
        let on = run_with(&user(), ops, lenient(|l| l.path_keys_in_value = true)).expect("lenient");
        assert_eq!(on.resource["name"]["givenName"], "Babs");
        assert_eq!(on.resource[ENTERPRISE_URN]["employeeNumber"], "99");
    }

    #[test]
    fn p29_bare_extension_urn_path_only_with_e5() {
        let ops =
            json!([{"op": "replace", "path": ENTERPRISE_URN, "value": {"department": "Sales"}}]);
        assert_eq!(fails(&core_only(), ops.clone()), ScimType::InvalidPath);
        let on =
            run_with(&core_only(), ops, lenient(|l| l.path_keys_in_value = true)).expect("lenient");
        assert_eq!(on.resource[ENTERPRISE_URN]["department"], "Sales");
    }

    #[test]
    fn e6_remove_with_value_on_and_off() {
        let ops =
            json!([{"op": "remove", "path": "emails", "value": [{"value": "BABS@jensen.org"}]}]);
        let on = run_with(
            &user(),
            ops.clone(),
            lenient(|l| l.remove_with_value = true),
        )
        .expect("e6");
        assert_eq!(on.resource["emails"].as_array().map(Vec::len), Some(1));
        assert_eq!(on.resource["emails"][0]["value"], "bjensen@example.com");
        assert!(ok(&user(), ops).get("emails").is_none());
    }

    #[test]
    fn e11_remove_manager_through_filter() {
        let path = format!("{ENTERPRISE_URN}:manager[value eq \"m1\"]");
        let out = ok(&user(), json!([{"op": "remove", "path": path}]));
        assert_eq!(out[ENTERPRISE_URN], json!({"employeeNumber": "701984"}));
    }

    #[test]
    fn e12_upsert_unmatched_filter_on_and_off() {
        let ops = json!([{"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555"}]);
        assert_eq!(fails(&user(), ops.clone()), ScimType::NoTarget);
        let on =
            run_with(&user(), ops, lenient(|l| l.upsert_unmatched_filter = true)).expect("upsert");
        assert_eq!(
            on.resource["phoneNumbers"],
            json!([{"type": "work", "value": "+1 555"}])
        );
        let replace = json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "o@x"}}]);
        let on = run_with(
            &user(),
            replace,
            lenient(|l| l.upsert_unmatched_filter = true),
        )
        .expect("upsert");
        assert_eq!(
            on.resource["emails"][2],
            json!({"type": "other", "value": "o@x"})
        );
    }

    #[test]
    fn e9_e10_manager_as_string_on_and_off() {
        let e10 =
            json!([{"op": "add", "path": format!("{ENTERPRISE_URN}:manager"), "value": "271"}]);
        let e9 = json!([{"op": "add", "path": "manager", "value": [{"$ref": "https://x/Users/271", "value": "271"}]}]);
        assert_eq!(fails(&core_only(), e10.clone()), ScimType::InvalidValue);
        assert_eq!(fails(&core_only(), e9.clone()), ScimType::InvalidValue);
        let l = lenient(|l| l.manager_as_string = true);
        let out = run_with(&core_only(), e10, l).expect("e10");
        assert_eq!(
            out.resource[ENTERPRISE_URN]["manager"],
            json!({"value": "271"})
        );
        let out = run_with(&core_only(), e9, l).expect("e9");
        assert_eq!(out.resource[ENTERPRISE_URN]["manager"]["value"], "271");
    }

    #[test]
    fn o3_ignore_own_id_on_and_off() {
        let ops = json!([{"op": "replace", "value": {"id": "2819c223", "displayName": "Babs"}}]);
        assert_eq!(fails(&user(), ops.clone()), ScimType::Mutability);
        let l = lenient(|l| l.ignore_own_id = true);
        let out = run_with(&user(), ops, l).expect("o3");
        assert_eq!(out.resource["displayName"], "Babs");
        let other = json!([{"op": "replace", "value": {"id": "someone-else"}}]);
        let err = run_with(&user(), other, l).expect_err("different id");
        assert_eq!(err.scim_type, Some(ScimType::Mutability));
    }

    #[test]
    fn multi_valued_sub_attribute_without_filter_applies_to_every_value() {
        let out = ok(
            &user(),
            json!([{"op": "replace", "path": "emails.display", "value": "mail"}]),
        );
        assert!(
            out["emails"]
                .as_array()
                .expect("emails")
                .iter()
                .all(|e| e["display"] == "mail")
        );
        assert_eq!(
            fails(
                &core_only(),
                json!([{"op": "add", "path": "emails.value", "value": "x@y"}])
            ),
            ScimType::NoTarget
        );
    }

    #[test]
    fn entra_profile_accepts_its_client_shapes() {
        let body = json!({
            "schemas": [PATCH_OP_URN],
            "id": "2819c223",
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555"},
                {"op": "Replace", "value": {"name.givenName": "Babs"}},
                {"op": "Add", "path": "manager", "value": "271"},
                {"op": "Remove", "path": "emails", "value": [{"value": "babs@jensen.org"}]}
            ]
        });
        let leniency = Leniency::every();
        let ops = parse_patch_request(&body, &leniency).expect("entra envelope");
        let out = apply(&user(), &ops, &Schema::rfc7643_user(), &leniency).expect("entra shapes");
        let r = out.resource;
        assert_eq!(r["active"], false);
        assert_eq!(
            r["phoneNumbers"],
            json!([{"type": "work", "value": "+1 555"}])
        );
        assert_eq!(r["name"]["givenName"], "Babs");
        assert_eq!(r[ENTERPRISE_URN]["manager"]["value"], "271");
        assert_eq!(r["emails"].as_array().map(Vec::len), Some(1));
        assert!(parse_patch_request(&body, &Leniency::strict()).is_err());
    }

    #[test]
    fn pathless_value_schemas_member_is_ignored() {
        let ops = json!([{"op": "replace", "value": {"schemas": [USER_URN], "title": "T"}}]);
        let out = ok(&user(), ops);
        assert_eq!(out["schemas"], json!([USER_URN, ENTERPRISE_URN]));
        assert_eq!(out["title"], "T");
    }

    fn valid_op() -> impl Strategy<Value = Value> {
        prop_oneof![
            "[a-z]{1,8}".prop_map(|t| json!({"op": "replace", "path": "title", "value": t})),
            "[a-z]{1,8}".prop_map(|t| json!({"op": "add", "path": "name.givenName", "value": t})),
            "[a-z]{1,8}".prop_map(|t| json!({"op": "add", "path": "emails", "value": [{"value": format!("{t}@x.org")}]})),
            any::<bool>().prop_map(|b| json!({"op": "replace", "path": "active", "value": b})),
        ]
    }

    fn failing_op() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!({"op": "remove", "path": "userName"})),
            Just(json!({"op": "replace", "path": "id", "value": "x"})),
            Just(
                json!({"op": "replace", "path": "emails[type eq \"pager\"]", "value": {"value": "p"}})
            ),
            Just(json!({"op": "add", "path": "shoeSize", "value": 1})),
            Just(json!({"op": "replace", "path": "active", "value": "nope"})),
        ]
    }

    fn email_op() -> impl Strategy<Value = Value> {
        let addr = prop_oneof![Just("a@x"), Just("b@x"), Just("c@x")];
        let ty = prop_oneof![Just("work"), Just("home")];
        prop_oneof![
            (addr.clone(), ty.clone(), any::<bool>()).prop_map(|(a, t, p)| {
                json!({"op": "add", "path": "emails", "value": [{"value": a, "type": t, "primary": p}]})
            }),
            (addr.clone(), any::<bool>()).prop_map(|(a, p)| {
                json!({"op": "replace", "path": format!("emails[value eq \"{a}\"].primary"), "value": p})
            }),
            (ty.clone(), any::<bool>()).prop_map(|(t, p)| {
                json!({"op": "replace", "path": format!("emails[type eq \"{t}\"]"), "value": {"primary": p}})
            }),
            (addr, ty, any::<bool>()).prop_map(|(a, t, p)| {
                json!({"op": "replace", "path": "emails", "value": [{"value": a, "type": t, "primary": p}]})
            }),
        ]
    }

    proptest! {
        #[test]
        fn p13_atomic_when_last_op_fails(prefix in proptest::collection::vec(valid_op(), 1..5), bad in failing_op()) {
            let original = user();
            let valid = run(&original, Value::Array(prefix.clone())).expect("valid prefix applies");
            let mut all = prefix;
            all.push(bad);
            let result = run(&original, Value::Array(all));
            prop_assert!(result.is_err());
            prop_assert_eq!(&original, &user());
            if valid.changed {
                prop_assert_ne!(&valid.resource, &original);
            } else {
                prop_assert_eq!(&valid.resource, &original);
            }
        }

        #[test]
        fn p12_at_most_one_primary_after_any_sequence(ops in proptest::collection::vec(email_op(), 1..8)) {
            let mut resource = user();
            for op in ops {
                if let Ok(applied) = run(&resource, json!([op])) {
                    resource = applied.resource;
                }
                let primaries = resource["emails"]
                    .as_array()
                    .map(|a| a.iter().filter(|e| e["primary"] == true).count())
                    .unwrap_or(0);
                prop_assert!(primaries <= 1, "{}", resource["emails"]);
            }
        }

        #[test]
        fn a08_same_add_twice_is_idempotent(op in valid_op()) {
            let op = json!([{"op": "add", "path": op["path"].clone(), "value": op["value"].clone()}]);
            let first = run(&user(), op.clone()).expect("first add");
            let second = run(&first.resource, op).expect("second add");
            prop_assert!(!second.changed);
            prop_assert_eq!(second.resource, first.resource);
        }
    }

    /// Users in the shapes the in-place engine must put back exactly: the fixture, one
    /// with members spelled in two cases, one without extension or emails.
    fn in_place_user() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(user()),
            Just(json!({
                "schemas": [USER_URN],
                "id": "u2",
                "nickName": "one",
                "userName": "alice",
                "NICKNAME": "two",
                "meta": {"resourceType": "User", "version": "W/\"3\""},
                "title": "t",
                "Emails": [{"value": "a@x", "primary": true}]
            })),
            Just(core_only()),
        ]
    }

    /// Operations over every way the engine reaches the resource: core and extension
    /// attributes, filters, sub-attributes, pathless values, the bare extension URN
    /// (P-29), `schemas`, and operations that fail.
    fn any_op() -> impl Strategy<Value = Value> {
        let text = prop_oneof![Just("x"), Just("Babsy"), Just("one"), Just("")];
        let kind = prop_oneof![Just("add"), Just("replace"), Just("remove")];
        let path = prop_oneof![
            Just(Some("nickName")),
            Just(Some("NICKNAME")),
            Just(Some("title")),
            Just(Some("userName")),
            Just(Some("id")),
            Just(Some("schemas")),
            Just(Some("name.givenName")),
            Just(Some("emails")),
            Just(Some("emails[type eq \"work\"].value")),
            Just(Some("emails[value eq \"a@x\"]")),
            Just(Some("emails.primary")),
            Just(Some(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
            )),
            Just(Some(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
            )),
            Just(Some(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            )),
            Just(Some("shoeSize")),
            Just(None),
        ];
        let value = prop_oneof![
            text.clone().prop_map(|t| json!(t)),
            text.clone()
                .prop_map(|t| json!([{"value": t, "type": "work", "primary": true}])),
            text.clone()
                .prop_map(|t| json!({"value": t, "givenName": t, "employeeNumber": t})),
            text.clone()
                .prop_map(|t| json!({"nickname": t, "Title": t})),
            text.prop_map(|t| json!({ENTERPRISE_URN: {"employeeNumber": t}, "userName": t})),
            Just(json!({ENTERPRISE_URN: null})),
            Just(json!({"userName": ""})),
            Just(json!(null)),
            Just(json!(true)),
        ];
        (kind, path, value).prop_map(|(kind, path, value)| match path {
            Some(path) => json!({"op": kind, "path": path, "value": value}),
            None => json!({"op": kind, "value": value}),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// P-13 without a copy: a failed PATCH, a no-op PATCH and a reverted PATCH
        /// leave the resource byte for byte as it was; otherwise the result is what
        /// the operations give one at a time on copies.
        #[test]
        fn in_place_puts_back_exactly_and_agrees_with_copies(
            original in in_place_user(),
            ops in proptest::collection::vec(any_op(), 1..5),
            lenient in any::<bool>(),
        ) {
            let leniency = if lenient { Leniency::every() } else { Leniency::strict() };
            let schema = Schema::rfc7643_user();
            let body = json!({"schemas": [PATCH_OP_URN], "Operations": ops});
            let Ok(ops) = parse_patch_request(&body, &leniency) else {
                return Ok(());
            };
            // One operation at a time, each on a copy of the last result.
            let mut expected = Ok(original.clone());
            for op in &ops {
                let Ok(current) = &expected else { break };
                let mut copy = current.clone();
                expected = apply_in_place(&mut copy, std::slice::from_ref(op), &schema, &leniency)
                    .map(|_| copy);
            }
            let text = original.to_string();
            let mut resource = original.clone();
            match (apply_in_place(&mut resource, &ops, &schema, &leniency), expected) {
                (Err(error), Err(expected)) => {
                    prop_assert_eq!(error.scim_type, expected.scim_type);
                    prop_assert_eq!(resource.to_string(), text);
                }
                (Ok(patched), Ok(expected)) => {
                    prop_assert_eq!(&resource, &expected);
                    prop_assert_eq!(patched.changed, resource != original);
                    if !patched.changed {
                        prop_assert_eq!(resource.to_string(), text.clone());
                    }
                    patched.revert(&mut resource);
                    prop_assert_eq!(resource.to_string(), text);
                }
                (got, expected) => prop_assert!(false, "{got:?} vs {expected:?}"),
            }
        }
    }

    #[test]
    fn in_place_failure_puts_members_back_in_their_places() {
        let original = user();
        let mut resource = original.clone();
        let error = run_in_place(
            &mut resource,
            json!([
                {"op": "remove", "path": "nickname"},
                {"op": "add", "path": "title", "value": "new"},
                {"op": "replace", "path": "emails", "value": [{"value": "z@x"}]},
                {"op": "remove", "path": "userName"}
            ]),
        )
        .expect_err("the last operation fails");
        assert_eq!(error.scim_type, Some(ScimType::Mutability));
        assert_eq!(resource.to_string(), original.to_string());
    }

    #[test]
    fn patched_names_what_its_operations_found() {
        let mut resource = user();
        let patched = run_in_place(
            &mut resource,
            json!([
                {"op": "replace", "path": "USERNAME", "value": "first"},
                {"op": "replace", "path": "userName", "value": "second"},
                {"op": "add", "path": "title", "value": "new"}
            ]),
        )
        .expect("applies");
        assert!(patched.changed);
        assert_eq!(patched.original("username"), Some(Some(&json!("bjensen"))));
        assert_eq!(patched.original("title"), Some(None));
        assert_eq!(patched.original("nickname"), None);
        assert_eq!(resource["userName"], "second");
    }
}
