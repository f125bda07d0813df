//! [`TwilioConfig`]: the Twilio account, the public webhook URL Twilio signs, and where the API is.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

/// Twilio's REST API host.
pub const DEFAULT_API_BASE_URL: &str = "https://api.twilio.com/";

/// A configured public webhook URL, split the way the signature check needs it: the origin
/// written both without and with its port (Twilio's own validator accepts either), and the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SignedUrl {
    /// `https://inbox.example.com` (any port left out).
    pub(crate) origin_without_port: String,
    /// `https://inbox.example.com:443` (the explicit or default port).
    pub(crate) origin_with_port: String,
    /// `/webhooks/twilio`.
    pub(crate) path: String,
}

impl SignedUrl {
    fn of(url: &Url) -> Result<Self> {
        let invalid = |why: &str| {
            Err(Error::new(ErrorKind::Configuration, format!("the Twilio webhook URL {}: {why}", display_url(url))))
        };
        if !matches!(url.scheme(), "https" | "http") {
            return invalid("it must be an http or https URL");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return invalid("it must not carry credentials (Twilio signs the URL without them)");
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return invalid("it has no host");
        };
        let origin_without_port = format!("{}://{host}", url.scheme());
        let origin_with_port = format!("{origin_without_port}:{port}");
        Ok(SignedUrl { origin_without_port, origin_with_port, path: url.path().to_owned() })
    }
}

/// A URL for messages and errors: scheme, host, port and path, never user info or a query.
pub(crate) fn display_url(url: &Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}{}", url.scheme(), url.host_str().unwrap_or(""), url.path())
}

/// The configuration of a [`TwilioChannel`](crate::TwilioChannel): one Twilio account (or
/// subaccount) and the public URL its webhooks are sent to.
///
/// - The **Account SID** (`AC…`) names the account in every API path; a channel that only
///   verifies and parses webhooks (offline inspection) does without it.
/// - The **Auth Token** signs every webhook (`X-Twilio-Signature`); give the secondary token too
///   while rotating it. API keys cannot check webhooks, so the Auth Token is needed here even
///   when sends use an API key (send credentials come from the token store, see
///   [`TwilioCredentials`](crate::TwilioCredentials)).
/// - The **webhook URL** is the public URL exactly as entered in the Twilio Console (and sent as
///   `StatusCallback`). It is configured, never read from the request's `Host` header, because
///   a reverse proxy changes scheme, host and port, and Twilio signs the URL it called.
///
/// ```
/// use unibox_channel_twilio::TwilioConfig;
/// let config = TwilioConfig::builder()
///     .account_sid("AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c")
///     .auth_token("9c1f0e2d3b4a59687f6e5d4c3b2a1908")
///     .webhook_url("https://inbox.example.com/webhooks/twilio")
///     .build()
///     .unwrap();
/// assert_eq!(config.account_sid(), Some("AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"));
/// assert!(!format!("{config:?}").contains("9c1f0e2d"));
/// // The URL must be given: it is what Twilio signs.
/// assert!(TwilioConfig::builder().account_sid("AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c").auth_token("t").build().is_err());
/// // Verifying and parsing alone (offline inspection) need only the token and the URL.
/// let inspect = TwilioConfig::builder().auth_token("t").webhook_url("https://inbox.example.com/webhooks/twilio").build();
/// assert!(inspect.is_ok());
/// ```
#[derive(Clone)]
pub struct TwilioConfig {
    pub(crate) account_sid: Option<String>,
    pub(crate) auth_tokens: Vec<SecretString>,
    pub(crate) webhook_urls: Vec<Url>,
    pub(crate) signed_urls: Vec<SignedUrl>,
    pub(crate) status_callback_url: Option<Url>,
    pub(crate) api_base_url: Url,
    pub(crate) whatsapp_window: bool,
    pub(crate) content_templates: BTreeMap<String, String>,
}

impl TwilioConfig {
    /// A builder.
    pub fn builder() -> TwilioConfigBuilder {
        TwilioConfigBuilder::default()
    }

    /// The Account SID (`AC…`), when configured.
    pub fn account_sid(&self) -> Option<&str> {
        self.account_sid.as_deref()
    }

    /// The public webhook URLs webhooks are checked against.
    pub fn webhook_urls(&self) -> &[Url] {
        &self.webhook_urls
    }

    /// The `StatusCallback` URL sends ask Twilio to report to: the one configured, else the
    /// first webhook URL; `None` when sends should not ask for callbacks.
    pub fn status_callback_url(&self) -> Option<&Url> {
        self.status_callback_url.as_ref()
    }

