//! The VMware Identity Services SCIM 2.0 simulation (REFERENCE.md §4): Users CRUD with
//! PATCH through `crate::patch`, discovery endpoints, one isolated store per tenant.
//!
//! Profile differences live here and in `crate::patch` (`Schema::user`,
//! `sim::profile::leniency`): under `vmware` a create answers 200 (VD-01), a list names
//! its members `resources` (VD-07) and an `If-Match` mismatch answers 409 (§4.7);
//! every other profile answers 201, `Resources` and 412.

mod discovery;
mod store;
mod wire;

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value, json};

use crate::api::Profile;
use crate::patch::schema::{ENTERPRISE_URN, USER_URN};
use crate::patch::value::get_ci;
use crate::patch::{
    Filter, Leniency, Mutability, Operation, Projection, Schema, ScimType, apply_in_place,
    filter::parse_filter, parse_patch_fast, parse_patch_request, project, project_view,
};

use crate::util::encode_segment;
use crate::util::rfc3339_millis;
pub use discovery::MAX_RESULTS;
pub use wire::{ERROR_URN, LIST_URN, scim_error};

use super::{Handler, SimBody, SimOptions, SimRequest, SimResponse};
use store::{Store, StoredUser, user_name};
use wire::{
    empty_response, etag, etag_list_matches, is_scim_media_type, json_response, patch_error,
};

/// `WWW-Authenticate` challenge sent with every 401 (RFC 6750 §3).
pub const WWW_AUTHENTICATE: &str = "Bearer realm=\"scimcert\"";

/// An answer under construction: errors short-circuit with `?`.
type Answer = Result<SimResponse, SimResponse>;

/// The SCIM Users endpoint simulation.
pub struct ScimSim {
    profile: Profile,
    token: String,
    readonly_token: String,
    body_limit: usize,
    schema: Schema,
    leniency: Leniency,
    schemas: Vec<Value>,
    store: Mutex<Store>,
}

/// What the bearer token of a request allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Denied,
    ReadOnly,
    Full,
}

/// The endpoints under `/usergroup/t/{tenant}/scim/v2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint<'a> {
    Users,
    /// `POST /Users/.search` (RFC 7644 §3.4.3).
    UsersSearch,
    /// `POST /.search` at the root: across all resource types, and Users is the only one.
    RootSearch,
    User(&'a str),
    ServiceProviderConfig,
    Schemas,
    Schema(&'a str),
    ResourceTypes,
    ResourceType(&'a str),
}

impl<'a> Endpoint<'a> {
    /// Splits a decoded request path into tenant and endpoint.
    fn parse(path: &'a str) -> Option<(&'a str, Endpoint<'a>)> {
        let rest = path.strip_prefix("/usergroup/t/")?;
        let (tenant, rest) = split_once_byte(rest, b'/')?;
        let rest = rest.strip_prefix("scim/v2")?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if tenant.is_empty() || rest.is_empty() {
            return None;
        }
        // One or two segments: split in place rather than collected (every request
        // comes through here).
        let rest = rest.strip_prefix('/')?;
        let (first, second) = match split_once_byte(rest, b'/') {
            Some((_, second)) if second.bytes().any(|b| b == b'/') => return None,
            Some((first, second)) => (first, Some(second)),
            None => (rest, None),
        };
        let endpoint = match (first, second) {
            ("Users", None) => Endpoint::Users,
            ("Users", Some(".search")) => Endpoint::UsersSearch,
            (".search", None) => Endpoint::RootSearch,
            ("Users", Some(id)) if !id.is_empty() => Endpoint::User(id),
            ("ServiceProviderConfig", None) => Endpoint::ServiceProviderConfig,
            ("Schemas", None) => Endpoint::Schemas,
            ("Schemas", Some(urn)) if !urn.is_empty() => Endpoint::Schema(urn),
            ("ResourceTypes", None) => Endpoint::ResourceTypes,
            ("ResourceTypes", Some(name)) if !name.is_empty() => Endpoint::ResourceType(name),
            _ => return None,
        };
        Some((tenant, endpoint))
    }

    /// Methods the endpoint serves, for matching and the `Allow` header.
    fn allowed_methods(self) -> &'static [&'static str] {
        match self {
            Endpoint::Users => &["GET", "POST"],
            Endpoint::UsersSearch | Endpoint::RootSearch => &["POST"],
            Endpoint::User(_) => &["GET", "PUT", "PATCH", "DELETE"],
            _ => &["GET"],
        }
    }

    /// Whether `method` on this endpoint changes the store (and needs write rights).
    fn is_write(self, method: &str) -> bool {
        method != "GET" && !matches!(self, Endpoint::UsersSearch | Endpoint::RootSearch)
    }
}

/// One request being answered, with what every endpoint needs from it.
struct Ctx<'a> {
    request: &'a SimRequest,
    tenant: &'a str,
}

