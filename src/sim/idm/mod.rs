//! The Oracle Fabric userManagement ("target IDM") simulation (REFERENCE.md §5).
//!
//! SCIM-flavoured but not SCIM: `operation` instead of `op`, a required `profile`,
//! paths in the `scimAttributes:` and `customAttributes:` namespaces, plain
//! `application/json` and the TM Forum `Error` object. The SCIM half of every PATCH
//! is applied by `crate::patch` on the strict RFC 7643 User schema.

mod config;
mod custom;
mod error;
mod request;
mod user;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use serde_json::{Map, Value, json};

use crate::patch::filter::parse_filter;
use crate::patch::schema::USER_URN;
use crate::patch::{
    CompareOp, Filter, Leniency, OpKind, Operation, Schema, ScimType, apply_in_place,
};
use crate::sim::{Handler, SimBody, SimError, SimOptions, SimRequest, SimResponse};

pub use config::{
    CoreAttrRef, CoreMode, CustomAttrMapping, CustomAttrMode, CustomAttrType, IdmConfig,
    ProfileConfig,
};
pub use error::IdmError;

use custom::CustomStore;
use error::JSON;
use request::{FabricOp, Target};

/// Path of the API base.
pub const BASE_PATH: &str = "/userManagement/v1";

/// The `message` of every rejected GET query (REFERENCE.md §5.4).
const UNSUPPORTED_QUERY: &str = "Unsupported Query Param OR Request.";

/// One user as the target IDM stores it.
#[derive(Clone, Debug)]
struct StoredUser {
    /// SCIM resource (with `id` and `schemas`).
    scim: Value,
    /// Custom attributes under their target names.
    custom: CustomStore,
}

/// Users by id, their ids by `userName`, and the counter for the next id.
#[derive(Debug, Default)]
struct Store {
    users: BTreeMap<String, StoredUser>,
    /// The id of the user holding each `userName`, under [`user::name_key`]. A user is
    /// stored only while no other holds its name, so each key names one user.
    by_name: HashMap<String, String>,
    next_id: u64,
}

impl Store {
    /// Whether a user other than `except` holds `name` (compared as
    /// [`user::same_user_name`] compares).
    fn user_name_taken(&self, name: &str, except: Option<&str>) -> bool {
        self.by_name
            .get(&user::name_key(name))
            .is_some_and(|owner| Some(owner.as_str()) != except)
    }

    /// Stores `user` under `id` (new or replaced), keeping the name index current.
    fn insert(&mut self, id: String, user: StoredUser) {
        let old_key = self
            .users
            .get(&id)
            .and_then(|old| user::user_name(&old.scim))
            .map(user::name_key);
        let new_key = user::user_name(&user.scim).map(user::name_key);
        if old_key != new_key
            && let Some(old_key) = old_key
            && self.by_name.get(&old_key) == Some(&id)
        {
            self.by_name.remove(&old_key);
        }
        if let Some(new_key) = new_key {
            self.by_name.insert(new_key, id.clone());
        }
        self.users.insert(id, user);
    }
}

/// Which rights a bearer token carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    ReadWrite,
    ReadOnly,
}

/// The two resources of the API.
enum Route<'a> {
    Users,
    User(&'a str),
}

/// The userManagement endpoint simulation.
pub struct IdmSim {
    config: IdmConfig,
    schema: Schema,
    token: String,
    readonly_token: String,
    store: Mutex<Store>,
}

