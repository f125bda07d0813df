//! Signed reads of a seller's data (orders, items, chat sessions), with Lazada's answers mapped
//! through the error table.

use secrecy::SecretString;
use unibox_channel_marketplace::transport::{self, Call};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::LazadaChannel;
use crate::api::Host;
use crate::error_map;

impl LazadaChannel {
    /// Calls `api_path` with `parameters` and the account's token; the `data` of the answer.
    pub(crate) async fn read(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        api_path: &str,
        parameters: &[(&str, &str)],
        operation: &'static str,
    ) -> Result<serde_json::Value> {
        let token = access_token.ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "no access token is stored for this Lazada seller: connect the shop first",
            )
            .with_operation(operation)
            .with_context("account", account.id)
        })?;
        let response = self
            .api(operation)?
            .call(&self.config, Host::Api, api_path, parameters, Some(token), self.clock.now())
            .await
            .map_err(|e| transport::from_transport("Lazada", Call::Repeatable, e).with_operation(operation))?;
        error_map::data_of(Call::Repeatable, &response)
            .map_err(|e| e.with_operation(operation).with_context("account", account.id))
    }
}

/// An answer Lazada called a success but whose shape is not as documented.
pub(crate) fn unexpected(operation: &'static str, what: &str) -> Error {
    Error::new(ErrorKind::PlatformUnavailable, format!("Lazada answered {what} in an unexpected shape"))
        .with_operation(operation)
}
