//! Channel access tokens: how the channel renews them in `Channel::refresh_tokens` and revokes
//! them in `Channel::revoke_tokens`.
//!
//! | [`TokenIssuance`] | endpoint | lifetime | credentials | revoke |
//! |---|---|---|---|---|
//! | `LongLived` | none (issued in the console) | until reissued | — | `POST /v2/oauth/revoke` |
//! | `ShortLived` (v2.0) | `POST /v2/oauth/accessToken` | 30 days | channel id + secret | `POST /v2/oauth/revoke` |
//! | `Stateless` (v3) | `POST /oauth2/v3/token` | 15 minutes | channel id + secret | cannot be revoked |
//! | `Assertion` (v2.1) | `POST /oauth2/v2.1/token` | chosen, up to 30 days | a JWT signed with your RSA key | `POST /oauth2/v2.1/revoke` (channel id + secret) |

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use unibox_core::{Error, ErrorKind, Result, Timestamp, TokenSet};

use crate::LineConfig;
use crate::api::LineApi;
use crate::error_map::{self, Call};

/// The longest lifetime LINE gives a v2.1 token: 30 days.
pub const MAX_ASSERTION_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// How long a signed assertion is valid (LINE accepts at most 30 minutes).
const ASSERTION_VALIDITY: Duration = Duration::from_secs(30 * 60);

/// Signs the JWT assertion of channel access token v2.1 with your private key.
///
/// LINE wants RS256 (RSASSA-PKCS1-v1_5 with SHA-256) under an RSA key of at least 2048 bits
/// whose public half you registered as the channel's "Assertion Signing Key", which gave you a
/// key id (`kid`). unibox has no RSA dependency: implement this with the crate your
/// application already trusts (`rsa`, `ring`, `aws-lc-rs`) or a KMS/HSM call. Keep the
/// private key out of your `Debug` output.
///
/// ```
/// use unibox_channel_line::AssertionSigner;
/// use unibox_core::Result;
///
/// /// Stands in for an RSA key: a real implementation returns the RS256 signature.
/// #[derive(Debug)]
/// struct KmsSigner { kid: String }
///
/// impl AssertionSigner for KmsSigner {
///     fn key_id(&self) -> &str { &self.kid }
///     fn sign_rs256(&self, signing_input: &[u8]) -> Result<Vec<u8>> {
///         Ok(signing_input.iter().rev().copied().collect()) // call your KMS here
///     }
/// }
/// let signer = KmsSigner { kid: "sDTOzw5wIfWxxxxzcmeQA".into() };
/// assert_eq!(signer.key_id(), "sDTOzw5wIfWxxxxzcmeQA");
/// ```
pub trait AssertionSigner: Send + Sync + fmt::Debug + 'static {
    /// The key id LINE gave when the public key was registered.
    fn key_id(&self) -> &str;

    /// The RS256 signature of `signing_input` (the JWT's `base64url(header).base64url(payload)`).
    fn sign_rs256(&self, signing_input: &[u8]) -> Result<Vec<u8>>;
}

/// How the channel renews its access token.
///
/// ```
/// use std::time::Duration;
/// use unibox_channel_line::TokenIssuance;
/// assert!(!TokenIssuance::LongLived.issues());
/// assert!(TokenIssuance::Stateless.issues());
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum TokenIssuance {
    /// A long-lived token issued in the LINE Developers Console: stored once, never refreshed.
    LongLived,
    /// Short-lived tokens (v2.0): 30 days, at most 30 active per channel, from the channel id
    /// and secret.
    ShortLived,
    /// Stateless tokens (v3): 15 minutes, no limit on active tokens, cannot be revoked, from
    /// the channel id and secret.
    Stateless,
    /// Tokens v2.1 with a lifetime you choose (up to 30 days), authenticated by a JWT your
    /// [`AssertionSigner`] signs.
    Assertion {
        /// Signs the assertion.
        signer: Arc<dyn AssertionSigner>,
        /// The lifetime to ask for (`token_exp`), at most [`MAX_ASSERTION_TOKEN_LIFETIME`].
        lifetime: Duration,
    },
}

impl TokenIssuance {
    /// Whether the channel issues tokens itself (everything but `LongLived`).
    pub fn issues(&self) -> bool {
        !matches!(self, TokenIssuance::LongLived)
    }
}

/// The signed JWT assertion for channel access token v2.1: header
/// `{"alg":"RS256","typ":"JWT","kid":…}`, payload `{"iss":channel id,"sub":channel id,
/// "aud":"https://api.line.me/","exp":now + 30 min,"token_exp":lifetime}`.
///
/// ```
/// use std::time::Duration;
/// use unibox_channel_line::{AssertionSigner, assertion_jwt};
/// use unibox_core::Timestamp;
/// # #[derive(Debug)] struct Fake;
/// # impl AssertionSigner for Fake {
/// #     fn key_id(&self) -> &str { "kid-1" }
/// #     fn sign_rs256(&self, _: &[u8]) -> unibox_core::Result<Vec<u8>> { Ok(vec![1, 2, 3]) }
/// # }
/// use secrecy::ExposeSecret;
/// let jwt = assertion_jwt("1657123456", &Fake, Duration::from_secs(86_400), Timestamp::from_unix_seconds(1_700_000_000)).unwrap();
/// assert_eq!(jwt.expose_secret().split('.').count(), 3);
/// assert!(jwt.expose_secret().ends_with(".AQID"));
/// ```
pub fn assertion_jwt(
    channel_id: &str,
    signer: &dyn AssertionSigner,
    lifetime: Duration,
    now: Timestamp,
) -> Result<SecretString> {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": signer.key_id()});
    let lifetime = lifetime.min(MAX_ASSERTION_TOKEN_LIFETIME).as_secs();
    let payload = serde_json::json!({
        "iss": channel_id,
        "sub": channel_id,
        "aud": "https://api.line.me/",
        "exp": now.saturating_add(ASSERTION_VALIDITY).as_unix_seconds(),
        "token_exp": lifetime,
    });
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload.to_string()));
    let signature =
        signer.sign_rs256(signing_input.as_bytes()).map_err(|e| e.with_operation("line.token.assertion"))?;
    if signature.is_empty() {
        return Err(Error::new(ErrorKind::Configuration, "the assertion signer returned an empty signature")
            .with_operation("line.token.assertion"));
    }
    Ok(SecretString::from(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))))
}

