//! A trial inbox for the API tests: SQLite in a temporary directory, a LINE channel whose
//! send API is a fake server on loopback, two tenants, and demo users.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tower::ServiceExt;
use unibox_agent_api::{AgentApi, PasswordVerifier};
use unibox_channel_line::{LineChannel, LineConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::session::{SessionConfig, SessionManager, Totp};
use unibox_core::store::Store;
use unibox_core::{
    Actor, ChannelAccount, ChannelId, ChannelKind, Hub, ManualClock, Result, Role, TenantId, Timestamp, TokenSet,
    UserId,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

pub const LINE_SECRET: &str = "line-channel-secret-for-tests";
/// The LINE official accounts of the two tenants.
pub const ACME_OA: &str = "U4af4980629c37e7b3ad0a4e2e0a8b2ed";
pub const GLOBEX_OA: &str = "U0c1d2e3f40c1d2e3f40c1d2e3f40c1d2";

/// The application's users: (tenant, user) → (password, role).
#[derive(Debug, Default)]
pub struct Users(HashMap<(String, String), (String, Role)>, Option<String>);

impl Users {
    pub fn demo() -> Users {
        let mut users = HashMap::new();
        for (tenant, user, role) in [
            ("acme", "ann", Role::Admin),
            ("acme", "bob", Role::Agent),
            ("acme", "vic", Role::Viewer),
            ("globex", "gus", Role::Admin),
        ] {
            users.insert((tenant.to_string(), user.to_string()), (format!("{user}-password"), role));
        }
        Users(users, None)
    }

    /// Every user's TOTP secret (base32).
    pub fn with_totp(mut self, base32: &str) -> Users {
        self.1 = Some(base32.to_string());
        self
    }
}

#[async_trait]
impl PasswordVerifier for Users {
    async fn verify(&self, tenant: &TenantId, user: &UserId, password: &SecretString) -> Result<Option<Role>> {
        let known = self.0.get(&(tenant.to_string(), user.to_string()));
        Ok(known.filter(|(right, _)| right == password.expose_secret()).map(|(_, role)| *role))
    }
    async fn totp(&self, _tenant: &TenantId, _user: &UserId) -> Result<Option<Totp>> {
        self.1.as_deref().map(Totp::from_base32).transpose()
    }
}

pub struct Trial {
    pub hub: Hub,
    pub api: AgentApi,
    pub router: Router,
    pub line_api: FakeServer,
    pub session_clock: ManualClock,
    pub channel: ChannelId,
    _dir: tempfile::TempDir,
}

impl Trial {
    pub async fn start() -> Trial {
        Trial::start_with(SessionConfig::default(), Users::demo()).await
    }

    pub async fn start_with(config: SessionConfig, users: Users) -> Trial {
        let dir = tempfile::tempdir().unwrap();
        let keys = unibox_vault::StoreKeys::try_from(
            unibox_vault::Keyring::parse(&unibox_vault::Keyring::generate_entry(1)).unwrap(),
        )
        .unwrap();
        let store: Store =
            unibox_store_sqlite::SqliteStore::open(dir.path().join("inbox.db"), keys).await.unwrap().into();
        let line_api = FakeServer::start().await.unwrap();
        line_api.respond_with(|request| {
            // The profile API: every customer is "Somchai", with a picture.
            if let Some(user) = request.path().strip_prefix("/v2/bot/profile/") {
                return ScriptedResponse::json(
                    200,
                    &json!({ "userId": user, "displayName": "Somchai", "pictureUrl": format!("https://profile.line-scdn.net/{user}") }),
                );
            }
            let text = request.json().ok().and_then(|j| j["messages"][0]["text"].as_str().map(str::to_string));
            if text.as_deref() == Some("please fail") {
                return ScriptedResponse::json(400, &json!({ "message": "The request body has 1 error(s)" }));
            }
            ScriptedResponse::json(200, &json!({ "sentMessages": [{ "id": "461230966842064897", "quoteToken": "q" }] }))
        });
        let config_line =
            LineConfig::builder().channel_secret(LINE_SECRET).api_base_url(line_api.url_for("/")).build().unwrap();
        let line = LineChannel::new(config_line).with_http_client(Arc::new(unibox_core::http::ReqwestClient::new()));
        let channel: ChannelId = "line".parse().unwrap();
        let sessions_store = store.sessions.clone().unwrap();
        let audit = store.audit.clone();
        let hub = Hub::builder(store).channel(channel.clone(), Arc::new(line)).build();
        for (tenant, oa) in [("acme", ACME_OA), ("globex", GLOBEX_OA)] {
            let tenant: TenantId = tenant.parse().unwrap();
            let admin = Actor::user(tenant.clone(), "setup".parse().unwrap(), Role::Admin);
            let account = ChannelAccount::new(tenant, channel.clone(), ChannelKind::LINE, oa, Timestamp::now())
                .with_display_name("Acme Store");
            hub.connect_account(&admin, account, Some(TokenSet::new("line-access-token"))).await.unwrap();
        }
        let session_clock = ManualClock::new(Timestamp::now());
        let sessions =
            SessionManager::new(sessions_store, config).unwrap().clock(Arc::new(session_clock.clone())).audit(audit);
        let api = AgentApi::new(hub.clone(), Arc::new(sessions), Arc::new(users));
        let router = Router::new().nest("/api", api.router());
        Trial { hub, api, router, line_api, session_clock, channel, _dir: dir }
    }

    /// The same trial with the API changed by `change` (a throttle, a check interval).
    pub fn reconfigure(mut self, change: impl FnOnce(AgentApi) -> AgentApi) -> Trial {
        self.api = change(self.api.clone());
        self.router = Router::new().nest("/api", self.api.router());
        self
    }

    /// A LINE customer writes to `oa`: a signed webhook through the hub.
    pub async fn customer_writes(&self, oa: &str, user: &str, n: u64, message: Value) {
        let now = Timestamp::now().as_unix_millis();
        let mut message = message;
        message["id"] = json!(format!("{n}{now}"));
        let body = json!({
            "destination": oa,
            "events": [{
                "type": "message",
                "message": message,
                "webhookEventId": format!("01TEST{n}X{now}"),
                "deliveryContext": { "isRedelivery": false },
                "timestamp": now,
                "source": { "type": "user", "userId": user },
                "replyToken": format!("reply-{n}-{now}"),
                "mode": "active"
            }]
        })
        .to_string();
        let signature = unibox_channel_line::signature_header(LINE_SECRET, body.as_bytes());
        let request = WebhookRequest::post("http://127.0.0.1/webhooks/line".parse().unwrap(), body)
            .with_header("x-line-signature", &signature)
            .with_header("content-type", "application/json");
        let response = self.hub.handle_webhook(&self.channel, request).await;
        assert_eq!(response.status, 200, "the webhook is accepted");
    }

    pub async fn text_from(&self, oa: &str, user: &str, n: u64, text: &str) {
        self.customer_writes(oa, user, n, json!({ "type": "text", "quoteToken": "q", "text": text })).await;
    }

    /// Signs in with a password; the session's bearer token.
    pub async fn bearer(&self, tenant: &str, user: &str) -> String {
        let body = json!({ "tenant": tenant, "user": user, "password": format!("{user}-password"), "bearer": true });
        let (status, json) = self.call("POST", "/api/session", None, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
        json["token"].as_str().unwrap().to_string()
    }

    /// One request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request.header("content-type", "application/json").body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.send(request).await
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        (status, json)
    }

    /// The acme inbox rows an admin sees.
    pub async fn rows(&self, token: &str, query: &str) -> Vec<Value> {
        let (status, json) = self.call("GET", &format!("/api/conversations{query}"), Some(token), None).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["items"].as_array().unwrap().clone()
    }

    /// Waits until `check` holds (the outbox sends in the background).
    pub async fn eventually(&self, mut check: impl AsyncFnMut() -> bool) {
        for _ in 0..100 {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the condition did not hold within 5 s");
    }
}

/// The kind of a typed error answer.
pub fn error_kind(json: &Value) -> &str {
    json["error"]["kind"].as_str().unwrap_or("(not a typed error)")
}
