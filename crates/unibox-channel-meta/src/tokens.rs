//! Token exchange and refresh: short-lived to long-lived Facebook tokens, Instagram user tokens.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use unibox_core::{Error, ErrorKind, Result, Timestamp, TokenSet};

use crate::{AppSecret, GraphClient};

/// A Meta app's id and secret: what token exchanges authenticate with.
///
/// ```
/// use unibox_channel_meta::{AppCredentials, AppSecret};
/// let app = AppCredentials::new("1234567890123456", AppSecret::new("appsecret"));
/// assert!(!format!("{app:?}").contains("appsecret"));
/// ```
#[derive(Clone)]
pub struct AppCredentials {
    /// The app id (App Dashboard › App settings › Basic).
    pub app_id: String,
    /// The app secret.
    pub app_secret: AppSecret,
}

impl AppCredentials {
    /// Credentials of app `app_id`.
    pub fn new(app_id: impl Into<String>, app_secret: AppSecret) -> Self {
        AppCredentials { app_id: app_id.into(), app_secret }
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials").field("app_id", &self.app_id).field("app_secret", &self.app_secret).finish()
    }
}

/// `{"access_token": ..., "token_type": "bearer", "expires_in": 5183944}`.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl TokenAnswer {
    fn into_token_set(self, now: Timestamp) -> Result<TokenSet> {
        if self.access_token.is_empty() {
            return Err(Error::new(ErrorKind::Unexpected, "Meta answered a token request without a token")
                .with_operation("meta.token"));
        }
        let mut tokens = TokenSet::new(self.access_token);
        if let Some(seconds) = self.expires_in.filter(|s| *s > 0) {
            tokens = tokens.expiring_at(now.saturating_add(std::time::Duration::from_secs(seconds)));
        }
        Ok(tokens)
    }
}

impl GraphClient {
    /// Exchanges a short-lived Facebook user or Page token for a long-lived one (about 60
    /// days): `oauth/access_token` with `grant_type=fb_exchange_token`. The app secret and the
    /// token travel in the POST body, never in the URL. An expired token cannot be exchanged
    /// (`TokenInvalid`). `now` dates the expiry.
    pub async fn exchange_for_long_lived_token(
        &self,
        app: &AppCredentials,
        short_lived: &SecretString,
        now: Timestamp,
    ) -> Result<TokenSet> {
        let url = self.url("oauth/access_token")?;
        let fields = [
            ("grant_type", "fb_exchange_token"),
            ("client_id", app.app_id.as_str()),
            ("client_secret", expose(&app.app_secret)),
            ("fb_exchange_token", short_lived.expose_secret()),
        ];
        let answer: TokenAnswer =
            self.post_form(url, None, &fields).await.map_err(|e| e.with_operation("meta.token.exchange"))?;
        answer.into_token_set(now)
    }

    /// Exchanges a short-lived Instagram user token (1 hour) for a long-lived one (60 days):
    /// `access_token` with `grant_type=ig_exchange_token` on `graph.instagram.com` (use a
    /// client made with [`GraphClient::instagram`]).
    pub async fn exchange_instagram_token(
        &self,
        app_secret: &AppSecret,
        short_lived: &SecretString,
        now: Timestamp,
    ) -> Result<TokenSet> {
        let url = self.unversioned_url("access_token")?;
        let fields = [
            ("grant_type", "ig_exchange_token"),
            ("client_secret", expose(app_secret)),
            ("access_token", short_lived.expose_secret()),
        ];
        let answer: TokenAnswer =
            self.post_form(url, None, &fields).await.map_err(|e| e.with_operation("meta.token.exchange"))?;
        answer.into_token_set(now)
    }

    /// Refreshes a long-lived Instagram user token for another 60 days:
    /// `refresh_access_token?grant_type=ig_refresh_token` on `graph.instagram.com`, the token
    /// in the `Authorization` header. Meta refreshes only tokens at least 24 hours old and
    /// still valid; an expired one is `TokenInvalid` and the account must be reconnected.
    pub async fn refresh_instagram_token(&self, long_lived: &SecretString, now: Timestamp) -> Result<TokenSet> {
        let url = self.unversioned_url("refresh_access_token")?;
        let answer: TokenAnswer = self
            .get_url(url, &[("grant_type", "ig_refresh_token")], Some(long_lived))
            .await
            .map_err(|e| e.with_operation("meta.token.refresh"))?;
        answer.into_token_set(now)
    }
}

fn expose(secret: &AppSecret) -> &str {
    // The key is the secret's UTF-8 text, so this cannot fail.
    std::str::from_utf8(secret.key()).unwrap_or_default()
}
