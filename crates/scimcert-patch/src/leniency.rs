//! Leniency knobs: each tolerates one client behaviour seen in the wild (REFERENCE.md §6).
//! All are off by default: RFC 7644 as written. Which knobs a vendor profile turns on
//! is the simulations' business (`scimcert::sim::profile`).

/// Which non-RFC client shapes the engine tolerates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Leniency {
    /// E1/E15: `op` matched case-insensitively (`Replace`, `Add`).
    pub op_any_case: bool,
    /// E2: `"True"`/`"False"` strings coerced to booleans for boolean attributes.
    pub string_booleans: bool,
    /// E6: `remove` with a `value` list removes exactly those values.
    pub remove_with_value: bool,
    /// E12: add/replace through an unmatched filter creates the element.
    pub upsert_unmatched_filter: bool,
    /// E5: dotted (`name.givenName`) and URN-qualified keys in a pathless value.
    pub path_keys_in_value: bool,
    /// E17: an empty `Operations` array is a successful no-op.
    pub empty_operations: bool,
    /// E9/E10: `manager` given as a bare string or a one-element array.
    pub manager_as_string: bool,
    /// VD-02: the PatchOp `schemas` member may be missing.
    pub schemas_optional: bool,
    /// VD-03/E18: top-level `id`, `externalId`, `meta` in the PatchOp body are ignored.
    pub extra_members: bool,
    /// O3: a readOnly `id` equal to the resource's own id in a value is ignored.
    pub ignore_own_id: bool,
}

impl Leniency {
    /// No leniency at all: RFC 7644 as written.
    pub fn strict() -> Self {
        Leniency::default()
    }

    /// Every tolerance at once: what the most lenient clients together need (for tests
    /// and fuzzing that want every path of the engine reachable).
    pub fn every() -> Self {
        Leniency {
            op_any_case: true,
            string_booleans: true,
            remove_with_value: true,
            upsert_unmatched_filter: true,
            path_keys_in_value: true,
            empty_operations: true,
            manager_as_string: true,
            schemas_optional: true,
            extra_members: true,
            ignore_own_id: true,
        }
    }
}