impl Ctx<'_> {
    /// Absolute URL of the tenant's API base, for `meta.location`: made only by the
    /// endpoints that write it (a create, discovery), not for every request.
    fn base_url(&self) -> String {
        let host = self.request.header("host").unwrap_or("localhost");
        format!(
            "http://{host}/usergroup/t/{}/scim/v2",
            encode_segment(self.tenant)
        )
    }
}

/// Paging, filtering and projection of a list or search.
struct ListQuery {
    filter: Option<Filter>,
    start_index: usize,
    count: usize,
    projection: Projection,
}

impl ScimSim {
    /// Creates an empty simulation configured by `options`.
    pub fn new(options: &SimOptions) -> Self {
        let schema = crate::sim::profile::user_schema(options.profile);
        let schemas = schema.to_scim_schemas();
        ScimSim {
            profile: options.profile,
            token: options.token.clone(),
            readonly_token: options.readonly_token.clone(),
            body_limit: options.body_limit,
            leniency: crate::sim::profile::leniency(options.profile),
            schema,
            schemas,
            store: Mutex::new(Store::default()),
        }
    }

    /// Number of users a tenant holds (for tests and diagnostics).
    pub fn user_count(&self, tenant: &str) -> usize {
        self.lock().tenant(tenant).map_or(0, |users| users.len())
    }

    // A panic elsewhere must not take the simulation down: the store is valid after
    // every statement that mutates it, so a poisoned lock is safe to reuse.
    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn access(&self, request: &SimRequest) -> Access {
        let Some(value) = request.header("authorization") else {
            return Access::Denied;
        };
        let Some((scheme, token)) = split_once_byte(value.trim(), b' ') else {
            return Access::Denied;
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Access::Denied;
        }
        match token.trim() {
            token if token == self.token => Access::Full,
            token if token == self.readonly_token => Access::ReadOnly,
            _ => Access::Denied,
        }
    }

