// An independent SCIM 2.0 server for CI: SCIMMY (schema, filter and PatchOp handling) behind
// scimmy-routers (the HTTP layer) on Express 4. Only the user store below is ours, and it is
// deliberately plain: the verdicts should describe SCIMMY, not this file.
//
// Usage: node server.js <port> <bearer token>   (listens on 127.0.0.1 only)
import {randomUUID} from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const [port, token] = process.argv.slice(2);
if (!port || !token) {
    console.error("usage: node server.js <port> <bearer token>");
    process.exit(2);
}

// id -> stored user (plain JSON, as SCIMMY handed it to ingress, plus id and meta).
const users = new Map();

// A userName is unique on the server and compared case-insensitively (RFC 7643 §4.1.1,
// "caseExact": false); SCIMMY leaves uniqueness to the store.
function assertUniqueUserName(userName, ownId) {
    const wanted = String(userName ?? "").toLowerCase();
    for (const [id, user] of users) {
        if (id !== ownId && String(user.userName ?? "").toLowerCase() === wanted) {
            throw new SCIMMY.Types.Error(409, "uniqueness", `userName ${userName} is already in use`);
        }
    }
}

// JSON with object members in key order, so two equal resources compare equal as text.
function canonical(value) {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

function notFound(id) {
    return new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);
}

// The enterprise extension ships with SCIMMY; declaring it lets the extension cases run.
SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false))
    .ingress((resource, instance) => {
        // Plain JSON: the schema instance carries getters and readOnly attributes already stripped.
        const data = JSON.parse(JSON.stringify(instance));
        const now = new Date().toISOString();
        if (resource.id) {
            const current = users.get(resource.id);
            if (!current) throw notFound(resource.id);
            assertUniqueUserName(data.userName, resource.id);
            // SCIMMY writes back even a PATCH that changes nothing (it answers 204 after);
            // the store keeps lastModified then (RFC 7644 §3.5.2.1: a no-op SHALL NOT change it).
            const {id: _id, meta: _meta, ...stored} = current;
            const {id: _newId, meta: _newMeta, ...incoming} = data;
            const changed = canonical(stored) !== canonical(incoming);
            const meta = changed ? {...current.meta, lastModified: now} : current.meta;
            const updated = {...data, id: resource.id, meta};
            users.set(resource.id, updated);
            return updated;
        }
        assertUniqueUserName(data.userName, undefined);
        const id = randomUUID();
        const created = {...data, id, meta: {resourceType: "User", created: now, lastModified: now}};
        users.set(id, created);
        return created;
    })
    .egress((resource) => {
        if (resource.id) {
            const user = users.get(resource.id);
            if (!user) throw notFound(resource.id);
            return structuredClone(user);
        }
        const all = [...users.values()].map((u) => structuredClone(u));
        return resource.filter ? resource.filter.match(all) : all;
    })
    .degress((resource) => {
        if (!users.delete(resource.id)) throw notFound(resource.id);
    });

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) {
            throw new Error("Authorization failure: missing or wrong bearer token");
        }
        return "scimcert-ci";
    },
}));

app.listen(Number(port), "127.0.0.1", () => {
    console.log(`scimmy server listening on http://127.0.0.1:${port}/scim/v2`);
});