impl IdmSim {
    /// Creates an empty simulation configured by `options` (the built-in configuration
    /// unless `options.idm_config` is set; that one is validated again).
    pub fn new(options: &SimOptions) -> Result<Self, SimError> {
        let schema = Schema::rfc7643_user();
        let config = match &options.idm_config {
            Some(config) => {
                config.validate(&schema).map_err(SimError::Config)?;
                config.clone()
            }
            None => IdmConfig::builtin(),
        };
        Ok(IdmSim {
            config,
            schema,
            token: options.token.clone(),
            readonly_token: options.readonly_token.clone(),
            store: Mutex::new(Store::default()),
        })
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &IdmConfig {
        &self.config
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn dispatch(&self, request: &SimRequest) -> Result<SimResponse, IdmError> {
        let access = self.authorize(request)?;
        let route = route(&request.path)
            .ok_or_else(|| IdmError::new(404, format!("no resource at {}", request.path)))?;
        let method = request.method.as_str();
        let writes = matches!(method, "POST" | "PUT" | "PATCH");
        match (&route, method) {
            (Route::Users, "GET" | "POST") | (Route::User(_), "PUT" | "PATCH") => {}
            (Route::Users, _) => return Err(IdmError::method_not_allowed(method, "GET, POST")),
            (Route::User(_), _) => return Err(IdmError::method_not_allowed(method, "PUT, PATCH")),
        }
        if writes && access == Access::ReadOnly {
            return Err(IdmError::new(
                403,
                "the token may read users but not change them",
            ));
        }
        match route {
            Route::Users if method == "GET" => self.search(request),
            Route::Users => self.create(json_body(request)?),
            Route::User(id) if method == "PUT" => self.replace(id, json_body(request)?),
            Route::User(id) => self.patch(id, &json_body(request)?),
        }
    }

    fn authorize(&self, request: &SimRequest) -> Result<Access, IdmError> {
        let header = request
            .header("authorization")
            .ok_or_else(|| IdmError::unauthorized("the Authorization header is missing"))?;
        let token = match header.trim().split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(IdmError::unauthorized(
                    "the Authorization header is not a Bearer token",
                ));
            }
        };
        if token == self.token {
            Ok(Access::ReadWrite)
        } else if token == self.readonly_token {
            Ok(Access::ReadOnly)
        } else {
            Err(IdmError::unauthorized("the bearer token is invalid"))
        }
    }

    /// `GET /user?filter=userName eq "…"` (OD-20).
    fn search(&self, request: &SimRequest) -> Result<SimResponse, IdmError> {
        let [(key, filter)] = request.query.as_slice() else {
            return Err(IdmError::bad_request(UNSUPPORTED_QUERY));
        };
        if key != "filter" {
            return Err(IdmError::bad_request(UNSUPPORTED_QUERY));
        }
        let wanted =
            user_name_filter(filter).ok_or_else(|| IdmError::bad_request(UNSUPPORTED_QUERY))?;
        let store = self.store();
        let found: Vec<Value> = store
            .users
            .iter()
            .filter_map(|(id, u)| user::user_name(&u.scim).map(|name| (id, name)))
            .filter(|(_, name)| user::same_user_name(name, &wanted))
            .map(|(id, name)| json!({"id": id, "userName": name}))
            .collect();
        Ok(ok(200, Value::Array(found)))
    }

    /// `POST /user` (OD-21).
    fn create(&self, mut body: Map<String, Value>) -> Result<SimResponse, IdmError> {
        let scim_given = body.remove("scimAttributes");
        let (profile_name, profile) = self.profile(&body)?;
        let (mut scim, custom) = self.prepare_user(profile, scim_given, &body)?;
        if !self.swallows_groups(profile) {
            user::assign_groups(&mut scim, &profile.group_assignment);
        }
        let mut store = self.store();
        let name = user::user_name(&scim).unwrap_or_default().to_string();
        if store.user_name_taken(&name, None) {
            return Err(IdmError::new(
                409,
                format!("a user with userName `{name}` already exists"),
            ));
        }
        store.next_id += 1;
        let id = format!("User_{}", store.next_id);
        if let Some(object) = scim.as_object_mut() {
            object.insert("id".to_string(), Value::String(id.clone()));
        }
        let stored = StoredUser { scim, custom };
        let body = self.response_object(&id, profile_name, profile, &stored);
        store.insert(id, stored);
        Ok(ok(201, body))
    }