/// `{"access_token": "...", "expires_in": 2592000, "token_type": "Bearer", "key_id": "..."}`.
#[derive(Deserialize)]
struct Issued {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The token endpoint and form body of `config`'s issuance; `Unsupported` for long-lived tokens.
fn request(config: &LineConfig, now: Timestamp) -> Result<(&'static str, String)> {
    let channel_id = config.channel_id.as_deref().unwrap_or_default();
    let secret = config.current_secret().expose_secret();
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "client_credentials");
    let path = match &config.token_issuance {
        TokenIssuance::LongLived => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "a long-lived LINE channel access token is reissued in the LINE Developers Console, not refreshed",
            ));
        }
        TokenIssuance::ShortLived => {
            form.append_pair("client_id", channel_id).append_pair("client_secret", secret);
            "v2/oauth/accessToken"
        }
        TokenIssuance::Stateless => {
            form.append_pair("client_id", channel_id).append_pair("client_secret", secret);
            "oauth2/v3/token"
        }
        TokenIssuance::Assertion { signer, lifetime } => {
            let jwt = assertion_jwt(channel_id, signer.as_ref(), *lifetime, now)?;
            form.append_pair("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                .append_pair("client_assertion", jwt.expose_secret());
            "oauth2/v2.1/token"
        }
    };
    Ok((path, form.finish()))
}

/// Issues a new access token as `config` says; `Unsupported` for long-lived tokens.
pub(crate) async fn issue(api: &LineApi, config: &LineConfig, now: Timestamp) -> Result<TokenSet> {
    const OPERATION: &str = "line.token.issue";
    let (path, form) = request(config, now).map_err(|e| e.with_operation(OPERATION))?;
    let response = api
        .post_form(path, form)
        .await
        .map_err(|e| error_map::from_transport(Call::Token, e).with_operation(OPERATION))?;
    if !response.status().is_success() {
        return Err(error_map::from_response(Call::Token, &response).with_operation(OPERATION));
    }
    let issued: Issued = serde_json::from_slice(response.body()).map_err(|_| {
        Error::new(ErrorKind::PlatformUnavailable, "LINE answered the token request with an unreadable body")
            .temporary()
            .with_operation(OPERATION)
    })?;
    if issued.access_token.is_empty() {
        return Err(Error::new(ErrorKind::PlatformUnavailable, "LINE issued an empty access token")
            .temporary()
            .with_operation(OPERATION));
    }
    let mut tokens = TokenSet::new(issued.access_token);
    if let Some(seconds) = issued.expires_in {
        tokens = tokens.expiring_at(now.saturating_add(Duration::from_secs(seconds)));
    }
    Ok(tokens)
}

/// Whether tokens of `issuance` can be revoked (every kind but stateless v3 tokens).
pub(crate) fn revocable(issuance: &TokenIssuance) -> bool {
    !matches!(issuance, TokenIssuance::Stateless)
}

/// Revokes `access_token` at LINE: `POST /v2/oauth/revoke` (form `access_token`) for long-lived
/// and v2.0 tokens, `POST /oauth2/v2.1/revoke` (form `client_id`, `client_secret`,
/// `access_token`) for v2.1 tokens; stateless tokens are `Unsupported` (they die within 15
/// minutes on their own).
pub(crate) async fn revoke(api: &LineApi, config: &LineConfig, access_token: &SecretString) -> Result<()> {
    const OPERATION: &str = "line.token.revoke";
    // Built to a string before any await: the serializer is not `Send`.
    let (path, form) = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        let path = match &config.token_issuance {
            TokenIssuance::Stateless => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "LINE stateless channel access tokens cannot be revoked",
                )
                .with_operation(OPERATION));
            }
            TokenIssuance::LongLived | TokenIssuance::ShortLived => "v2/oauth/revoke",
            TokenIssuance::Assertion { .. } => {
                let channel_id = config.channel_id.as_deref().unwrap_or_default();
                form.append_pair("client_id", channel_id)
                    .append_pair("client_secret", config.current_secret().expose_secret());
                "oauth2/v2.1/revoke"
            }
        };
        form.append_pair("access_token", access_token.expose_secret());
        (path, form.finish())
    };
    let response = api
        .post_form(path, form)
        .await
        .map_err(|e| error_map::from_transport(Call::Token, e).with_operation(OPERATION))?;
    if !response.status().is_success() {
        return Err(error_map::from_response(Call::Token, &response).with_operation(OPERATION));
    }
    Ok(())
}
