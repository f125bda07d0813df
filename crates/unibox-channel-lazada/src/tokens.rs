//! Seller authorization: the link, the code exchange (`/auth/token/create`) and the refresh
//! (`/auth/token/refresh`), both on `auth.lazada.com/rest` and signed like any call.
//!
//! Access tokens live 30 days (7 for test apps), refresh tokens 180 days (30) from the
//! authorization; a refresh returns a new pair and does not extend the refresh token's life.
//! Whether Lazada invalidates a used refresh token is not documented: unibox treats it as
//! single-use, and the token vault sends each refresh token once.

use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Deserialize;
use unibox_channel_marketplace::lenient::Id;
use unibox_channel_marketplace::transport::{self, Call};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result, Timestamp, TokenSet};
use url::Url;

use crate::LazadaChannel;
use crate::api::Host;
use crate::error_map;

/// One seller account a Lazada authorization covers (one per country for cross-border sellers).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LazadaSeller {
    /// The country (`sg`, `th`, `my`, `vn`, `ph`, `id`).
    pub country: String,
    /// The seller id: the platform account id of the unibox `ChannelAccount`, which pushes name.
    pub seller_id: String,
    /// The user id.
    pub user_id: Option<String>,
    /// The seller's short code.
    pub short_code: Option<String>,
}

/// What a code exchange returns: the tokens and the sellers they act for.
#[derive(Debug)]
#[non_exhaustive]
pub struct LazadaAuthorization {
    /// The access and refresh tokens with their expiry.
    pub tokens: TokenSet,
    /// The seller accounts (connect one `ChannelAccount` per seller id, each with these tokens).
    pub sellers: Vec<LazadaSeller>,
    /// The login account (an e-mail address), when Lazada names it.
    pub account: Option<String>,
    /// `cb` for a cross-border seller, else the country.
    pub country: Option<String>,
}

#[derive(Deserialize)]
struct Issued {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_expires_in: Option<u64>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    country_user_info: Vec<CountryUser>,
}

#[derive(Deserialize)]
struct CountryUser {
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    seller_id: Id,
    #[serde(default)]
    user_id: Id,
    #[serde(default)]
    short_code: Option<String>,
}

fn tokens(issued: &Issued, now: Timestamp, operation: &'static str) -> Result<TokenSet> {
    let unreadable = || {
        Error::new(ErrorKind::PlatformUnavailable, "Lazada answered the token request without tokens")
            .temporary()
            .with_operation(operation)
    };
    let access = issued.access_token.clone().filter(|t| !t.is_empty()).ok_or_else(unreadable)?;
    let mut tokens = TokenSet::new(access);
    if let Some(refresh) = issued.refresh_token.clone().filter(|t| !t.is_empty()) {
        tokens = tokens.with_refresh_token(refresh);
    }
    if let Some(seconds) = issued.expires_in {
        tokens = tokens.expiring_at(now.saturating_add(Duration::from_secs(seconds)));
    }
    // `refresh_expires_in` 0 means the tokens cannot be refreshed.
    tokens.refresh_expires_at = issued.refresh_expires_in.map(|s| now.saturating_add(Duration::from_secs(s)));
    Ok(tokens)
}

impl LazadaChannel {
    /// The link that sends a seller to authorize the app; Lazada redirects back to
    /// `redirect_uri` (registered in the app console) with `?code=…&state=…`. Pass a fresh,
    /// unguessable `state` and check it on the way back.
    ///
    /// ```
    /// use unibox_channel_lazada::{LazadaChannel, LazadaConfig};
    /// let channel = LazadaChannel::new(LazadaConfig::builder().app_key("115527").app_secret("s").build().unwrap());
    /// let link = channel.authorization_url(&"https://inbox.example.com/lazada/callback".parse().unwrap(), "st-9f2c");
    /// assert!(link.as_str().starts_with("https://auth.lazada.com/oauth/authorize?response_type=code&force_auth=true"));
    /// assert!(link.as_str().contains("client_id=115527") && link.as_str().contains("state=st-9f2c"));
    /// ```
    pub fn authorization_url(&self, redirect_uri: &Url, state: &str) -> Url {
        let mut url = self.config.authorize_url.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("force_auth", "true")
            .append_pair("redirect_uri", redirect_uri.as_str())
            .append_pair("client_id", self.config.app.key())
            .append_pair("state", state);
        url
    }

    /// Exchanges the authorization `code` from the redirect (single-use, valid 30 minutes) for
    /// the seller's tokens. Store them for each seller id with the hub's `connect_account`.
    pub async fn exchange_code(&self, code: &str) -> Result<LazadaAuthorization> {
        const OPERATION: &str = "lazada.token.create";
        if code.trim().is_empty() {
            return Err(
                Error::new(ErrorKind::InvalidInput, "the Lazada authorization code is empty").with_operation(OPERATION)
            );
        }
        let api = self.api(OPERATION)?;
        let now = self.clock.now();
        let response = api
            .call(&self.config, Host::Auth, "/auth/token/create", &[("code", code)], None, now)
            .await
            .map_err(|e| transport::from_transport("Lazada", Call::Repeatable, e).with_operation(OPERATION))?;
        let data = error_map::data_of(Call::Repeatable, &response).map_err(|e| e.with_operation(OPERATION))?;
        let issued: Issued = serde_json::from_value(data)
            .map_err(|_| transport::unreadable_answer("Lazada", Call::Repeatable).with_operation(OPERATION))?;
        let sellers = issued
            .country_user_info
            .iter()
            .filter_map(|user| {
                Some(LazadaSeller {
                    country: user.country.clone().unwrap_or_default(),
                    seller_id: user.seller_id.0.clone()?,
                    user_id: user.user_id.0.clone(),
                    short_code: user.short_code.clone(),
                })
            })
            .collect();
        Ok(LazadaAuthorization {
            tokens: tokens(&issued, now, OPERATION)?,
            sellers,
            account: issued.account,
            country: issued.country,
        })
    }

    /// `Channel::refresh_tokens`: the stored refresh token for a new pair.
    pub(crate) async fn refresh(&self, account: &ChannelAccount, current: &TokenSet) -> Result<TokenSet> {
        const OPERATION: &str = "lazada.token.refresh";
        let refresh_token = current.refresh_token.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::TokenInvalid, "no Lazada refresh token is stored: the seller must authorize again")
                .with_operation(OPERATION)
        })?;
        let now = self.clock.now();
        if current.refresh_expires_at.is_some_and(|at| at <= now) {
            return Err(Error::new(
                ErrorKind::TokenInvalid,
                "the Lazada refresh token has expired (it does not outlive the authorization): the seller must authorize again",
            )
            .with_operation(OPERATION));
        }
        let api = self.api(OPERATION)?;
        let parameters = [("refresh_token", refresh_token.expose_secret())];
        let response = api
            .call(&self.config, Host::Auth, "/auth/token/refresh", &parameters, None, now)
            .await
            .map_err(|e| transport::from_transport("Lazada", Call::Repeatable, e).with_operation(OPERATION))?;
        let data = error_map::data_of(Call::Repeatable, &response)
            .map_err(|e| e.with_operation(OPERATION).with_context("account", account.id))?;
        let issued: Issued = serde_json::from_value(data)
            .map_err(|_| transport::unreadable_answer("Lazada", Call::Repeatable).with_operation(OPERATION))?;
        let mut fresh = tokens(&issued, now, OPERATION)?;
        // Lazada always returns a new refresh token; should it not, the old one is all there is.
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = current.refresh_token.clone();
        }
        fresh.scopes = current.scopes.clone();
        Ok(fresh)
    }
}
