//! Channel accounts: their rows, and their routing registration (webhook events for an imported
//! account reach its tenant).

use std::collections::HashSet;

use unibox_core::{ChannelAccount, Error, ErrorKind, Result};
use uuid::Uuid;

use super::OP;
use super::batch::{batches, part};
use crate::codec::to_json;
use crate::error::PgResultExt;
use crate::pool::Tx;

/// The accounts of an export, as `accounts` rows.
#[derive(Default)]
pub(super) struct Accounts {
    accounts: Vec<ChannelAccount>,
    /// (channel, platform account id): unique across the registry.
    platform_ids: HashSet<(String, String)>,
    id: Vec<Uuid>,
    channel: Vec<String>,
    kind: Vec<String>,
    platform_account_id: Vec<String>,
    display_name: Vec<String>,
    state: Vec<String>,
    connected_at: Vec<i64>,
}

impl Accounts {
    pub(super) fn push(&mut self, account: &ChannelAccount) -> Result<()> {
        let platform = (account.channel.as_str().to_owned(), account.platform_account_id.clone());
        if !self.platform_ids.insert(platform) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "another account of the export has this channel and platform account id",
            ));
        }
        self.id.push(account.id.as_uuid());
        self.channel.push(account.channel.as_str().to_owned());
        self.kind.push(account.kind.as_str().to_owned());
        self.platform_account_id.push(account.platform_account_id.clone());
        self.display_name.push(account.display_name.clone());
        self.state.push(to_json(&account.state, "account state")?);
        self.connected_at.push(account.connected_at.as_unix_millis());
        self.accounts.push(account.clone());
        Ok(())
    }

    /// Registers every account for routing (a `Conflict` when another tenant's account holds
    /// its id or its platform id), then inserts the rows.
    pub(super) async fn insert(&self, tx: &Tx<'_>, tenant: &str) -> Result<()> {
        for account in &self.accounts {
            crate::accounts::register(tx, account, OP).await?;
        }
        let statement = tx
            .prepare_cached(
                "INSERT INTO accounts (tenant, id, channel, kind, platform_account_id, display_name, state, \
                   connected_at) \
                 SELECT $1::TEXT, * FROM unnest($2::UUID[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], \
                   $7::TEXT[], $8::BIGINT[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.id.len()) {
            tx.execute(
                &statement,
                &[
                    &tenant,
                    &part(&self.id, &rows),
                    &part(&self.channel, &rows),
                    &part(&self.kind, &rows),
                    &part(&self.platform_account_id, &rows),
                    &part(&self.display_name, &rows),
                    &part(&self.state, &rows),
                    &part(&self.connected_at, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        Ok(())
    }
}
