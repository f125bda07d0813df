//! How the platform user id of a privacy request (Meta's app-scoped user id) is stored: sealed
//! under the tenant's data key, and where a link is looked up by it, replaced by its blind (the
//! [`PRIVACY_USER`](index::PRIVACY_USER) index, over the platform and the id) with the sealed id
//! beside it (migration 17, as the SQLite store's schema 18).
//!
//! Rows written before migration 17 keep their plaintext id and read as they are: a value is
//! opened only where its sealed column is set, and a link is found by its blind or, when it has
//! no sealed id, by the id itself. Linking the same user and contact again seals such a row.

use unibox_core::{ContactId, Result, TenantId, privacy};

use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::sealing::{Seal, field, index};

/// What `privacy_user_links.platform_user_id` holds for a user: the blind of the platform and
/// the id.
fn user_lookup(seal: &Seal, platform: &str, user: &str) -> String {
    seal.lookup(index::PRIVACY_USER, &format!("{platform}\u{0}{user}"))
}

/// The row id a link's sealed user id is bound to: the contact, the platform and the lookup
/// key, which together (with the tenant) are the link's primary key.
fn link_row(contact: ContactId, platform: &str, lookup: &str) -> Vec<u8> {
    let mut row = Vec::with_capacity(16 + platform.len() + 1 + lookup.len());
    row.extend_from_slice(contact.as_bytes());
    row.extend_from_slice(platform.as_bytes());
    row.push(0);
    row.extend_from_slice(lookup.as_bytes());
    row
}

/// Links `user` on `platform` to `contact` (a link that exists is kept). A plaintext link an
/// earlier build stored for the same user and contact becomes sealed, in place (it keeps its
/// age: contacts are listed oldest link first), or goes when the sealed link exists already.
pub(crate) async fn link(
    tx: &Tx<'_>,
    seal: &Seal,
    tenant: &TenantId,
    platform: &str,
    user: &str,
    contact: ContactId,
    operation: &'static str,
) -> Result<()> {
    let lookup = user_lookup(seal, platform, user);
    let sealed = seal.seal(field::PRIVACY_LINK_USER, &link_row(contact, platform, &lookup), user)?;
    let (name, contact) = (tenant.as_str(), contact.as_uuid());
    let statement = tx
        .prepare_cached(
            "UPDATE privacy_user_links l SET platform_user_id = $5, platform_user_id_sealed = $6 \
             WHERE l.tenant = $1 AND l.platform = $2 AND l.platform_user_id = $3 AND l.contact = $4 \
             AND l.platform_user_id_sealed IS NULL AND NOT EXISTS (SELECT 1 FROM privacy_user_links s \
               WHERE s.tenant = $1 AND s.platform = $2 AND s.platform_user_id = $5 AND s.contact = $4)",
        )
        .await
        .during(operation)?;
    tx.execute(&statement, &[&name, &platform, &user, &contact, &lookup, &sealed]).await.during(operation)?;
    let statement = tx
        .prepare_cached(
            "DELETE FROM privacy_user_links WHERE tenant = $1 AND platform = $2 AND platform_user_id = $3 \
             AND contact = $4 AND platform_user_id_sealed IS NULL",
        )
        .await
        .during(operation)?;
    tx.execute(&statement, &[&name, &platform, &user, &contact]).await.during(operation)?;
    let statement = tx
        .prepare_cached(
            "INSERT INTO privacy_user_links (tenant, platform, platform_user_id, contact, platform_user_id_sealed) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .await
        .during(operation)?;
    tx.execute(&statement, &[&name, &platform, &lookup, &contact, &sealed]).await.during(operation)?;
    Ok(())
}

/// The contacts linked to `user` on `platform`, oldest link first, each once.
pub(crate) async fn linked(
    tx: &Tx<'_>,
    seal: &Seal,
    tenant: &TenantId,
    platform: &str,
    user: &str,
    operation: &'static str,
) -> Result<Vec<ContactId>> {
    let lookup = user_lookup(seal, platform, user);
    let statement = tx
        .prepare_cached(
            "SELECT contact FROM privacy_user_links WHERE tenant = $1 AND platform = $2 \
             AND (platform_user_id = $3 OR (platform_user_id = $4 AND platform_user_id_sealed IS NULL)) \
             ORDER BY linked",
        )
        .await
        .during(operation)?;
    let rows = tx.query(&statement, &[&tenant.as_str(), &platform, &lookup, &user]).await.during(operation)?;
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    Ok(rows.iter().map(|row| ContactId::from_uuid(row.get(0))).filter(|contact| seen.insert(*contact)).collect())
}

/// What a request's `(platform_user_id, platform_user_id_sealed)` hold for `user`: `''` and the
/// sealed id, bound to the confirmation code. A request naming no user (an operator's, a tenant
/// deletion) stores `''` and nothing sealed: its tenant's keys are not needed (they may be
/// destroyed already).
pub(crate) fn store_request_user(seal: Option<&Seal>, code: &str, user: &str) -> Result<(String, Option<Vec<u8>>)> {
    match seal {
        Some(seal) if !user.is_empty() => {
            Ok((String::new(), Some(seal.seal(field::PRIVACY_REQUEST_USER, code.as_bytes(), user)?)))
        }
        _ => Ok((user.to_owned(), None)),
    }
}

/// A request's platform user id, opened where it is sealed; one that no longer opens reads as
/// empty ([`privacy::request_user_or_empty`]).
pub(crate) fn open_request_user(
    seal: &Seal,
    tenant: &TenantId,
    code: &str,
    plain: String,
    sealed: Option<&[u8]>,
) -> Result<String> {
    let Some(sealed) = sealed else { return Ok(plain) };
    privacy::request_user_or_empty(tenant, code, seal.open(field::PRIVACY_REQUEST_USER, code.as_bytes(), sealed))
}
