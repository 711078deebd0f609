//! The SCIM simulation's in-memory store: users per tenant, bounded so memory stays
//! constant however many runs a simulation serves.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use std::sync::Arc;

use serde_json::Value;

use crate::patch::value::get_ci;

/// Users kept per tenant; creating one more evicts the oldest.
pub const MAX_USERS_PER_TENANT: usize = 10_000;
/// Tenants kept; writing to one more evicts the tenant created first.
pub const MAX_TENANTS: usize = 256;

/// One stored user: the full resource (with `id`, `meta`, `password`) and its version.
#[derive(Clone, Debug)]
pub struct StoredUser {
    /// The resource as stored, before projection; shared with answers that show all of
    /// it, so they are written out after the store is unlocked.
    pub resource: Arc<Value>,
    /// Version counter behind `meta.version` and `ETag`.
    pub version: u64,
}

/// The `userName` of a resource, whatever the case of the member name.
pub fn user_name(resource: &Value) -> Option<&str> {
    get_ci(resource.as_object()?, "userName")?.as_str()
}

/// The uniqueness key of a `userName` (caseExact false, RFC 7643 §4.1.1).
fn name_key(user_name: &str) -> String {
    user_name.to_lowercase()
}

/// One tenant's users, with a case-insensitive `userName` index and creation order.
#[derive(Debug, Default)]
pub struct Tenant {
    users: HashMap<String, StoredUser>,
    by_name: HashMap<String, String>,
    // May hold ids deleted since; compacted when it grows past twice the live count.
    order: VecDeque<String>,
}

impl Tenant {
    /// The user with this id.
    pub fn get(&self, id: &str) -> Option<&StoredUser> {
        self.users.get(id)
    }

    /// The user with this id, to change where it is stored (then [`Tenant::renamed`]).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut StoredUser> {
        self.users.get_mut(id)
    }

    /// Keeps the `userName` index current after the user `id` changed where it is
    /// stored, from `old` (its userName before, if it had one) to `new`.
    pub fn renamed(&mut self, id: &str, old: Option<&str>, new: &str) {
        let new_key = name_key(new);
        let old_key = old.map(name_key);
        if old_key.as_ref() == Some(&new_key) {
            return;
        }
        if let Some(old_key) = old_key {
            self.drop_name(old_key, id);
        }
        self.by_name.insert(new_key, id.to_string());
    }

    /// The id of the user holding this `userName` (compared case-insensitively).
    pub fn owner_of(&self, user_name: &str) -> Option<&str> {
        self.by_name.get(&name_key(user_name)).map(String::as_str)
    }

    /// Adds a new user, evicting the oldest when the tenant is full.
    pub fn insert(&mut self, id: String, user: StoredUser) {
        while self.users.len() >= MAX_USERS_PER_TENANT {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.remove(&oldest);
        }
        if let Some(name) = user_name(&user.resource) {
            self.by_name.insert(name_key(name), id.clone());
        }
        self.order.push_back(id.clone());
        self.users.insert(id, user);
    }

    /// Replaces an existing user, keeping the `userName` index current.
    pub fn replace(&mut self, id: &str, user: StoredUser) {
        // Most writes keep the userName: its index entry stays as it is.
        if let Some(slot) = self.users.get_mut(id)
            && user_name(&slot.resource) == user_name(&user.resource)
        {
            *slot = user;
            return;
        }
        self.unindex(id);
        if let Some(name) = user_name(&user.resource) {
            self.by_name.insert(name_key(name), id.to_string());
        }
        self.users.insert(id.to_string(), user);
    }

    /// Removes a user.
    pub fn remove(&mut self, id: &str) -> Option<StoredUser> {
        self.unindex(id);
        let removed = self.users.remove(id);
        if self.order.len() > 2 * self.users.len() + 16 {
            let users = &self.users;
            self.order.retain(|id| users.contains_key(id));
        }
        removed
    }

    /// Users in creation order.
    pub fn iter(&self) -> impl Iterator<Item = &StoredUser> {
        self.order.iter().filter_map(|id| self.users.get(id))
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    fn unindex(&mut self, id: &str) {
        if let Some(key) = self
            .users
            .get(id)
            .and_then(|user| user_name(&user.resource))
            .map(name_key)
        {
            self.drop_name(key, id);
        }
    }

    /// Removes the index entry `key` while it names the user `id`, in one lookup.
    fn drop_name(&mut self, key: String, id: &str) {
        if let Entry::Occupied(entry) = self.by_name.entry(key)
            && entry.get() == id
        {
            entry.remove();
        }
    }
}

