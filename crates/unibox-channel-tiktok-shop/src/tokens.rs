//! Seller authorization: the link, the code exchange (`GET /api/v2/token/get`), the refresh
//! (`GET /api/v2/token/refresh`) on `auth.tiktok-shops.com`, and the shops an authorization
//! covers (`GET /authorization/202309/shops`, which gives each shop's `shop_cipher`).
//!
//! The token endpoints are unsigned and take the app secret in the query, as TikTok Shop
//! designed them; unibox never prints those URLs (its HTTP errors carry no URL). Expiry times
//! are absolute Unix seconds. Access tokens live 7 days; the refresh token lasts as long as
//! the authorization. Whether a used refresh token stays valid is not documented: unibox
//! stores whatever comes back and the vault sends each refresh token once.

use http::Method;
use secrecy::ExposeSecret;
use serde::Deserialize;
use unibox_channel_marketplace::lenient::Id;
use unibox_channel_marketplace::transport::{self, Call};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result, Timestamp, TokenSet};
use url::Url;

use crate::TikTokShopChannel;
use crate::api;
use crate::error_map;

/// What a code exchange returns.
#[derive(Debug)]
#[non_exhaustive]
pub struct TikTokShopAuthorization {
    /// The access and refresh tokens with their expiry, and the granted scopes.
    pub tokens: TokenSet,
    /// The seller's open id.
    pub open_id: Option<String>,
    /// The seller's name.
    pub seller_name: Option<String>,
    /// The seller's base region.
    pub seller_base_region: Option<String>,
}

/// A shop an authorization covers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizedShop {
    /// The shop id: the platform account id of the unibox `ChannelAccount`, which webhooks name.
    pub id: String,
    /// The `shop_cipher` shop-scoped calls carry.
    pub cipher: String,
    /// The shop's name.
    pub name: Option<String>,
    /// Its region (`TH`, `MY`, `US`, …).
    pub region: Option<String>,
}

#[derive(Deserialize)]
struct Issued {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    access_token_expire_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    refresh_token_expire_in: Option<i64>,
    #[serde(default)]
    open_id: Option<String>,
    #[serde(default)]
    seller_name: Option<String>,
    #[serde(default)]
    seller_base_region: Option<String>,
    #[serde(default)]
    granted_scopes: Vec<String>,
}

#[derive(Deserialize)]
struct Shops {
    #[serde(default)]
    shops: Vec<Shop>,
}