    /// `PUT /user/{id}` (OD-22): every writable attribute replaced, groups kept.
    fn replace(&self, id: &str, mut body: Map<String, Value>) -> Result<SimResponse, IdmError> {
        let scim_given = body.remove("scimAttributes");
        let (profile_name, profile) = self.profile(&body)?;
        let (mut scim, custom) = self.prepare_user(profile, scim_given, &body)?;
        let mut store = self.store();
        let Some(current) = store.users.get(id) else {
            return Err(not_found(id));
        };
        if let (Some(object), Some(current)) = (scim.as_object_mut(), current.scim.as_object()) {
            object.insert("id".to_string(), Value::String(id.to_string()));
            if let Some(groups) = current
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("groups"))
            {
                object.insert(groups.0.clone(), groups.1.clone());
            }
        }
        self.store_updated(&mut store, id, (profile_name, profile), scim, custom)
    }

    /// `PATCH /user/{id}`: all operations or none (OD-12).
    fn patch(&self, id: &str, body: &Map<String, Value>) -> Result<SimResponse, IdmError> {
        let (profile_name, profile) = self.profile(body)?;
        if !profile.target_supports_patch {
            return Err(IdmError::patch_unsupported(format!(
                "the target IDM of profile {profile_name} does not support SCIM PATCH; use PUT"
            )));
        }
        let operations = request::parse_operations(body)?;
        let mut store = self.store();
        let current = store.users.get(id).ok_or_else(|| not_found(id))?;
        // Copied at the first operation on a SCIM attribute, and changed in place from
        // then on: a failure drops the copy (OD-12).
        let mut scim = Cow::Borrowed(&current.scim);
        let mut custom = current.custom.clone();
        for op in &operations {
            self.apply_one(profile, op, &mut scim, &mut custom)?;
        }
        let mut scim = scim.into_owned();
        user::finish(
            Some(&current.scim),
            &mut scim,
            &profile.swallowed_core(&self.schema),
        );
        self.store_updated(&mut store, id, (profile_name, profile), scim, custom)
    }

    fn apply_one(
        &self,
        profile: &ProfileConfig,
        op: &FabricOp,
        scim: &mut Cow<'_, Value>,
        custom: &mut CustomStore,
    ) -> Result<(), IdmError> {
        match &op.target {
            Target::Scim(path) => {
                let operation = Operation {
                    op: op.op,
                    path: Some(path.as_ref().clone()),
                    value: op.value.clone(),
                };
                // Nothing to undo: a failure drops the whole copy.
                let _ = apply_in_place(
                    scim.to_mut(),
                    &[operation],
                    &self.schema,
                    &Leniency::strict(),
                )
                .map_err(|e| {
                    IdmError::new(
                        user::client_status(e.status),
                        format!("{}: {}", op.label(), user::scim_message(&e)),
                    )
                })?;
            }
            Target::Custom(name) => {
                let outcome = match (&op.op, &op.value) {
                    (OpKind::Remove, _) => custom::remove(profile, custom, name),
                    (_, Some(value)) => custom::set(profile, custom, name, value),
                    (_, None) => Err("value is required".to_string()),
                };
                outcome.map_err(|message| {
                    IdmError::bad_request(format!("{}: {message}", op.label()))
                })?;
            }
        }
        Ok(())
    }

    /// The `profile` member, resolved case-insensitively (OD-05): the name as the request
    /// spells it (echoed in responses) and the configured profile.
    fn profile<'a, 'b>(
        &'a self,
        body: &'b Map<String, Value>,
    ) -> Result<(&'b str, &'a ProfileConfig), IdmError> {
        let name = match body.get("profile") {
            Some(Value::String(name)) => name,
            Some(_) => return Err(IdmError::bad_request("profile must be a string")),
            None => return Err(IdmError::bad_request("profile is required")),
        };
        let (_, profile) = self.config.profile(name).ok_or_else(|| {
            let known: Vec<&str> = self.config.profiles.keys().map(String::as_str).collect();
            IdmError::bad_request(format!(
                "unknown profile `{name}`; configured: {}",
                known.join(", ")
            ))
        })?;
        Ok((name, profile))
    }

    /// Validates the POST/PUT attributes of a user (without id and groups):
    /// `scim_given`, the body's `scimAttributes` (taken out of `body`, and moved into the
    /// user), and the `customAttributes` of `body`.
    fn prepare_user(
        &self,
        profile: &ProfileConfig,
        scim_given: Option<Value>,
        body: &Map<String, Value>,
    ) -> Result<(Value, CustomStore), IdmError> {
        let scim_given = match scim_given {
            Some(Value::Object(object)) => object,
            Some(_) => return Err(IdmError::bad_request("scimAttributes must be an object")),
            None => return Err(IdmError::bad_request("scimAttributes is required")),
        };
        let custom_given = match body.get("customAttributes") {
            Some(Value::Object(object)) => Some(object),
            None | Some(Value::Null) => None,
            Some(_) => return Err(IdmError::bad_request("customAttributes must be an object")),
        };
        let mut scim = user::prepare(scim_given, &self.schema)?;
        user::finish(None, &mut scim, &profile.swallowed_core(&self.schema));
        let custom = custom::build(profile, custom_given).map_err(IdmError::bad_request)?;
        Ok((scim, custom))
    }

    fn swallows_groups(&self, profile: &ProfileConfig) -> bool {
        profile
            .swallowed_core(&self.schema)
            .iter()
            .any(|a| a.extension.is_none() && a.name.eq_ignore_ascii_case("groups"))
    }

    /// `UserResponseObject`: `{id, profile, scimAttributes, customAttributes}`; the
    /// profile is echoed as the request spelled it (the seed echoes `subscriber`).
    /// Stores the updated user of a PUT or PATCH unless its `userName` now collides with
    /// another user's (OD-21: 409, like POST), and answers with it.
    fn store_updated(
        &self,
        store: &mut Store,
        id: &str,
        (profile_name, profile): (&str, &ProfileConfig),
        scim: Value,
        custom: CustomStore,
    ) -> Result<SimResponse, IdmError> {
        let name = user::user_name(&scim).unwrap_or_default().to_string();
        if store.user_name_taken(&name, Some(id)) {
            return Err(IdmError::new(
                409,
                format!("a user with userName `{name}` already exists"),
            ));
        }
        let stored = StoredUser { scim, custom };
        let body = self.response_object(id, profile_name, profile, &stored);
        store.insert(id.to_string(), stored);
        Ok(ok(200, body))
    }

    fn response_object(
        &self,
        id: &str,
        profile_name: &str,
        profile: &ProfileConfig,
        stored: &StoredUser,
    ) -> Value {
        // Built member by member: `json!` would copy each value through `to_value`.
        let mut object = Map::new();
        object.insert("id".into(), Value::String(id.to_string()));
        object.insert("profile".into(), Value::String(profile_name.to_string()));
        object.insert(
            "scimAttributes".into(),
            user::render(&stored.scim, &self.schema),
        );
        object.insert(
            "customAttributes".into(),
            Value::Object(custom::report(profile, &stored.custom)),
        );
        Value::Object(object)
    }
}