/// All tenants, plus the clock that stamps `meta.created`/`lastModified`.
#[derive(Debug, Default)]
pub struct Store {
    tenants: HashMap<String, Tenant>,
    tenant_order: VecDeque<String>,
    clock: Clock,
}

/// The clock that stamps changes: milliseconds since the epoch, strictly increasing.
#[derive(Debug, Default)]
pub struct Clock {
    last_ms: u64,
}

impl Clock {
    /// Milliseconds since the epoch, strictly increasing across calls, so a change always
    /// moves `lastModified` forward even within one millisecond.
    pub fn tick(&mut self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as u64)
            .unwrap_or(0);
        self.last_ms = now.max(self.last_ms + 1);
        self.last_ms
    }
}

impl Store {
    /// A tenant, if it has ever been written to.
    pub fn tenant(&self, name: &str) -> Option<&Tenant> {
        self.tenants.get(name)
    }

    /// Every tenant with its name, oldest first.
    pub fn tenants(&self) -> impl Iterator<Item = (&str, &Tenant)> {
        self.tenant_order
            .iter()
            .filter_map(|name| self.tenants.get(name).map(|t| (name.as_str(), t)))
    }

    /// A tenant for writing, if it exists.
    pub fn tenant_mut(&mut self, name: &str) -> Option<&mut Tenant> {
        self.tenants.get_mut(name)
    }

    /// A tenant for writing, created (evicting the oldest tenant when full) if new.
    pub fn tenant_or_create(&mut self, name: &str) -> &mut Tenant {
        if !self.tenants.contains_key(name) {
            while self.tenants.len() >= MAX_TENANTS {
                let Some(oldest) = self.tenant_order.pop_front() else {
                    break;
                };
                self.tenants.remove(&oldest);
            }
            self.tenant_order.push_back(name.to_string());
        }
        self.tenants.entry(name.to_string()).or_default()
    }

    /// The store's [`Clock::tick`].
    pub fn tick(&mut self) -> u64 {
        self.clock.tick()
    }

    /// A tenant to change and the clock to stamp the change with, borrowed together.
    pub fn tenant_and_clock(&mut self, name: &str) -> Option<(&mut Tenant, &mut Clock)> {
        let clock = &mut self.clock;
        self.tenants.get_mut(name).map(|tenant| (tenant, clock))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user(name: &str) -> StoredUser {
        StoredUser {
            resource: Arc::new(json!({"userName": name})),
            version: 1,
        }
    }

    #[test]
    fn user_name_index_is_case_insensitive_and_follows_replace_and_remove() {
        let mut tenant = Tenant::default();
        tenant.insert("1".into(), user("Alice"));
        assert_eq!(tenant.owner_of("ALICE"), Some("1"));
        tenant.replace("1", user("bob"));
        assert_eq!(tenant.owner_of("alice"), None);
        assert_eq!(tenant.owner_of("Bob"), Some("1"));
        assert!(tenant.remove("1").is_some());
        assert_eq!(tenant.owner_of("bob"), None);
        assert_eq!(tenant.len(), 0);
    }

    #[test]
    fn full_tenant_evicts_oldest_user() {
        let mut tenant = Tenant::default();
        for i in 0..=MAX_USERS_PER_TENANT {
            tenant.insert(i.to_string(), user(&format!("u{i}")));
        }
        assert_eq!(tenant.len(), MAX_USERS_PER_TENANT);
        assert!(tenant.get("0").is_none());
        assert!(tenant.get("1").is_some());
        assert_eq!(tenant.owner_of("u0"), None);
    }

    #[test]
    fn deleted_ids_do_not_accumulate_in_order() {
        let mut tenant = Tenant::default();
        for i in 0..1000 {
            tenant.insert(i.to_string(), user(&format!("u{i}")));
            tenant.remove(&i.to_string());
        }
        assert!(tenant.order.len() <= 16 + 1);
        assert_eq!(tenant.iter().count(), 0);
    }

    #[test]
    fn clock_is_strictly_increasing() {
        let mut store = Store::default();
        let a = store.tick();
        let b = store.tick();
        assert!(b > a);
    }

    #[test]
    fn tenants_are_bounded() {
        let mut store = Store::default();
        for i in 0..=MAX_TENANTS {
            store.tenant_or_create(&format!("t{i}"));
        }
        assert!(store.tenant("t0").is_none());
        assert!(store.tenant(&format!("t{MAX_TENANTS}")).is_some());
    }
}