#[derive(Deserialize)]
struct Shop {
    #[serde(default)]
    id: Id,
    #[serde(default)]
    cipher: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

fn tokens(issued: Issued, operation: &'static str) -> Result<(TokenSet, Issued)> {
    let access = issued.access_token.clone().filter(|t| !t.is_empty()).ok_or_else(|| {
        Error::new(ErrorKind::PlatformUnavailable, "TikTok Shop answered the token request without tokens")
            .temporary()
            .with_operation(operation)
    })?;
    let mut tokens = TokenSet::new(access);
    if let Some(refresh) = issued.refresh_token.clone().filter(|t| !t.is_empty()) {
        tokens = tokens.with_refresh_token(refresh);
    }
    tokens.expires_at = issued.access_token_expire_in.map(Timestamp::from_unix_seconds);
    tokens.refresh_expires_at = issued.refresh_token_expire_in.map(Timestamp::from_unix_seconds);
    tokens.scopes = issued.granted_scopes.clone();
    Ok((tokens, issued))
}

impl TikTokShopChannel {
    /// The link that sends a seller to authorize the app (the configured service id); TikTok
    /// Shop redirects back with `?code=…&state=…`. Pass a fresh, unguessable `state`.
    ///
    /// ```
    /// use unibox_channel_tiktok_shop::{TikTokShopChannel, TikTokShopConfig};
    /// let config = TikTokShopConfig::builder().app_key("6a1b2c").app_secret("s").service_id("7203412345678901234").build().unwrap();
    /// let link = TikTokShopChannel::new(config).authorization_url("st-9f2c").unwrap();
    /// assert_eq!(link.as_str(), "https://services.tiktokshop.com/open/authorize?service_id=7203412345678901234&state=st-9f2c");
    /// ```
    pub fn authorization_url(&self, state: &str) -> Result<Url> {
        let service_id = self.config.service_id.as_deref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the TikTok Shop authorization link needs the app's service id")
                .with_operation("tiktok_shop.authorization_url")
        })?;
        let mut url = self.config.authorize_url.clone();
        url.query_pairs_mut().append_pair("service_id", service_id).append_pair("state", state);
        Ok(url)
    }

    /// Exchanges the `code` from the redirect (single-use, valid 30 minutes) for the seller's
    /// tokens; then [`authorized_shops`](Self::authorized_shops) names the shops to connect.
    pub async fn exchange_code(&self, code: &str) -> Result<TikTokShopAuthorization> {
        const OPERATION: &str = "tiktok_shop.token.get";
        if code.trim().is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "the TikTok Shop authorization code is empty")
                .with_operation(OPERATION));
        }
        let api = self.api(OPERATION)?;
        let parameters = [("auth_code", code), ("grant_type", "authorized_code")];
        let issued = self.token_call(api, "/api/v2/token/get", &parameters, OPERATION).await?;
        let (tokens, issued) = tokens(issued, OPERATION)?;
        Ok(TikTokShopAuthorization {
            tokens,
            open_id: issued.open_id,
            seller_name: issued.seller_name,
            seller_base_region: issued.seller_base_region,
        })
    }

    /// The shops the access token covers, with their `shop_cipher`, which the channel
    /// remembers for its calls.
    pub async fn authorized_shops(&self, access_token: &secrecy::SecretString) -> Result<Vec<AuthorizedShop>> {
        const OPERATION: &str = "tiktok_shop.shops";
        let api = self.api(OPERATION)?;
        let call = api::Call {
            method: Method::GET,
            path: "/authorization/202309/shops",
            shop_cipher: None,
            query: &[],
            access_token,
            body: None,
        };
        let response = api
            .call(&self.config, call, self.clock.now())
            .await
            .map_err(|e| transport::from_transport("TikTok Shop", Call::Repeatable, e).with_operation(OPERATION))?;
        let data = error_map::data_of(Call::Repeatable, &response).map_err(|e| e.with_operation(OPERATION))?;
        let shops: Shops = serde_json::from_value(data)
            .map_err(|_| transport::unreadable_answer("TikTok Shop", Call::Repeatable).with_operation(OPERATION))?;
        let shops: Vec<AuthorizedShop> = shops
            .shops
            .into_iter()
            .filter_map(|shop| {
                Some(AuthorizedShop {
                    id: shop.id.0?,
                    cipher: shop.cipher.filter(|c| !c.is_empty())?,
                    name: shop.name,
                    region: shop.region,
                })
            })
            .collect();
        for shop in &shops {
            self.remember_cipher(&shop.id, &shop.cipher);
        }
        Ok(shops)
    }

    /// `Channel::refresh_tokens`: the stored refresh token for a new set.
    pub(crate) async fn refresh(&self, account: &ChannelAccount, current: &TokenSet) -> Result<TokenSet> {
        const OPERATION: &str = "tiktok_shop.token.refresh";
        let refresh_token = current.refresh_token.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::TokenInvalid,
                "no TikTok Shop refresh token is stored: the seller must authorize again",
            )
            .with_operation(OPERATION)
        })?;
        if current.refresh_expires_at.is_some_and(|at| at <= self.clock.now()) {
            return Err(Error::new(
                ErrorKind::TokenInvalid,
                "the TikTok Shop authorization has ended (its refresh token expired): the seller must authorize again",
            )
            .with_operation(OPERATION));
        }
        let api = self.api(OPERATION)?;
        let parameters = [("refresh_token", refresh_token.expose_secret()), ("grant_type", "refresh_token")];
        let issued = self
            .token_call(api, "/api/v2/token/refresh", &parameters, OPERATION)
            .await
            .map_err(|e| e.with_context("account", account.id))?;
        let (mut fresh, _) = tokens(issued, OPERATION)?;
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = current.refresh_token.clone();
            fresh.refresh_expires_at = fresh.refresh_expires_at.or(current.refresh_expires_at);
        }
        if fresh.scopes.is_empty() {
            fresh.scopes = current.scopes.clone();
        }
        Ok(fresh)
    }

    async fn token_call(
        &self,
        api: &api::TikTokShopApi,
        path: &str,
        parameters: &[(&str, &str)],
        operation: &'static str,
    ) -> Result<Issued> {
        let response = api
            .token(&self.config, path, parameters)
            .await
            .map_err(|e| transport::from_transport("TikTok Shop", Call::Repeatable, e).with_operation(operation))?;
        let data = error_map::data_of(Call::Repeatable, &response).map_err(|e| e.with_operation(operation))?;
        serde_json::from_value(data)
            .map_err(|_| transport::unreadable_answer("TikTok Shop", Call::Repeatable).with_operation(operation))
    }
}
