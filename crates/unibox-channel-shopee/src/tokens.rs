//! Shop authorization and tokens.
//!
//! 1. The seller opens the [authorization link](crate::ShopeeChannel::authorization_url) and
//!    lands on your redirect URL with `?code=…&shop_id=…` (the code is single-use, valid 10
//!    minutes).
//! 2. [`exchange_code`](crate::ShopeeChannel::exchange_code) turns it into the shop's tokens:
//!    an access token that lasts 4 hours and a refresh token that lasts 30 days.
//! 3. The token vault refreshes ahead of expiry through
//!    [`Channel::refresh_tokens`](unibox_core::Channel::refresh_tokens), once per shop across
//!    callers and processes. Each refresh token works **once** and the answer carries a new
//!    one, so two concurrent refreshes would disconnect the shop; the vault's single flight
//!    prevents that.

use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use unibox_core::{ChannelAccount, Error, ErrorKind, Result, TokenSet};
use url::Url;

use crate::api::{ShopeeApi, Signed};
use crate::error_map::{self, Call};
use crate::{ShopeeChannel, SignedCall};

/// The authorization link's API path.
pub const AUTHORIZATION_PATH: &str = "/api/v2/shop/auth_partner";
/// Exchanges an authorization code.
pub(crate) const TOKEN_PATH: &str = "/api/v2/auth/token/get";
/// Refreshes an access token with a refresh token.
pub(crate) const REFRESH_PATH: &str = "/api/v2/auth/access_token/get";

/// How long a refresh token lasts.
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// `{"access_token", "refresh_token", "expire_in", "error", "message", "request_id", ...}`.
#[derive(Deserialize)]
struct Issued {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    expire_in: Option<u64>,
}

/// The shop id of an account: its platform account id, digits.
pub(crate) fn shop_id(account: &ChannelAccount, operation: &'static str) -> Result<u64> {
    account.platform_account_id.parse::<u64>().map_err(|_| {
        Error::new(
            ErrorKind::Configuration,
            format!(
                "the Shopee account {} must have the shop id (digits) as its platform account id",
                account.display_name
            ),
        )
        .with_operation(operation)
    })
}

impl ShopeeChannel {
    /// The link a seller opens to authorize the app for their shop; Shopee then redirects to
    /// `redirect` with `?code=…&shop_id=…`. The link is signed now and expires in 5 minutes,
    /// so build it when the seller asks, not ahead of time.
    ///
    /// ```
    /// use unibox_channel_shopee::{ShopeeChannel, ShopeeConfig};
    /// let config = ShopeeConfig::builder()
    ///     .partner_id(2001887)
    ///     .partner_key("partner-key")
    ///     .callback_url("https://inbox.example.com/webhooks/shopee")
    ///     .build()
    ///     .unwrap();
    /// let channel = ShopeeChannel::new(config);
    /// let link = channel.authorization_url(&"https://app.example.com/shopee/authorized".parse().unwrap()).unwrap();
    /// assert_eq!(link.path(), "/api/v2/shop/auth_partner");
    /// assert!(link.query_pairs().any(|(k, v)| k == "redirect" && v == "https://app.example.com/shopee/authorized"));
    /// ```
    pub fn authorization_url(&self, redirect: &Url) -> Result<Url> {
        let signed = Signed {
            path: AUTHORIZATION_PATH,
            call: SignedCall::Public,
            partner_id: self.config.api_partner_id("shopee.authorization_url")?,
            partner_key: self.config.signing_key(),
            timestamp: self.clock.now().as_unix_seconds(),
        };
        let mut url = signed.url(&self.config.api_base_url).map_err(|e| {
            Error::new(ErrorKind::Configuration, e.to_string()).with_operation("shopee.authorization_url")
        })?;
        url.query_pairs_mut().append_pair("redirect", redirect.as_str());
        Ok(url)
    }

    /// Exchanges the single-use `code` from the authorization redirect for the shop's tokens
    /// (`POST /api/v2/auth/token/get`). Store them for the shop's account (the vault), whose
    /// platform account id is `shop_id`.
    pub async fn exchange_code(&self, code: &str, shop_id: u64) -> Result<TokenSet> {
        const OPERATION: &str = "shopee.token.exchange";
        if code.is_empty() || shop_id == 0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the authorization redirect's code and shop_id are required",
            )
            .with_operation(OPERATION));
        }
        let partner_id = self.config.api_partner_id(OPERATION)?;
        let body = json!({"code": code, "partner_id": partner_id, "shop_id": shop_id});
        self.issue(TOKEN_PATH, &body, Call::Exchange, OPERATION).await
    }

    /// Spends the refresh token once for a new pair.
    pub(crate) async fn refresh(&self, account: &ChannelAccount, tokens: &TokenSet) -> Result<TokenSet> {
        const OPERATION: &str = "shopee.token.refresh";
        let shop_id = shop_id(account, OPERATION)?;
        let refresh = tokens.refresh_token.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::TokenInvalid,
                "the Shopee shop's tokens have no refresh token: the shop must authorize the app again",
            )
            .with_operation(OPERATION)
        })?;
        let body = json!({"refresh_token": refresh.expose_secret(), "partner_id": self.config.api_partner_id(OPERATION)?, "shop_id": shop_id});
        let fresh = self.issue(REFRESH_PATH, &body, Call::Refresh, OPERATION).await?;
        Ok(TokenSet { scopes: tokens.scopes.clone(), ..fresh })
    }

    async fn issue(
        &self,
        path: &'static str,
        body: &serde_json::Value,
        call: Call,
        operation: &'static str,
    ) -> Result<TokenSet> {
        let api: &ShopeeApi = self.api(operation)?;
        let now = self.clock.now();
        let signed = Signed {
            path,
            call: SignedCall::Public,
            partner_id: self.config.api_partner_id(operation)?,
            partner_key: self.config.signing_key(),
            timestamp: now.as_unix_seconds(),
        };
        let response =
            api.post(&signed, body).await.map_err(|e| error_map::from_transport(call, e).with_operation(operation))?;
        if !error_map::succeeded(&response) {
            return Err(error_map::from_response(call, &response).with_operation(operation));
        }
        let issued: Issued = serde_json::from_slice(response.body()).map_err(|_| unreadable(operation))?;
        if issued.access_token.is_empty() || issued.refresh_token.is_empty() {
            return Err(unreadable(operation));
        }
        let mut tokens = TokenSet::new(issued.access_token).with_refresh_token(issued.refresh_token);
        if let Some(seconds) = issued.expire_in {
            tokens = tokens.expiring_at(now.saturating_add(Duration::from_secs(seconds)));
        }
        tokens.refresh_expires_at = Some(now.saturating_add(REFRESH_TOKEN_LIFETIME));
        Ok(tokens)
    }
}

/// A success without tokens: Shopee may have spent the code or refresh token, so this is not
/// retried blindly either.
fn unreadable(operation: &'static str) -> Error {
    Error::new(
        ErrorKind::PlatformUnavailable,
        "Shopee answered the token request without a token pair; if it spent the code or refresh token, the shop must authorize again",
    )
    .temporary()
    .with_operation(operation)
}