    /// The API base URL.
    pub fn api_base_url(&self) -> &Url {
        &self.api_base_url
    }

    /// Whether the channel declares WhatsApp's 24-hour window (it serves WhatsApp senders only).
    pub fn whatsapp_window(&self) -> bool {
        self.whatsapp_window
    }

    /// The Content SID (`HX…`) registered for a template name.
    pub fn content_sid(&self, template: &str) -> Option<&str> {
        self.content_templates.get(template).map(String::as_str)
    }
}

impl fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<String> = self.webhook_urls.iter().map(display_url).collect();
        f.debug_struct("TwilioConfig")
            .field("account_sid", &self.account_sid)
            .field("auth_tokens", &format_args!("[{} redacted]", self.auth_tokens.len()))
            .field("webhook_urls", &urls)
            .field("status_callback_url", &self.status_callback_url.as_ref().map(display_url))
            .field("api_base_url", &display_url(&self.api_base_url))
            .field("whatsapp_window", &self.whatsapp_window)
            .field("content_templates", &self.content_templates)
            .finish()
    }
}

/// Builds a [`TwilioConfig`]; [`build`](Self::build) checks it.
#[derive(Clone, Default)]
pub struct TwilioConfigBuilder {
    account_sid: Option<String>,
    auth_tokens: Vec<SecretString>,
    webhook_urls: Vec<String>,
    status_callback_url: Option<String>,
    no_status_callback: bool,
    api_base_url: Option<Url>,
    whatsapp_window: bool,
    content_templates: BTreeMap<String, String>,
}

impl TwilioConfigBuilder {
    /// The Account SID (`AC` and 32 hex digits; Console › Account info), needed to send and to
    /// download media. For a subaccount, its own SID.
    pub fn account_sid(mut self, sid: impl Into<String>) -> Self {
        self.account_sid = Some(sid.into());
        self
    }

    /// The Auth Token that signs webhooks (Console › Account info). Call twice while rotating:
    /// webhooks signed with either verify.
    pub fn auth_token(mut self, token: impl Into<SecretString>) -> Self {
        self.auth_tokens.push(token.into());
        self
    }

    /// The public URL Twilio calls, exactly as entered in the Console (the number's or
    /// WhatsApp sender's "A message comes in" URL). Call again for each other URL pointing at
    /// this channel (a fallback URL, a separate status callback URL). Only its scheme, host,
    /// port and path are used: the query string is the one each request arrives with, which
    /// Twilio signs too.
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_urls.push(url.into());
        self
    }

    /// The `StatusCallback` URL sent with every message (default: the first webhook URL). It
    /// must point at this channel too, so give it to [`webhook_url`](Self::webhook_url) as well
    /// when it differs.
    pub fn status_callback_url(mut self, url: impl Into<String>) -> Self {
        self.status_callback_url = Some(url.into());
        self
    }

    /// Sends without a `StatusCallback` (delivery reports then come only from a Messaging
    /// Service's own callback URL, if any).
    pub fn without_status_callback(mut self) -> Self {
        self.no_status_callback = true;
        self
    }

    /// Calls another host (a fake one in tests, a proxy) instead of `https://api.twilio.com/`.
    pub fn api_base_url(mut self, url: Url) -> Self {
        self.api_base_url = Some(url);
        self
    }

    /// Declares WhatsApp's 24-hour customer-service window, so the hub refuses a free-form
    /// message outside it before calling Twilio (send a template instead). Use it when this
    /// channel serves WhatsApp senders only: SMS has no window. Without it, Twilio's own
    /// refusal (error 63016) is reported as `MessagingWindowClosed`.
    pub fn whatsapp_window(mut self, declared: bool) -> Self {
        self.whatsapp_window = declared;
        self
    }

    /// Registers a Content Template: `Content::Template { name, .. }` sends `content_sid`
    /// (`HX…`, Console › Messaging › Content Template Builder). A template name that already is
    /// a Content SID needs no registration.
    pub fn content_template(mut self, name: impl Into<String>, content_sid: impl Into<String>) -> Self {
        self.content_templates.insert(name.into(), content_sid.into());
        self
    }

    /// Checks and builds: an Account SID (when given) of the form `AC` + 32 hex digits, at least one
    /// non-empty Auth Token, at least one http(s) webhook URL without credentials.
    pub fn build(self) -> Result<TwilioConfig> {
        let configuration = |message: String| Err(Error::new(ErrorKind::Configuration, message));
        if let Some(sid) = self.account_sid.as_deref().filter(|sid| !is_sid(sid, "AC")) {
            return configuration(format!("{sid:?} is not a Twilio Account SID (AC and 32 hex digits)"));
        }
        if self.auth_tokens.is_empty() {
            return configuration("the Twilio channel needs the Auth Token to verify webhooks".into());
        }
        if self.auth_tokens.iter().any(|t| t.expose_secret().is_empty()) {
            return configuration("a Twilio Auth Token is empty".into());
        }
        if self.webhook_urls.is_empty() {
            return configuration(
                "the Twilio channel needs its public webhook URL, exactly as entered in the Twilio Console: \
                 Twilio signs it"
                    .into(),
            );
        }
        let parse = |text: &str| {
            Url::parse(text).map_err(|e| {
                Error::new(ErrorKind::Configuration, format!("the Twilio webhook URL is not a valid URL: {e}"))
            })
        };
        let mut webhook_urls = Vec::with_capacity(self.webhook_urls.len());
        let mut signed_urls = Vec::with_capacity(self.webhook_urls.len());
        for text in &self.webhook_urls {
            let mut url = parse(text)?;
            // Connection overrides (`#rc=3`) are never sent in the request.
            url.set_fragment(None);
            signed_urls.push(SignedUrl::of(&url)?);
            webhook_urls.push(url);
        }
        let status_callback_url = match (self.no_status_callback, self.status_callback_url) {
            (true, _) => None,
            (false, Some(text)) => {
                let url = parse(&text)?;
                SignedUrl::of(&url)?;
                Some(url)
            }
            (false, None) => webhook_urls.first().cloned(),
        };
        for (name, sid) in &self.content_templates {
            if !is_sid(sid, "HX") {
                return configuration(format!(
                    "the Content SID of template {name:?} must be HX and 32 hex digits, not {sid:?}"
                ));
            }
        }
        let api_base_url = match self.api_base_url {
            Some(url) => url,
            None => Url::parse(DEFAULT_API_BASE_URL)
                .map_err(|e| Error::new(ErrorKind::Configuration, format!("the default Twilio API URL: {e}")))?,
        };
        Ok(TwilioConfig {
            account_sid: self.account_sid,
            auth_tokens: self.auth_tokens,
            webhook_urls,
            signed_urls,
            status_callback_url,
            api_base_url,
            whatsapp_window: self.whatsapp_window,
            content_templates: self.content_templates,
        })
    }
}

