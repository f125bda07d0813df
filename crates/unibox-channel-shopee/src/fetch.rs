//! Signed `GET`s of a shop's data (orders, items, conversations) and public partner calls
//! (lost pushes), with Shopee's answers mapped through the error table.

use secrecy::{ExposeSecret, SecretString};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::api::Signed;
use crate::error_map::{self, Call};
use crate::tokens::shop_id;
use crate::{ShopeeChannel, SignedCall};

impl ShopeeChannel {
    /// `GET path?…&query` for the account's shop; the body of a successful answer.
    pub(crate) async fn shop_get(
        &self,
        path: &'static str,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        query: &[(&str, &str)],
        operation: &'static str,
    ) -> Result<bytes::Bytes> {
        let shop = shop_id(account, operation)?;
        let token = access_token.ok_or_else(|| no_token(account, operation))?;
        let signed = Signed {
            path,
            call: SignedCall::Shop { access_token: token.expose_secret(), shop_id: shop },
            partner_id: self.config.api_partner_id(operation)?,
            partner_key: self.config.signing_key(),
            timestamp: self.clock.now().as_unix_seconds(),
        };
        self.answer_of(self.api(operation)?.get(&signed, query).await, operation)
    }

    /// A public (partner-level) call: `GET` with `query`, or `POST` with `body`.
    pub(crate) async fn partner_call(
        &self,
        path: &'static str,
        query: &[(&str, &str)],
        body: Option<&serde_json::Value>,
        operation: &'static str,
    ) -> Result<bytes::Bytes> {
        let signed = Signed {
            path,
            call: SignedCall::Public,
            partner_id: self.config.api_partner_id(operation)?,
            partner_key: self.config.signing_key(),
            timestamp: self.clock.now().as_unix_seconds(),
        };
        let api = self.api(operation)?;
        let answer = match body {
            Some(body) => api.post(&signed, body).await,
            None => api.get(&signed, query).await,
        };
        self.answer_of(answer, operation)
    }

    fn answer_of(
        &self,
        answer: std::result::Result<unibox_core::http::HttpResponse, unibox_core::http::HttpError>,
        operation: &'static str,
    ) -> Result<bytes::Bytes> {
        let response = answer.map_err(|e| error_map::from_transport(Call::Fetch, e).with_operation(operation))?;
        if !error_map::succeeded(&response) {
            return Err(error_map::from_response(Call::Fetch, &response).with_operation(operation));
        }
        Ok(response.into_body())
    }
}

/// An answer Shopee called a success but whose shape is not as documented.
pub(crate) fn unexpected(operation: &'static str, what: &str) -> Error {
    Error::new(ErrorKind::PlatformUnavailable, format!("Shopee answered {what} in an unexpected shape"))
        .with_operation(operation)
}

fn no_token(account: &ChannelAccount, operation: &'static str) -> Error {
    Error::new(
        ErrorKind::Configuration,
        "no access token is stored for this Shopee shop: exchange the authorization code and store the tokens",
    )
    .with_operation(operation)
    .with_context("account", account.id)
}