    /// Answers `request` at `endpoint`, as [`Endpoint::parse`] read its path.
    fn route(&self, request: &SimRequest, endpoint: Option<(&str, Endpoint)>) -> Answer {
        let Some((tenant, endpoint)) = endpoint else {
            return Err(scim_error(
                404,
                None,
                &format!("no endpoint at {}", request.path),
            ));
        };
        let method = request.method.as_str();
        let allowed = endpoint.allowed_methods();
        if !allowed.contains(&method) {
            let mut response = scim_error(
                405,
                None,
                &format!("method {method} is not allowed on {}", request.path),
            );
            response.headers.push(("allow".into(), allowed.join(", ")));
            return Err(response);
        }
        let ctx = Ctx { request, tenant };
        match (endpoint, method) {
            (Endpoint::Users, "GET") => self.list(&ctx, ListQuery::from_request(request)?),
            (Endpoint::Users, _) => self.create(&ctx),
            (Endpoint::UsersSearch | Endpoint::RootSearch, _) => {
                self.list(&ctx, ListQuery::from_search(&json_body(request)?)?)
            }
            (Endpoint::User(id), "GET") => self.get(&ctx, id),
            (Endpoint::User(id), "PUT") => self.replace(&ctx, id),
            (Endpoint::User(id), "PATCH") => self.patch(&ctx, id),
            (Endpoint::User(id), _) => self.delete(&ctx, id),
            (Endpoint::ServiceProviderConfig, _) => Ok(json_response(
                200,
                discovery::service_provider_config(&ctx.base_url()),
            )),
            (Endpoint::Schemas, _) => {
                Ok(json_response(200, self.list_body(self.schemas.clone(), 1)))
            }
            (Endpoint::Schema(urn), _) => self
                .schemas
                .iter()
                .find(|schema| {
                    schema
                        .get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| id.eq_ignore_ascii_case(urn))
                })
                .map(|schema| json_response(200, schema.clone()))
                .ok_or_else(|| scim_error(404, None, &format!("no schema {urn}"))),
            (Endpoint::ResourceTypes, _) => Ok(json_response(
                200,
                self.list_body(vec![discovery::user_resource_type(&ctx.base_url())], 1),
            )),
            (Endpoint::ResourceType(name), _) if name.eq_ignore_ascii_case("User") => Ok(
                json_response(200, discovery::user_resource_type(&ctx.base_url())),
            ),
            (Endpoint::ResourceType(name), _) => {
                Err(scim_error(404, None, &format!("no resource type {name}")))
            }
        }
    }

    fn create(&self, ctx: &Ctx) -> Answer {
        let projection = projection(ctx.request)?;
        let attributes = self.validate(json_body(ctx.request)?)?;
        let name = required_user_name(&attributes)?.to_string();
        let mut store = self.lock();
        if store
            .tenant(ctx.tenant)
            .and_then(|users| users.owner_of(&name))
            .is_some()
        {
            return Err(taken(&name));
        }
        let id = crate::util::uuid_v4().to_string();
        let now = rfc3339_millis(store.tick());
        let location = format!("{}/Users/{id}", ctx.base_url());
        let stored = StoredUser {
            resource: Arc::new(assemble(
                &id,
                attributes,
                user_meta(&now, &now, &location, 1),
            )),
            version: 1,
        };
        // VD-01: VMware documents 200 for a create.
        let status = if self.profile == Profile::Vmware {
            200
        } else {
            201
        };
        let mut response = self.user_response(status, &stored, &projection);
        response.headers.push(("location".into(), location));
        store.tenant_or_create(ctx.tenant).insert(id, stored);
        Ok(response)
    }

    fn get(&self, ctx: &Ctx, id: &str) -> Answer {
        let projection = projection(ctx.request)?;
        let store = self.lock();
        let stored = store
            .tenant(ctx.tenant)
            .and_then(|users| users.get(id))
            .ok_or_else(|| user_not_found(id))?;
        if let Some(header) = ctx.request.header("if-none-match") {
            // E-03: an unchanged resource answers 304 without a body.
            if etag_list_matches(header, &etag(stored.version)) {
                let mut response = empty_response(304);
                response.headers.push(("etag".into(), etag(stored.version)));
                return Ok(response);
            }
        }
        Ok(self.user_response(200, stored, &projection))
    }

    fn replace(&self, ctx: &Ctx, id: &str) -> Answer {
        // As for PATCH: validated before the lock, answered in the same order.
        let attributes = json_body(ctx.request).and_then(|body| self.validate(body));
        self.update(ctx, id, |old| {
            let mut attributes = attributes.clone()?;
            self.keep_immutable(&old.resource, &mut attributes)?;
            required_user_name(&attributes)?;
            let old_meta = MetaFields::of(&old.resource);
            let replaced = assemble(
                id,
                attributes,
                user_meta(
                    old_meta.created,
                    old_meta.last_modified,
                    old_meta.location,
                    old.version,
                ),
            );
            Ok((replaced != *old.resource).then_some(replaced))
        })
    }

    /// PATCH: the user is changed where it is stored, with the store locked (applying
    /// takes less than copying the user out and back did), in the order and with the
    /// answers of [`Self::update`]: user, If-Match, request, operations, userName.
    fn patch(&self, ctx: &Ctx, id: &str) -> Answer {
        // Parsed before the store is locked (the lock is what concurrent clients wait
        // for); an error is still answered after the user and If-Match checks.
        let operations = patch_operations(ctx.request, &self.leniency);
        let projection = projection(ctx.request)?;
        let mut store = self.lock();
        let (users, clock) = store
            .tenant_and_clock(ctx.tenant)
            .ok_or_else(|| user_not_found(id))?;
        let stored = users.get_mut(id).ok_or_else(|| user_not_found(id))?;
        self.check_if_match(ctx.request, stored)?;
        let operations = operations?;
        // The stored user itself, copied only while an answer still holds it: the engine
        // puts back whatever a failed PATCH changed (P-13).
        let resource = Arc::make_mut(&mut stored.resource);
        let patched = apply_in_place(resource, &operations, &self.schema, &self.leniency)
            .map_err(|error| patch_error(&error))?;
        if !patched.changed {
            // A-08/E-05: a no-op keeps version and lastModified.
            return Ok(self.user_response(200, stored, &projection));
        }
        let Some(name) = user_name(resource) else {
            patched.revert(resource);
            return Err(scim_error(
                400,
                Some(ScimType::Mutability),
                "userName is required and cannot be removed",
            ));
        };
        // Only an operation on userName can take another user's name (the store keeps
        // one user per name) or need the name index changed: the old name and the new.
        let renamed = patched.original("userName").map(|old| {
            let old = old.and_then(Value::as_str).map(str::to_owned);
            (old, name.to_owned())
        });
        if let Some((_, name)) = &renamed
            && users.owner_of(name).is_some_and(|owner| owner != id)
        {
            if let Some(stored) = users.get_mut(id) {
                patched.revert(Arc::make_mut(&mut stored.resource));
            }
            return Err(taken(name));
        }
        // `owner_of` needed the tenant: the user is borrowed again.
        let Some(stored) = users.get_mut(id) else {
            return Err(user_not_found(id));
        };
        let now_ms = clock.tick();
        // The server owns `id` and `meta`, whatever the request did to them (`id` is as
        // the store wrote it unless an operation touched it).
        stored.version += 1;
        let resource = Arc::make_mut(&mut stored.resource);
        if patched.original("id").is_some()
            && let Some(object) = resource.as_object_mut()
        {
            object.insert("id".into(), json!(id));
        }
        renew_meta_in_place(resource, &rfc3339_millis(now_ms), stored.version);
        let response = self.user_response(200, stored, &projection);
        if let Some((old, name)) = renamed {
            users.renamed(id, old.as_deref(), &name);
        }
        Ok(response)
    }

    /// How PUT changes a stored user (PATCH changes it where it is stored): find it,
    /// check `If-Match`, let
    /// `change` make the new resource from the old one (`None`: nothing changed), check
    /// its userName is still its own, set the server's `id` and `meta`, store it and
    /// answer 200 with the projection (P-15/P-16/Q-05 under every profile).
    ///
    /// `change` runs with the store unlocked, on a shared handle to the user as it was;
    /// the result is stored only if nobody wrote the user meanwhile, or else made again
    /// from what they wrote. Concurrent writers therefore wait for each other only while
    /// a result is stored, not while it is made.
    fn update(
        &self,
        ctx: &Ctx,
        id: &str,
        change: impl Fn(&StoredUser) -> Result<Option<Value>, SimResponse>,
    ) -> Answer {
        let projection = projection(ctx.request)?;
        loop {
            let old = {
                let store = self.lock();
                let old = store
                    .tenant(ctx.tenant)
                    .and_then(|users| users.get(id))
                    .ok_or_else(|| user_not_found(id))?;
                self.check_if_match(ctx.request, old)?;
                old.clone()
            };
            let Some(mut resource) = change(&old)? else {
                // A-08/E-05: a no-op keeps version and lastModified.
                return Ok(self.user_response(200, &old, &projection));
            };
            let name = user_name(&resource)
                .ok_or_else(|| {
                    scim_error(
                        400,
                        Some(ScimType::Mutability),
                        "userName is required and cannot be removed",
                    )
                })?
                .to_string();
            let mut store = self.lock();
            let now_ms = store.tick();
            let users = store
                .tenant_mut(ctx.tenant)
                .ok_or_else(|| user_not_found(id))?;
            let unchanged = users
                .get(id)
                .is_some_and(|current| Arc::ptr_eq(&current.resource, &old.resource));
            if !unchanged {
                continue;
            }
            if users.owner_of(&name).is_some_and(|owner| owner != id) {
                return Err(taken(&name));
            }
            // The server owns `id` and `meta`, whatever the request did to them.
            let version = old.version + 1;
            if let Some(object) = resource.as_object_mut() {
                object.insert("id".into(), json!(id));
                renew_meta(object, &old.resource, &rfc3339_millis(now_ms), version);
            }
            let stored = StoredUser {
                resource: Arc::new(resource),
                version,
            };
            let response = self.user_response(200, &stored, &projection);
            users.replace(id, stored);
            return Ok(response);
        }
    }

    fn delete(&self, ctx: &Ctx, id: &str) -> Answer {
        let mut store = self.lock();
        let users = store
            .tenant_mut(ctx.tenant)
            .ok_or_else(|| user_not_found(id))?;
        let old = users.get(id).ok_or_else(|| user_not_found(id))?;
        self.check_if_match(ctx.request, old)?;
        users.remove(id);
        Ok(empty_response(204))
    }

    fn list(&self, ctx: &Ctx, query: ListQuery) -> Answer {
        // Validate once, so an invalid filter is a 400 whatever the data (P-26, P-28).
        if let Some(filter) = &query.filter {
            filter
                .matches_resource(&Value::Object(Default::default()), &self.schema)
                .map_err(|error| patch_error(&error))?;
        }
        let store = self.lock();
        let mut total = 0usize;
        let mut page = Vec::new();
        for user in store
            .tenant(ctx.tenant)
            .into_iter()
            .flat_map(|users| users.iter())
        {
            if let Some(filter) = &query.filter
                && !filter
                    .matches_resource(&user.resource, &self.schema)
                    .map_err(|error| patch_error(&error))?
            {
                continue;
            }
            total += 1;
            if total >= query.start_index && page.len() < query.count {
                page.push(project(&user.resource, &self.schema, &query.projection));
            }
        }
        let mut body = self.list_body(page, query.start_index);
        body["totalResults"] = json!(total);
        Ok(json_response(200, body))
    }

    /// A ListResponse of `resources`; `totalResults` is their number.
    fn list_body(&self, resources: Vec<Value>, start_index: usize) -> Value {
        // VD-07: VMware documents the member as `resources`.
        let member = if self.profile == Profile::Vmware {
            "resources"
        } else {
            "Resources"
        };
        let mut body = Map::new();
        body.insert("schemas".into(), json!([LIST_URN]));
        body.insert("totalResults".into(), json!(resources.len()));
        body.insert("itemsPerPage".into(), json!(resources.len()));
        body.insert("startIndex".into(), json!(start_index));
        body.insert(member.into(), Value::Array(resources));
        Value::Object(body)
    }

    fn user_response(
        &self,
        status: u16,
        stored: &StoredUser,
        projection: &Projection,
    ) -> SimResponse {
        let mut response = empty_response(status);
        // The store's own copy when the view is all of it: written out once the store
        // is unlocked, without a copy.
        response.body = Some(
            match project_view(&stored.resource, &self.schema, projection) {
                Cow::Borrowed(_) => SimBody::Shared(Arc::clone(&stored.resource)),
                Cow::Owned(view) => SimBody::Json(view),
            },
        );
        response.headers.push(("etag".into(), etag(stored.version)));
        response
    }

    fn check_if_match(&self, request: &SimRequest, stored: &StoredUser) -> Result<(), SimResponse> {
        let Some(header) = request.header("if-match") else {
            return Ok(());
        };
        let current = etag(stored.version);
        if etag_list_matches(header, &current) {
            return Ok(());
        }
        // §4.7: VMware documents 409 for a version mismatch; RFC 7644 §3.14 says 412.
        let status = if self.profile == Profile::Vmware {
            409
        } else {
            412
        };
        Err(scim_error(
            status,
            None,
            &format!("If-Match {header} does not match the current version {current}"),
        ))
    }

    /// Validates a POST/PUT body against the schema; returns its attributes (the body's
    /// own values, moved).
    fn validate(&self, body: Value) -> Result<Value, SimResponse> {
        if !body.is_object() {
            return Err(scim_error(
                400,
                Some(ScimType::InvalidSyntax),
                "the body must be a JSON object",
            ));
        }
        self.schema
            .validate_resource(body)
            .map_err(|error| patch_error(&error))
    }

    /// PUT may set an unset immutable attribute but not change a set one (RFC 7643 §2.2);
    /// one left out keeps its value.
    fn keep_immutable(&self, old: &Value, attributes: &mut Value) -> Result<(), SimResponse> {
        let Some(new) = attributes.as_object_mut() else {
            return Ok(());
        };
        for def in self
            .schema
            .core
            .iter()
            .filter(|def| def.mutability == Mutability::Immutable)
        {
            let Some(old_value) = old
                .as_object()
                .and_then(|o| get_ci(o, &def.name))
                .filter(|value| !value.is_null())
            else {
                continue;
            };
            let new_key = new
                .keys()
                .find(|key| key.eq_ignore_ascii_case(&def.name))
                .cloned();
            match new_key.and_then(|key| new.get(&key)) {
                Some(new_value) if new_value != old_value => {
                    return Err(scim_error(
                        400,
                        Some(ScimType::Mutability),
                        &format!("{} is immutable and already set", def.name),
                    ));
                }
                Some(_) => {}
                None => {
                    new.insert(def.name.clone(), old_value.clone());
                }
            }
        }
        Ok(())
    }
}

