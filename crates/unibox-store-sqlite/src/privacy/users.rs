//! How the platform user id of a privacy request (Meta's app-scoped user id) is stored: in a
//! plain inbox as it is; in a sealed inbox sealed, and where a link is looked up by it, replaced
//! by its blind (the [`PRIVACY_USER`](index::PRIVACY_USER) index, over the platform and the id)
//! with the sealed id beside it (schema version 18).
//!
//! Rows an earlier build wrote to a sealed file keep their plaintext id and read as they are: a
//! value is opened only where its sealed column is set, and a link is found by its blind or,
//! when it has no sealed id, by the id itself.

use rusqlite::{Connection, params};
use unibox_core::{ContactId, Result, TenantId, privacy};

use crate::error::SqlResultExt;
use crate::sealing::Sealer;
use crate::sealing::cells::{field, index};

/// What `privacy_user_links.platform_user_id` holds for a user: the id (plain) or the blind of
/// the platform and the id (sealed).
pub(crate) fn user_lookup(sealer: &Sealer, platform: &str, user: &str) -> String {
    if sealer.is_sealed() {
        sealer.lookup(index::PRIVACY_USER, &format!("{platform}\u{0}{user}"))
    } else {
        user.to_owned()
    }
}

/// The row id a link's sealed user id is bound to: the contact, the platform and the lookup
/// key, which together (with the tenant) are the link's unique key.
pub(crate) fn link_row(contact: ContactId, platform: &str, lookup: &str) -> Vec<u8> {
    let mut row = Vec::with_capacity(16 + platform.len() + 1 + lookup.len());
    row.extend_from_slice(contact.as_bytes());
    row.extend_from_slice(platform.as_bytes());
    row.push(0);
    row.extend_from_slice(lookup.as_bytes());
    row
}

/// Links `user` on `platform` to `contact` (a link that exists is kept). In a sealed inbox, a
/// plaintext link an earlier build stored for the same user and contact becomes sealed.
pub(crate) fn link(
    conn: &Connection,
    sealer: &Sealer,
    tenant: &TenantId,
    platform: &str,
    user: &str,
    contact: ContactId,
    operation: &'static str,
) -> Result<()> {
    let lookup = user_lookup(sealer, platform, user);
    let (_, sealed) = sealer.store(field::PRIVACY_LINK_USER, &link_row(contact, platform, &lookup), Some(user))?;
    if sealer.is_sealed() {
        // In place, so the link keeps its age (contacts are listed oldest link first); deleted
        // instead when the sealed link exists already.
        conn.prepare_cached(
            "UPDATE OR IGNORE privacy_user_links SET platform_user_id = ?5, platform_user_id_sealed = ?6 \
             WHERE tenant = ?1 AND platform = ?2 AND platform_user_id = ?3 AND contact = ?4 \
             AND platform_user_id_sealed IS NULL",
        )
        .during(operation)?
        .execute(params![tenant.as_str(), platform, user, contact.as_bytes(), lookup, sealed])
        .during(operation)?;
        conn.prepare_cached(
            "DELETE FROM privacy_user_links WHERE tenant = ?1 AND platform = ?2 AND platform_user_id = ?3 \
             AND contact = ?4 AND platform_user_id_sealed IS NULL",
        )
        .during(operation)?
        .execute(params![tenant.as_str(), platform, user, contact.as_bytes()])
        .during(operation)?;
    }
    conn.prepare_cached(
        "INSERT OR IGNORE INTO privacy_user_links (tenant, platform, platform_user_id, contact, platform_user_id_sealed) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .during(operation)?
    .execute(params![tenant.as_str(), platform, lookup, contact.as_bytes(), sealed])
    .during(operation)?;
    Ok(())
}

/// The contacts linked to `user` on `platform`, oldest link first, each once.
pub(crate) fn linked(
    conn: &Connection,
    sealer: &Sealer,
    tenant: &TenantId,
    platform: &str,
    user: &str,
    operation: &'static str,
) -> Result<Vec<Vec<u8>>> {
    let lookup = user_lookup(sealer, platform, user);
    let mut found: Vec<Vec<u8>> = conn
        .prepare_cached(
            "SELECT contact FROM privacy_user_links WHERE tenant = ?1 AND platform = ?2 \
             AND (platform_user_id = ?3 OR (platform_user_id = ?4 AND platform_user_id_sealed IS NULL)) ORDER BY id",
        )
        .during(operation)?
        .query_map(params![tenant.as_str(), platform, lookup, user], |row| row.get(0))
        .during(operation)?
        .collect::<rusqlite::Result<_>>()
        .during(operation)?;
    let mut seen = std::collections::HashSet::with_capacity(found.len());
    found.retain(|contact| seen.insert(contact.clone()));
    Ok(found)
}

/// What a request's `(platform_user_id, platform_user_id_sealed)` hold for `user`. A request
/// naming no user (an operator's, a tenant deletion) stores its empty id as it is: there is
/// nothing to seal, and its tenant's keys are not needed (they may be destroyed already).
pub(crate) fn store_request_user(sealer: &Sealer, code: &str, user: &str) -> Result<(String, Option<Vec<u8>>)> {
    if user.is_empty() {
        return Ok((String::new(), None));
    }
    sealer.store_required(field::PRIVACY_REQUEST_USER, code.as_bytes(), user)
}

/// A request's platform user id, opened where it is sealed; one that no longer opens reads as
/// empty ([`privacy::request_user_or_empty`]).
pub(crate) fn open_request_user(
    sealer: &Sealer,
    tenant: &TenantId,
    code: &str,
    plain: String,
    sealed: Option<Vec<u8>>,
) -> Result<String> {
    let opened = sealer.open_required(field::PRIVACY_REQUEST_USER, code.as_bytes(), plain, sealed);
    privacy::request_user_or_empty(tenant, code, opened)
}
