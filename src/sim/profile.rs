//! What each vendor profile changes in the PATCH engine: which client shapes it
//! tolerates (REFERENCE.md §6) and how its User schema departs from RFC 7643. The engine
//! (`scimcert-patch`) knows no vendor; this is where the simulations pick one.

use std::sync::OnceLock;

use crate::api::Profile;
use crate::patch::{AttrDef, AttrType, ENTERPRISE_URN, Leniency, Mutability, Schema};

/// The engine's tolerances a server of `profile` turns on.
pub fn leniency(profile: Profile) -> Leniency {
    match profile {
        Profile::Rfc7644 => Leniency::strict(),
        Profile::Vmware => Leniency {
            schemas_optional: true,
            extra_members: true,
            ..Leniency::strict()
        },
        Profile::Entra => Leniency {
            op_any_case: true,
            string_booleans: true,
            remove_with_value: true,
            upsert_unmatched_filter: true,
            path_keys_in_value: true,
            empty_operations: true,
            manager_as_string: true,
            extra_members: true,
            ..Leniency::strict()
        },
        Profile::Okta => Leniency {
            ignore_own_id: true,
            ..Leniency::strict()
        },
        // The Fabric API builds its operations itself; its SCIM part is strict.
        Profile::Fabric => Leniency::strict(),
    }
}

/// The User schema as a server of `profile` defines it: RFC 7643 User + Enterprise,
/// plus, for `vmware`, the vendor attribute `country` on the enterprise extension
/// (REFERENCE.md §4.6) and `externalId` immutable (VD-10).
pub fn user_schema(profile: Profile) -> Schema {
    static VMWARE: OnceLock<Schema> = OnceLock::new();
    if profile != Profile::Vmware {
        return Schema::rfc7643_user();
    }
    VMWARE.get_or_init(vmware_user).clone()
}

fn vmware_user() -> Schema {
    let mut schema = Schema::rfc7643_user();
    if let Some(external_id) = schema.core.iter_mut().find(|d| d.name == "externalId") {
        external_id.mutability = Mutability::Immutable;
    }
    if let Some((_, enterprise)) = schema
        .extensions
        .iter_mut()
        .find(|(urn, _)| urn == ENTERPRISE_URN)
    {
        enterprise.push(AttrDef {
            description: "Country of the user (VMware vendor attribute, free text).".into(),
            ..AttrDef::simple("country", AttrType::String)
        });
    }
    schema
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::patch::{
        Applied, PATCH_OP_URN, PatchError, ScimType, USER_URN, apply, parse_patch_request,
    };

    fn user() -> Value {
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": "2819c223",
            "externalId": "ext-1",
            "userName": "bjensen",
            ENTERPRISE_URN: {"employeeNumber": "701984"}
        })
    }

    fn core_only() -> Value {
        json!({"schemas": [USER_URN], "id": "u1", "userName": "alice"})
    }

    fn run_as(profile: Profile, resource: &Value, ops: Value) -> Result<Applied, PatchError> {
        let body = json!({"schemas": [PATCH_OP_URN], "Operations": ops});
        let leniency = leniency(profile);
        let ops = parse_patch_request(&body, &leniency)?;
        apply(resource, &ops, &user_schema(profile), &leniency)
    }

    #[test]
    fn vd10_immutable_external_id_under_vmware() {
        let vm = |resource: &Value, ops: Value| run_as(Profile::Vmware, resource, ops);
        let err = vm(
            &user(),
            json!([{"op": "replace", "path": "externalId", "value": "other"}]),
        )
        .expect_err("immutable");
        assert_eq!(err.scim_type, Some(ScimType::Mutability));
        let err =
            vm(&user(), json!([{"op": "remove", "path": "externalId"}])).expect_err("immutable");
        assert_eq!(err.scim_type, Some(ScimType::Mutability));
        let same = vm(
            &user(),
            json!([{"op": "add", "path": "externalId", "value": "ext-1"}]),
        )
        .expect("same value");
        assert!(!same.changed);
        let unset = vm(
            &core_only(),
            json!([{"op": "add", "path": "externalId", "value": "e"}]),
        )
        .expect("unset");
        assert_eq!(unset.resource["externalId"], "e");
        let replace = json!([{"op": "replace", "path": "externalId", "value": "other"}]);
        assert!(run_as(Profile::Rfc7644, &user(), replace).is_ok());
    }

    #[test]
    fn vd05_enterprise_country_only_under_vmware() {
        let ops =
            json!([{"op": "add", "path": format!("{ENTERPRISE_URN}:country"), "value": "India"}]);
        let err = run_as(Profile::Rfc7644, &core_only(), ops.clone()).expect_err("unknown");
        assert_eq!(err.scim_type, Some(ScimType::InvalidPath));
        let out = run_as(Profile::Vmware, &core_only(), ops).expect("vendor attribute");
        assert_eq!(out.resource[ENTERPRISE_URN]["country"], "India");
        assert_eq!(out.resource["schemas"], json!([USER_URN, ENTERPRISE_URN]));
        let (_, country) = user_schema(Profile::Vmware)
            .find(Some(ENTERPRISE_URN), "country")
            .map(|(u, d)| (u.to_string(), d.clone()))
            .expect("vendor attribute");
        assert_eq!(country.ty, AttrType::String);
        assert!(!country.case_exact && !country.multi_valued && !country.required);
    }

    #[test]
    fn only_vmware_departs_from_rfc7643() {
        for p in [
            Profile::Rfc7644,
            Profile::Entra,
            Profile::Okta,
            Profile::Fabric,
        ] {
            let schema = user_schema(p);
            assert!(schema.find(Some(ENTERPRISE_URN), "country").is_none());
            let external = schema.find(None, "externalId").map(|(_, d)| d.mutability);
            assert_eq!(external, Some(Mutability::ReadWrite), "{p}");
        }
        assert_eq!(leniency(Profile::Rfc7644), Leniency::strict());
        assert!(leniency(Profile::Entra).op_any_case && !leniency(Profile::Okta).op_any_case);
    }
}