impl fmt::Debug for TwilioConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioConfigBuilder")
            .field("account_sid", &self.account_sid)
            .field("auth_tokens", &self.auth_tokens.len())
            .field("webhook_urls", &self.webhook_urls.len())
            .finish_non_exhaustive()
    }
}

/// Whether `sid` is a Twilio SID of the given prefix: two letters and 32 hex digits.
pub(crate) fn is_sid(sid: &str, prefix: &str) -> bool {
    sid.len() == 34 && sid.starts_with(prefix) && sid.bytes().skip(2).all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";

    #[test]
    fn ports_and_paths_are_split_for_the_signature() {
        let url = Url::parse("https://inbox.example.com/webhooks/twilio?tenant=acme").unwrap();
        let signed = SignedUrl::of(&url).unwrap();
        assert_eq!(signed.origin_without_port, "https://inbox.example.com");
        assert_eq!(signed.origin_with_port, "https://inbox.example.com:443");
        assert_eq!(signed.path, "/webhooks/twilio");
        let custom = SignedUrl::of(&Url::parse("http://inbox.example.com:8080/t").unwrap()).unwrap();
        assert_eq!(custom.origin_with_port, "http://inbox.example.com:8080");
    }

    #[test]
    fn bad_configurations_are_refused_at_build() {
        let base = || TwilioConfig::builder().account_sid(SID).auth_token("tok");
        assert!(base().webhook_url("https://inbox.example.com/t").build().is_ok());
        assert!(base().webhook_url("ftp://inbox.example.com/t").build().is_err());
        assert!(base().webhook_url("https://user:pw@inbox.example.com/t").build().is_err());
        assert!(base().webhook_url("not a url").build().is_err());
        let bad_sid = TwilioConfig::builder().account_sid("AC123").auth_token("t").webhook_url("https://x.example/");
        assert!(bad_sid.build().is_err());
        let bad_template = base().webhook_url("https://x.example/").content_template("order_shipped", "order_shipped");
        assert!(bad_template.build().is_err());
        let no_callback = base().webhook_url("https://x.example/").without_status_callback().build().unwrap();
        assert!(no_callback.status_callback_url().is_none());
    }
}