impl Handler for IdmSim {
    fn handle(&self, request: &SimRequest) -> SimResponse {
        self.dispatch(request)
            .unwrap_or_else(IdmError::into_response)
    }

    fn error(&self, status: u16, detail: &str) -> SimResponse {
        IdmError::new(status, detail).into_response()
    }

    /// The TM Forum error has no `scimType`: the detail names the rule.
    fn refusal(&self, status: u16, _: Option<ScimType>, detail: &str) -> SimResponse {
        self.error(status, detail)
    }

    fn state(&self) -> Value {
        let store = self.store();
        let users: Vec<Value> = store
            .users
            .iter()
            .map(|(id, u)| {
                json!({
                    "id": id,
                    "scimAttributes": user::render(&u.scim, &self.schema),
                    "customAttributes": Value::Object(u.custom.clone()),
                })
            })
            .collect();
        json!({"api": "idm", "profile": "fabric", "users": users})
    }
}

/// Matches the path against the two resources.
fn route(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix(BASE_PATH)?.strip_prefix("/user")?;
    if rest.is_empty() {
        return Some(Route::Users);
    }
    let id = rest.strip_prefix('/')?;
    (!id.is_empty() && !id.contains('/')).then_some(Route::User(id))
}

/// The body of a write: an accepted media type (OD-17) and a JSON object.
fn json_body(request: &SimRequest) -> Result<Map<String, Value>, IdmError> {
    let content_type = request
        .header("content-type")
        .ok_or_else(|| IdmError::bad_request("Content-Type is required: application/json"))?;
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/json")
        && !media_type.eq_ignore_ascii_case("application/scim+json")
    {
        return Err(IdmError::bad_request(format!(
            "unsupported media type `{media_type}`; expected application/json"
        )));
    }
    match crate::util::parse_json(&request.body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(IdmError::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(IdmError::bad_request(format!("malformed JSON body: {e}"))),
    }
}

/// The userName of `userName eq "…"`, the only supported filter.
fn user_name_filter(filter: &str) -> Option<String> {
    match parse_filter(filter).ok()? {
        Filter::Compare(attr, CompareOp::Eq, Value::String(name))
            if attr.sub.is_none()
                && attr.name.eq_ignore_ascii_case("userName")
                && attr
                    .urn
                    .as_deref()
                    .is_none_or(|urn| urn.eq_ignore_ascii_case(USER_URN)) =>
        {
            Some(name)
        }
        _ => None,
    }
}

fn not_found(id: &str) -> IdmError {
    IdmError::new(404, format!("no user with id `{id}`"))
}

fn ok(status: u16, body: Value) -> SimResponse {
    SimResponse {
        status,
        headers: Vec::new(),
        content_type: JSON,
        body: Some(SimBody::Json(body)),
    }
}

#[cfg(test)]
mod tests;