impl Handler for ScimSim {
    fn handle(&self, request: &SimRequest) -> SimResponse {
        let access = self.access(request);
        if access == Access::Denied {
            let mut response = scim_error(401, None, "missing or invalid bearer token");
            response
                .headers
                .push(("www-authenticate".into(), WWW_AUTHENTICATE.into()));
            return response;
        }
        if request.body.len() > self.body_limit {
            return scim_error(
                413,
                None,
                &format!(
                    "request body of {} bytes exceeds the limit of {} bytes",
                    request.body.len(),
                    self.body_limit
                ),
            );
        }
        // Parsed once: the access check and the route read the same endpoint.
        let endpoint = Endpoint::parse(&request.path);
        let writes = endpoint.is_some_and(|(_, endpoint)| {
            endpoint
                .allowed_methods()
                .contains(&request.method.as_str())
                && endpoint.is_write(&request.method)
        });
        if writes && access == Access::ReadOnly {
            return scim_error(403, None, "the token may read but not write");
        }
        self.route(request, endpoint).unwrap_or_else(|error| error)
    }

    fn error(&self, status: u16, detail: &str) -> SimResponse {
        scim_error(status, None, detail)
    }

    fn state(&self) -> Value {
        let store = self.lock();
        let tenants: Map<String, Value> = store
            .tenants()
            .map(|(name, users)| {
                // As a GET shows them: `returned: never` attributes (`password`) stay out.
                let users: Vec<Value> = users
                    .iter()
                    .map(|u| project(&u.resource, &self.schema, &Projection::Default))
                    .collect();
                (name.to_string(), Value::Array(users))
            })
            .collect();
        json!({"api": "scim", "profile": self.profile.as_str(), "tenants": tenants})
    }
}

