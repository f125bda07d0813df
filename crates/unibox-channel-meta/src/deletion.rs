//! Meta's Data Deletion Request and Deauthorize callbacks: verify the `signed_request`, map
//! the app-scoped user id to stored contacts, record the request, answer with the status URL
//! and confirmation code Meta requires.

use std::fmt;
use std::sync::Arc;

use http::Method;
use unibox_core::channel::{WebhookRequest, WebhookResponse, hex, signature};
use unibox_core::lifecycle::LifecycleJob;
use unibox_core::privacy::{
    DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyCallback, PrivacyRequestKind,
};
use unibox_core::{Clock, Error, ErrorKind, Result, SystemClock, TenantId};
use url::Url;

use crate::{AppSecret, SignedRequest, parse_signed_request};

/// The largest callback body read: a form with one `signed_request`.
const MAX_CALLBACK_BODY: usize = 16 * 1024;

/// The platform name requests and links are recorded under.
pub const META_PLATFORM: &str = "meta";

/// What Meta requires in answer to a data-deletion callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionCallbackResponse {
    /// The page where the user follows the deletion.
    pub url: Url,
    /// The code the user can quote.
    pub confirmation_code: String,
}

impl DeletionCallbackResponse {
    /// `200` with `{"url": ..., "confirmation_code": ...}` as `application/json`.
    pub fn to_webhook_response(&self) -> WebhookResponse {
        WebhookResponse::json(
            200,
            &serde_json::json!({ "url": self.url.as_str(), "confirmation_code": self.confirmation_code }),
        )
    }
}

/// Handles Meta's Data Deletion Request Callback and Deauthorize Callback for one Meta app.
///
/// A Meta app may serve several tenants; the callback names only the app-scoped user id, so
/// the request is recorded in every tenant where that id is linked to contacts (see
/// [`DeletionRequestStore::link_platform_user`]), or in the first tenant with no contacts
/// when no tenant knows the id (an operator then maps it by hand). The confirmation code is
/// derived from the app secret, the user id and `issued_at`, so a redelivered callback finds
/// the same request instead of opening another, and nobody without the secret can guess one.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use unibox_channel_meta::{sign_request, AppSecret, DataDeletionCallback};
/// use unibox_core::channel::WebhookRequest;
/// use unibox_core::memory::MemoryDeletionRequests;
/// use unibox_core::privacy::DeletionRequestStore;
/// let store = Arc::new(MemoryDeletionRequests::new());
/// let tenant = "acme".parse().unwrap();
/// let callback = DataDeletionCallback::new(
///     AppSecret::new("appsecret"),
///     vec![tenant],
///     "https://inbox.example.com/privacy/meta-deletion".parse().unwrap(),
///     store.clone(),
/// );
/// let signed = sign_request(&AppSecret::new("appsecret"), br#"{"algorithm":"HMAC-SHA256","issued_at":1700000000,"user_id":"1234567890"}"#);
/// let request = WebhookRequest::post("https://inbox.example.com/meta/delete".parse().unwrap(), format!("signed_request={signed}"));
/// let answer = callback.handle_deletion(&request).await.unwrap();
/// assert!(answer.url.as_str().starts_with("https://inbox.example.com/privacy/meta-deletion?code="));
/// let recorded = callback.status(&answer.confirmation_code).await.unwrap().unwrap();
/// assert_eq!(recorded.platform_user_id, "1234567890");
/// # });
/// ```
pub struct DataDeletionCallback {
    secrets: Vec<AppSecret>,
    tenants: Vec<TenantId>,
    status_url: Url,
    store: Arc<dyn DeletionRequestStore>,
    clock: Arc<dyn Clock>,
    erasure: Option<LifecycleJob>,
}

impl DataDeletionCallback {
    /// A handler for the app signed by `secret`, recording in `tenants` (the first one holds
    /// requests for unknown users), answering with `status_url?code=<confirmation code>`.
    pub fn new(
        secret: AppSecret,
        tenants: Vec<TenantId>,
        status_url: Url,
        store: Arc<dyn DeletionRequestStore>,
    ) -> Self {
        DataDeletionCallback {
            secrets: vec![secret],
            tenants,
            status_url,
            store,
            clock: Arc::new(SystemClock),
            erasure: None,
        }
    }