impl ListQuery {
    /// From `GET /Users?filter=…&startIndex=…&count=…&attributes=…`.
    fn from_request(request: &SimRequest) -> Result<ListQuery, SimResponse> {
        let number = |name: &str| -> Result<Option<i64>, SimResponse> {
            request
                .query_param(name)
                .map(|raw| {
                    raw.trim().parse::<i64>().map_err(|_| {
                        scim_error(
                            400,
                            Some(ScimType::InvalidValue),
                            &format!("{name} must be an integer, got `{raw}`"),
                        )
                    })
                })
                .transpose()
        };
        ListQuery::new(
            request.query_param("filter"),
            number("startIndex")?,
            number("count")?,
            projection(request)?,
        )
    }

    /// From a `POST /Users/.search` body (RFC 7644 §3.4.3).
    fn from_search(body: &Value) -> Result<ListQuery, SimResponse> {
        let invalid = |name: &str, what: &str| {
            scim_error(
                400,
                Some(ScimType::InvalidValue),
                &format!("{name} must be {what}"),
            )
        };
        let filter = match body.get("filter") {
            None | Some(Value::Null) => None,
            Some(Value::String(filter)) => Some(filter.as_str()),
            Some(_) => return Err(invalid("filter", "a string")),
        };
        let number = |name: &str| match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| invalid(name, "an integer")),
        };
        let names = |name: &str| match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(list)) => Ok(Some(list.clone())),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .ok_or_else(|| invalid(name, "a list of attribute names"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|items| Some(items.join(","))),
            Some(_) => Err(invalid(name, "a list of attribute names")),
        };
        let projection = Projection::from_query(
            names("attributes")?.as_deref(),
            names("excludedAttributes")?.as_deref(),
        )
        .map_err(|error| patch_error(&error))?;
        ListQuery::new(filter, number("startIndex")?, number("count")?, projection)
    }

    fn new(
        filter: Option<&str>,
        start_index: Option<i64>,
        count: Option<i64>,
        projection: Projection,
    ) -> Result<ListQuery, SimResponse> {
        let filter = filter
            .map(|filter| parse_filter(filter).map_err(|error| patch_error(&error)))
            .transpose()?;
        // RFC 7644 §3.4.2.4: startIndex below 1 means 1, a negative count means 0.
        let start_index = start_index.unwrap_or(1).max(1) as usize;
        let count = count.map_or(MAX_RESULTS, |count| {
            (count.max(0) as usize).min(MAX_RESULTS)
        });
        Ok(ListQuery {
            filter,
            start_index,
            count,
            projection,
        })
    }
}

/// `created`, `lastModified` and `location` of a stored resource's `meta`.
struct MetaFields<'r> {
    created: &'r str,
    last_modified: &'r str,
    location: &'r str,
}

impl<'r> MetaFields<'r> {
    fn of(resource: &'r Value) -> MetaFields<'r> {
        let meta = resource.get("meta").and_then(Value::as_object);
        let field = |name: &str| {
            meta.and_then(|m| m.get(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        MetaFields {
            created: field("created"),
            last_modified: field("lastModified"),
            location: field("location"),
        }
    }
}

/// The `meta` of a stored User.
fn user_meta(created: &str, last_modified: &str, location: &str, version: u64) -> Value {
    let mut meta = Map::with_capacity(5);
    for (key, value) in [
        ("resourceType", "User".to_string()),
        ("created", created.to_string()),
        ("lastModified", last_modified.to_string()),
        ("location", location.to_string()),
        ("version", etag(version)),
    ] {
        meta.insert(key.to_string(), Value::String(value));
    }
    Value::Object(meta)
}

/// The members of a `meta` as the store writes it ([`user_meta`]), in its order.
const META_MEMBERS: [&str; 5] = [
    "resourceType",
    "created",
    "lastModified",
    "location",
    "version",
];

/// Whether `meta` is as the store writes it: exactly the [`META_MEMBERS`] in order, all
/// strings, for a User.
fn is_store_meta(meta: &Map<String, Value>) -> bool {
    // With the members in that order, the first value is the resourceType.
    meta.keys().map(String::as_str).eq(META_MEMBERS)
        && meta.values().next().and_then(Value::as_str) == Some("User")
        && meta.values().all(Value::is_string)
}

/// The `meta` of a stored user's next version: [`user_meta`] with the old `created`
/// and `location`. The old `meta` is copied and two of its values changed when it is as
/// the store writes it (it always is), which skips building and hashing every member
/// again.
fn renewed_meta(old: &Value, last_modified: &str, version: u64) -> Value {
    if let Some(meta) = old.get("meta").and_then(Value::as_object)
        && is_store_meta(meta)
    {
        let mut meta = meta.clone();
        meta["lastModified"] = Value::String(last_modified.to_string());
        meta["version"] = Value::String(etag(version));
        return Value::Object(meta);
    }
    let old_meta = MetaFields::of(old);
    user_meta(old_meta.created, last_modified, old_meta.location, version)
}

/// Sets `object`'s `meta` to [`renewed_meta`] of `old`. When `object` holds the old
/// `meta` unchanged (a PATCH cannot change it: `meta` is readOnly), its two values are
/// changed where they are, rather than the old `meta` copied and the held one dropped.
fn renew_meta(object: &mut Map<String, Value>, old: &Value, last_modified: &str, version: u64) {
    let old_meta = old.get("meta").and_then(Value::as_object);
    if let (Some(Value::Object(meta)), Some(old_meta)) = (object.get_mut("meta"), old_meta)
        && is_store_meta(old_meta)
        && meta.iter().eq(old_meta.iter())
    {
        stamp_meta(meta, last_modified, version);
        return;
    }
    object.insert("meta".into(), renewed_meta(old, last_modified, version));
}

/// [`renew_meta`] of a resource changed where it is stored: its `meta` is still the old
/// one (`meta` is readOnly), so that is what the new one is made from.
fn renew_meta_in_place(resource: &mut Value, last_modified: &str, version: u64) {
    if let Some(Value::Object(meta)) = resource.get_mut("meta")
        && is_store_meta(meta)
    {
        stamp_meta(meta, last_modified, version);
        return;
    }
    // Not as the store writes it (it always is): made afresh from a copy.
    let old = resource.clone();
    if let Some(object) = resource.as_object_mut() {
        object.insert("meta".into(), renewed_meta(&old, last_modified, version));
    }
}

/// Sets the two values of a `meta` as the store writes it that a new version changes.
fn stamp_meta(meta: &mut Map<String, Value>, last_modified: &str, version: u64) {
    // As `is_store_meta` orders them: lastModified third, version fifth.
    let mut values = meta.values_mut();
    if let Some(value) = values.nth(2) {
        *value = Value::String(last_modified.to_string());
    }
    if let Some(value) = values.nth(1) {
        *value = Value::String(etag(version));
    }
}

/// A stored resource from validated attributes: `schemas` and `id` first, `meta` last;
/// `schemas` names the core URN and, when its attributes are present, the enterprise one.
fn assemble(id: &str, attributes: Value, meta: Value) -> Value {
    let attributes = match attributes {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut schemas: Vec<String> = get_ci(&attributes, "schemas")
        .and_then(Value::as_array)
        .map(|urns| {
            urns.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let lists = |urn: &str, schemas: &[String]| {
        schemas
            .iter()
            .any(|listed| listed.eq_ignore_ascii_case(urn))
    };
    if !lists(USER_URN, &schemas) {
        schemas.insert(0, USER_URN.to_string());
    }
    if attributes
        .keys()
        .any(|key| key.eq_ignore_ascii_case(ENTERPRISE_URN))
        && !lists(ENTERPRISE_URN, &schemas)
    {
        schemas.push(ENTERPRISE_URN.to_string());
    }
    // The attributes' own map, in their order: `schemas` and `id` go in front and `meta`
    // at the end, without hashing every member into a new map.
    let mut resource = attributes;
    resource.retain(|key, _| {
        !["schemas", "id", "meta"]
            .iter()
            .any(|reserved| key.eq_ignore_ascii_case(reserved))
    });
    resource.shift_insert(0, "schemas".into(), json!(schemas));
    resource.shift_insert(1, "id".into(), json!(id));
    resource.insert("meta".into(), meta);
    Value::Object(resource)
}

/// `text` split around its first `byte` (ASCII), as `str::split_once` splits it, by a
/// plain scan: what every request splits (path, bearer token) is a few bytes long, and
/// the char searcher's setup cost more than the search.
fn split_once_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let index = text.bytes().position(|b| b == byte)?;
    Some((&text[..index], &text[index + 1..]))
}

/// The request body as JSON; another media type or malformed JSON is 400 `invalidSyntax`.
fn json_body(request: &SimRequest) -> Result<Value, SimResponse> {
    check_media_type(request)?;
    parse_body(request)
}

/// A PATCH request's operations, answered as [`json_body`] and [`parse_patch_request`]
/// answer them: the media type is checked first, then the body as nearly every client
/// sends it is read by [`parse_patch_fast`], at a fraction of the cost, and any other
/// (not UTF-8, not JSON, an unusual shape) goes to the `Value` parse and reader.
fn patch_operations(
    request: &SimRequest,
    leniency: &Leniency,
) -> Result<Vec<Operation>, SimResponse> {
    check_media_type(request)?;
    let operations = match parse_patch_fast(&request.body, leniency) {
        Some(operations) => operations,
        None => parse_patch_request(&parse_body(request)?, leniency),
    };
    operations.map_err(|error| patch_error(&error))
}

/// A body with a Content-Type other than JSON's is 400 `invalidSyntax`; none is fine.
fn check_media_type(request: &SimRequest) -> Result<(), SimResponse> {
    if let Some(content_type) = request.header("content-type")
        && !is_scim_media_type(content_type)
    {
        return Err(scim_error(
            400,
            Some(ScimType::InvalidSyntax),
            &format!(
                "unsupported Content-Type `{content_type}`: send application/scim+json or application/json"
            ),
        ));
    }
    Ok(())
}

/// The body parsed as JSON; malformed JSON is 400 `invalidSyntax`.
fn parse_body(request: &SimRequest) -> Result<Value, SimResponse> {
    crate::util::parse_json(&request.body).map_err(|error| {
        scim_error(
            400,
            Some(ScimType::InvalidSyntax),
            &format!("malformed JSON body: {error}"),
        )
    })
}

/// The projection asked for by `attributes` / `excludedAttributes`.
fn projection(request: &SimRequest) -> Result<Projection, SimResponse> {
    Projection::from_query(
        request.query_param("attributes"),
        request.query_param("excludedAttributes"),
    )
    .map_err(|error| patch_error(&error))
}

fn required_user_name(attributes: &Value) -> Result<&str, SimResponse> {
    user_name(attributes)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| scim_error(400, Some(ScimType::InvalidValue), "userName is required"))
}

fn taken(user_name: &str) -> SimResponse {
    scim_error(
        409,
        Some(ScimType::Uniqueness),
        &format!("userName `{user_name}` is already in use"),
    )
}

fn user_not_found(id: &str) -> SimResponse {
    scim_error(404, None, &format!("user {id} not found"))
}

#[cfg(test)]
mod tests;