    /// Also accepts requests signed with `secret` (while the app secret is rotated).
    pub fn with_additional_secret(mut self, secret: AppSecret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Reads time from `clock` (default: the system clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Starts the erasure of the contacts a request names as soon as it is recorded, with
    /// `job` (built over the same store), instead of leaving it to the job's next pass. The
    /// status page then shows it in progress and completed.
    pub fn with_erasure(mut self, job: LifecycleJob) -> Self {
        self.erasure = Some(job);
        self
    }

    /// Handles a Data Deletion Request Callback (a POST form with `signed_request`): records a
    /// deletion request (starting its erasure when built [`with_erasure`](Self::with_erasure))
    /// and returns what Meta must get back ([`DeletionCallbackResponse::to_webhook_response`]).
    pub async fn handle_deletion(&self, request: &WebhookRequest) -> Result<DeletionCallbackResponse> {
        let signed = self.signed_request(request)?;
        let recorded = self.record(&signed, PrivacyRequestKind::DataDeletion).await?;
        if let Some(job) = &self.erasure {
            for tenant in &self.tenants {
                if self.store.get(tenant, &recorded.confirmation_code).await?.is_some_and(|r| !r.contacts.is_empty()) {
                    drop(job.start_requests(tenant.clone()));
                }
            }
        }
        let mut url = self.status_url.clone();
        url.query_pairs_mut().append_pair("code", &recorded.confirmation_code);
        Ok(DeletionCallbackResponse { url, confirmation_code: recorded.confirmation_code })
    }

    /// Handles a Deauthorize Callback: records that the user removed the app. Answer `200`.
    pub async fn handle_deauthorization(&self, request: &WebhookRequest) -> Result<DeletionRequest> {
        let signed = self.signed_request(request)?;
        self.record(&signed, PrivacyRequestKind::Deauthorization).await
    }

    /// The recorded request with `confirmation_code`, searched in this app's tenants.
    pub async fn status(&self, confirmation_code: &str) -> Result<Option<DeletionRequest>> {
        if confirmation_code.is_empty()
            || confirmation_code.len() > 64
            || !confirmation_code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Ok(None);
        }
        for tenant in &self.tenants {
            if let Some(found) = self.store.get(tenant, confirmation_code).await? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The human-readable status page Meta requires, for a `GET status_url?code=...`: `200`
    /// with the status sentence, or `404` for an unknown code.
    pub async fn status_page(&self, request: &WebhookRequest) -> Result<WebhookResponse> {
        let code = request.query("code").unwrap_or_default();
        Ok(match self.status(&code).await? {
            Some(found) => {
                let completed = found.completed_at().map(|at| format!("Completed: {at}\n")).unwrap_or_default();
                WebhookResponse::text(
                    200,
                    format!(
                        "Data deletion request {}\nReceived: {}\nStatus: {}\n{completed}",
                        found.confirmation_code,
                        found.requested_at,
                        found.status.describe()
                    ),
                )
            }
            None => WebhookResponse::text(404, "No data deletion request has this confirmation code.\n"),
        })
    }

    fn signed_request(&self, request: &WebhookRequest) -> Result<SignedRequest> {
        let refused = |message: &'static str| Error::new(ErrorKind::SignatureInvalid, message);
        if request.method != Method::POST {
            return Err(refused("Meta sends privacy callbacks as POST").with_operation("meta.deletion"));
        }
        if request.body.len() > MAX_CALLBACK_BODY {
            return Err(Error::new(ErrorKind::PayloadTooLarge, "the callback body is too large")
                .with_operation("meta.deletion"));
        }
        let signed = url::form_urlencoded::parse(&request.body)
            .find(|(name, _)| name == "signed_request")
            .map(|(_, value)| value.into_owned())
            .ok_or_else(|| refused("the callback has no signed_request field").with_operation("meta.deletion"))?;
        parse_signed_request(&signed, &self.secrets)
    }

    fn confirmation_code(&self, signed: &SignedRequest, kind: PrivacyRequestKind) -> String {
        let issued = signed.issued_at.map(|t| t.as_unix_seconds()).unwrap_or_default().to_string();
        let key = self.secrets.first().map(AppSecret::key).unwrap_or_default();
        let tag = signature::hmac_sha256(
            key,
            &[
                b"unibox-meta-privacy:",
                kind.as_str().as_bytes(),
                b":",
                signed.user_id.as_bytes(),
                b":",
                issued.as_bytes(),
            ],
        );
        hex::encode(&tag[..12])
    }

    async fn record(&self, signed: &SignedRequest, kind: PrivacyRequestKind) -> Result<DeletionRequest> {
        let Some(home) = self.tenants.first() else {
            return Err(Error::new(ErrorKind::Configuration, "the deletion callback serves no tenant")
                .with_operation("meta.deletion"));
        };
        let code = self.confirmation_code(signed, kind);
        let now = self.clock.now();
        let mut known = Vec::new();
        for tenant in &self.tenants {
            let contacts = self.store.linked_contacts(tenant, META_PLATFORM, &signed.user_id).await?;
            if !contacts.is_empty() {
                known.push((tenant, contacts));
            }
        }
        if known.is_empty() {
            known.push((home, Vec::new()));
        }
        let mut first = None;
        for (tenant, contacts) in known {
            let request = DeletionRequest {
                tenant: tenant.clone(),
                confirmation_code: code.clone(),
                kind,
                platform: META_PLATFORM.to_owned(),
                platform_user_id: signed.user_id.clone(),
                contacts,
                status: DeletionStatus::Received,
                requested_at: now,
                updated_at: now,
            };
            let stored = self.store.open(request).await?;
            tracing::info!(target: "unibox::privacy", tenant = %tenant, kind = kind.as_str(), code = %stored.confirmation_code, "Meta privacy request recorded");
            first.get_or_insert(stored);
        }
        first.ok_or_else(|| Error::new(ErrorKind::Unexpected, "no tenant recorded the request"))
    }
}

#[async_trait::async_trait]
impl PrivacyCallback for DataDeletionCallback {
    async fn deletion(&self, request: &WebhookRequest) -> Result<WebhookResponse> {
        Ok(self.handle_deletion(request).await?.to_webhook_response())
    }

    async fn deauthorization(&self, request: &WebhookRequest) -> Result<WebhookResponse> {
        self.handle_deauthorization(request).await?;
        Ok(WebhookResponse::text(200, "ok\n"))
    }

    async fn status(&self, request: &WebhookRequest) -> Result<WebhookResponse> {
        self.status_page(request).await
    }
}

impl fmt::Debug for DataDeletionCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataDeletionCallback")
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("tenants", &self.tenants)
            .field("status_url", &self.status_url.as_str())
            .field("store", &self.store)
            .field("starts_erasure", &self.erasure.is_some())
            .finish_non_exhaustive()
    }
}
