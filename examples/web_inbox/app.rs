//! The web inbox trial, assembled: shared by `examples/web_inbox.rs` and the browser test.
//!
//! One SQLite file in a directory, a hub with three sandbox channels (LINE, Messenger and a
//! Standard Webhooks web shop) whose send APIs are fake servers on loopback, demo users, the
//! agent API under `/api`, the channels' webhook routes under `/webhooks/{channel}`, the page
//! at `/`, and `/sandbox/simulate`, which posts signed webhooks as a customer would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{FromRef, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use unibox::channels::webhook::{WebhookChannel, WebhookSecret};
use unibox::http::ReqwestClient;
use unibox::secrecy::{ExposeSecret, SecretString};
use unibox::session::{SessionConfig, SessionManager, Totp};
use unibox::store::sqlite::SqliteStore;
use unibox::vault::{Keyring, StoreKeys};
use unibox::workflow::Agent;
use unibox::{Actor, ChannelAccount, ChannelId, ChannelKind, Hub, Role, TenantId, Timestamp, TokenSet, UserId};
use unibox_agent_api::{AgentApi, AgentSession, ApiError, PasswordVerifier};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

/// The demo tenant.
pub(crate) const TENANT: &str = "demo";
/// Every demo user's password. Public: this is a local trial, never a real deployment.
pub(crate) const DEMO_PASSWORD: &str = "demo";
/// The demo users: (user, role).
pub(crate) const USERS: [(&str, Role); 3] = [("ada", Role::Admin), ("sam", Role::Agent), ("vic", Role::Viewer)];

/// The sandbox secrets. Public: never use them for a real sender.
const LINE_SECRET: &str = "sandbox-line-channel-secret";
const MESSENGER_SECRET: &str = "sandbox-meta-app-secret";
const WEB_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The sandbox accounts' platform ids.
const LINE_OA: &str = "U4af4980629c37e7b3ad0a4e2e0a8b2ed";
const PAGE_ID: &str = "104729301234567";
const SHOP_ID: &str = "demo-web-shop";

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");
const SAMPLE_SVG: &str = include_str!("assets/sample.svg");

/// The sandbox customers: platform user id → the name the "simulate customer" panel gave,
/// which the fake profile APIs answer with (as LINE and Graph would).
type Customers = Arc<Mutex<HashMap<String, String>>>;

/// A running trial.
pub(crate) struct WebInbox {
    /// Where the page is.
    pub(crate) addr: SocketAddr,
    /// The database file.
    pub(crate) database: PathBuf,
    /// The fake LINE Messaging API and web-shop receiver.
    pub(crate) sandbox: FakeServer,
    /// The fake Graph API (Messenger Send API).
    pub(crate) graph: FakeServer,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    delivery: Option<unibox::delivery::WorkerHandle>,
    profiles: Option<unibox::profiles::ProfileWorkerHandle>,
}

impl WebInbox {
    /// Stops the server and the delivery worker.
    pub(crate) async fn stop(mut self) {
        self.server.abort();
        if let Some(delivery) = self.delivery.take() {
            delivery.shutdown().await;
        }
        if let Some(profiles) = self.profiles.take() {
            profiles.shutdown().await;
        }
    }
}

/// The demo users' passwords, checked the way an application would (here: one shared demo
/// password, compared in constant time).
#[derive(Debug)]
struct DemoUsers;

#[async_trait::async_trait]
impl PasswordVerifier for DemoUsers {
    async fn verify(&self, tenant: &TenantId, user: &UserId, password: &SecretString) -> unibox::Result<Option<Role>> {
        use subtle::ConstantTimeEq;
        let right = bool::from(password.expose_secret().as_bytes().ct_eq(DEMO_PASSWORD.as_bytes()));
        let role = USERS.iter().find(|(name, _)| *name == user.as_str()).map(|(_, role)| *role);
        Ok(role.filter(|_| right && tenant.as_str() == TENANT))
    }
    async fn totp(&self, _tenant: &TenantId, _user: &UserId) -> unibox::Result<Option<Totp>> {
        Ok(None)
    }
}

/// The page's server state.
#[derive(Clone)]
struct Demo {
    /// The channels configured with real accounts (never simulated).
    real: Vec<&'static str>,
    api: AgentApi,
    http: reqwest::Client,
    base: String,
    /// Message ids the fake Graph API handed out, for simulated delivery receipts.
    graph_mids: Arc<Mutex<Vec<String>>>,
    customers: Customers,
}

impl FromRef<Demo> for AgentApi {
    fn from_ref(demo: &Demo) -> AgentApi {
        demo.api.clone()
    }
}

/// Starts the trial: the database in `dir` (created if missing), the page on `listen`.
pub(crate) async fn start(dir: &Path, listen: SocketAddr) -> Result<WebInbox, Box<dyn std::error::Error>> {
    let line = RealAccount::from_env("LINE")?;
    let messenger = RealAccount::from_env("MESSENGER")?;
    start_with(dir, listen, line, messenger).await
}

/// [`start`] with the real LINE and Messenger accounts given (`None`: the sandbox fake).
pub(crate) async fn start_with(
    dir: &Path,
    listen: SocketAddr,
    real_line: Option<RealAccount>,
    real_messenger: Option<RealAccount>,
) -> Result<WebInbox, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let database = dir.join("web-inbox.db");
    let keys_file = dir.join("web-inbox.vault-keys");
    if !keys_file.exists() {
        std::fs::write(&keys_file, Keyring::generate_entry(1))?;
    }
    let store = SqliteStore::open(&database, StoreKeys::from_file(&keys_file)?).await?;
    let store: unibox::store::Store = store.into();
    let sessions_store = store.sessions.clone().ok_or("the SQLite store keeps sessions")?;
    let audit = store.audit.clone();

    // The page's address first: the fake profile APIs hand out avatar URLs on it.
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let customers: Customers = Arc::default();
    let (sandbox, graph, graph_mids) = start_fakes(&base, customers.clone()).await?;
    let http = Arc::new(ReqwestClient::new());
    let line = {
        use unibox_channel_line::{LineChannel, LineConfig};
        let config = match &real_line {
            Some(real) => {
                let builder = LineConfig::builder().channel_secret(real.secret.expose_secret());
                match &real.api_base {
                    Some(base) => builder.api_base_url(base.parse::<reqwest::Url>()?).build()?,
                    None => builder.build()?,
                }
            }
            None => {
                LineConfig::builder().channel_secret(LINE_SECRET).api_base_url(sandbox.url_for("/line/")).build()?
            }
        };
        LineChannel::new(config).with_http_client(http.clone())
    };
    let messenger = match &real_messenger {
        Some(real) => {
            let builder = unibox_channel_messenger::builder()
                .app_secret(unibox_channel_messenger::AppSecret::from(real.secret.clone()))
                .verify_token(real.verify_token.clone().ok_or("set UNIBOX_MESSENGER_VERIFY_TOKEN")?)
                .http_client(http.clone());
            match &real.api_base {
                Some(base) => builder.graph_base_url(base.parse::<reqwest::Url>()?).build()?,
                None => builder.build()?,
            }
        }
        None => unibox_channel_messenger::builder()
            .app_secret(unibox_channel_messenger::AppSecret::from(SecretString::from(MESSENGER_SECRET)))
            .verify_token("sandbox-verify-token")
            .http_client(http.clone())
            .graph_base_url(graph.url())
            .build()?,
    };
    let web = WebhookChannel::builder()
        .secret(WEB_SECRET)?
        .http_client(http.clone())
        .send_to(sandbox.url_for("/web-shop/outbound"))
        .build()?;
    let hub = Hub::builder(store)
        .channel("line".parse()?, Arc::new(line))
        .channel("messenger".parse()?, Arc::new(messenger))
        .channel("web".parse()?, Arc::new(web))
        .build();

    let tenant: TenantId = TENANT.parse()?;
    let admin = Actor::user(tenant.clone(), "ada".parse()?, Role::Admin);
    let mut real = Vec::new();
    for (channel, kind, id, name, configured) in [
        ("line", ChannelKind::LINE, LINE_OA, "Demo Shop on LINE", &real_line),
        ("messenger", ChannelKind::MESSENGER, PAGE_ID, "Demo Shop on Messenger", &real_messenger),
        ("web", ChannelKind::WEBHOOK, SHOP_ID, "Demo web shop chat", &None),
    ] {
        let (id, token) = match configured {
            Some(account) => {
                real.push(channel);
                (account.account_id.as_str(), TokenSet::new(account.token.expose_secret()))
            }
            None => (id, TokenSet::new("sandbox-access-token")),
        };
        let channel: ChannelId = channel.parse()?;
        let account = ChannelAccount::new(tenant.clone(), channel, kind, id, Timestamp::now()).with_display_name(name);
        hub.ensure_account(&admin, account, Some(token)).await?;
    }
    for (user, role) in USERS {
        if role != Role::Viewer {
            hub.save_agent(&admin, Agent::new(user.parse()?, 20)).await?;
        }
    }

    let sessions = SessionManager::new(sessions_store, SessionConfig::default())?.audit(audit);
    // Plain HTTP on loopback: the cookie cannot be `Secure` here. Serve it over HTTPS with
    // `secure_cookie(true)` (the default) anywhere else.
    let api = AgentApi::new(hub.clone(), Arc::new(sessions), Arc::new(DemoUsers)).secure_cookie(false);

    let demo = Demo { real, api: api.clone(), http: reqwest::Client::new(), base, graph_mids, customers };
    let page = Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route("/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
        .route("/sandbox/sample.svg", get(|| async { asset("image/svg+xml", SAMPLE_SVG) }))
        .route("/sandbox/avatar/{file}", get(sandbox_avatar))
        .route("/sandbox/simulate", post(simulate))
        .nest("/api", api.router())
        .with_state(demo);
    let app = page.merge(unibox_server_axum::WebhookServer::new(hub.clone()).router());
    let server = tokio::spawn(unibox_server_axum::serve(listener, app, std::future::pending()));
    let delivery = Some(unibox::delivery::DeliveryWorker::new(hub.clone()).spawn());
    // Contacts' names and pictures from their platforms, fetched in the background when they
    // write (ingest never waits for it) and refreshed once older than the TTL (7 days).
    let profiles = Some(unibox::profiles::ProfileWorker::new(hub.clone(), tenant.clone()).spawn().await?);
    Ok(WebInbox { addr, database, sandbox, graph, server, delivery, profiles })
}

/// A committed asset, with a content security policy that allows no inline script and no
/// other origin (images aside: contacts' pictures and customers' images come from the
/// platforms' HTTPS hosts): message content can never run as code on the page.
fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

/// The fake platforms: LINE's API and the web shop's receiver on one server, the Graph API on
/// another. A reply whose text contains "fail" is refused the way each platform refuses. The
/// profile APIs (LINE `GET /v2/bot/profile/{userId}`, Graph `GET /{psid}`) answer with the
/// simulated customer's name and a sandbox avatar on the page's own address `base`.
async fn start_fakes(
    base: &str,
    customers: Customers,
) -> std::io::Result<(FakeServer, FakeServer, Arc<Mutex<Vec<String>>>)> {
    let sandbox = FakeServer::start().await?;
    let sent = Arc::new(AtomicU64::new(0));
    let base = base.to_string();
    let avatar = move |id: &str| format!("{base}/sandbox/avatar/{}.svg", &stable_hex(id)[..6]);
    let (line_customers, line_avatar) = (customers.clone(), avatar.clone());
    sandbox.respond_with(move |request| {
        if request.method == http::Method::GET {
            let user = request.path().strip_prefix("/line/v2/bot/profile/").unwrap_or_default();
            let known = line_customers.lock().unwrap_or_else(|e| e.into_inner()).get(user).cloned();
            return match known {
                Some(name) => ScriptedResponse::json(
                    200,
                    &json!({ "userId": user, "displayName": name, "pictureUrl": line_avatar(user), "language": "en" }),
                ),
                None => ScriptedResponse::json(404, &json!({ "message": "Not found" })),
            };
        }
        let json = request.json().unwrap_or_default();
        let text = json["messages"][0]["text"].as_str().or(json["content"]["text"].as_str()).unwrap_or_default();
        if text.contains("fail") {
            return if request.path().starts_with("/line/") {
                ScriptedResponse::json(400, &json!({ "message": "The request body has 1 error(s)", "details": [{ "message": "sandbox: replies containing 'fail' are refused", "property": "messages[0].text" }] }))
            } else {
                ScriptedResponse::json(422, &json!({ "error": "sandbox: replies containing 'fail' are refused" }))
            };
        }
        let n = sent.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("sandbox-{n}");
        ScriptedResponse::json(200, &json!({ "id": id, "sentMessages": [{ "id": id, "quoteToken": "q" }] }))
    });
    let graph = FakeServer::start().await?;
    let mids = Arc::new(Mutex::new(Vec::new()));
    let handed_out = mids.clone();
    let counter = Arc::new(AtomicU64::new(0));
    graph.respond_with(move |request| {
        if request.method == http::Method::GET {
            let psid = request.path().rsplit('/').next().unwrap_or_default();
            let known = customers.lock().unwrap_or_else(|e| e.into_inner()).get(psid).cloned();
            return match known {
                Some(name) => {
                    let (first, last) = name.split_once(' ').unwrap_or((name.as_str(), ""));
                    let mut profile = json!({ "id": psid, "first_name": first, "profile_pic": avatar(psid) });
                    if !last.is_empty() {
                        profile["last_name"] = json!(last);
                    }
                    ScriptedResponse::json(200, &profile)
                }
                None => ScriptedResponse::json(
                    400,
                    &json!({ "error": { "message": "(#100) sandbox: no such user", "type": "OAuthException", "code": 100, "fbtrace_id": "sandbox" } }),
                ),
            };
        }
        let json = request.json().unwrap_or_default();
        if json["message"]["text"].as_str().unwrap_or_default().contains("fail") {
            return ScriptedResponse::json(
                400,
                &json!({ "error": { "message": "(#100) sandbox: replies containing 'fail' are refused", "type": "OAuthException", "code": 100, "fbtrace_id": "sandbox" } }),
            );
        }
        let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
        let mid = format!("m_sandbox_{n}");
        handed_out.lock().unwrap_or_else(|e| e.into_inner()).push(mid.clone());
        let recipient = json["recipient"]["id"].as_str().unwrap_or_default().to_string();
        ScriptedResponse::json(200, &json!({ "recipient_id": recipient, "message_id": mid }))
    });
    Ok((sandbox, graph, mids))
}

/// `GET /sandbox/avatar/{rrggbb}.svg`: a sandbox contact picture, a circle in that colour. Only
/// six hex digits are taken from the request, so nothing a client sends becomes markup.
async fn sandbox_avatar(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let colour = file.strip_suffix(".svg").filter(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_hexdigit()));
    let Some(colour) = colour else { return StatusCode::NOT_FOUND.into_response() };
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\"><circle cx=\"32\" cy=\"32\" r=\"32\" fill=\"#{colour}\"/><circle cx=\"32\" cy=\"25\" r=\"11\" fill=\"#fff\" opacity=\".85\"/><path d=\"M12 54a20 16 0 0 1 40 0z\" fill=\"#fff\" opacity=\".85\"/></svg>"
    );
    asset("image/svg+xml", svg)
}

/// What the "simulate customer" panel posts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Simulate {
    /// `line`, `messenger` or `web`.
    channel: String,
    /// The customer's name (picks a stable platform user id).
    customer: String,
    /// `text`, `image`, `sticker`, `location`, `postback`, `buttons` or `delivered`.
    kind: String,
    #[serde(default)]
    text: String,
}

/// Posts a signed webhook to this server's own webhook route, exactly as the platform would.
async fn simulate(
    State(demo): State<Demo>,
    _signed_in: AgentSession,
    Json(request): Json<Simulate>,
) -> Result<Response, ApiError> {
    let now = Timestamp::now().as_unix_millis();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let text = if request.text.trim().is_empty() { "Hello!".to_string() } else { request.text.clone() };
    let sample_image = format!("{}/sandbox/sample.svg", demo.base);
    let customer = request.customer.trim();
    if customer.is_empty() || customer.len() > 64 {
        return Err(ApiError::invalid("name the customer (up to 64 bytes)"));
    }
    if demo.real.contains(&request.channel.as_str()) {
        return Err(ApiError::invalid("this channel is a real account: only sandbox channels are simulated"));
    }
    let tag = stable_hex(customer);
    let (body, headers): (String, Vec<(&str, String)>) = match request.channel.as_str() {
        "line" => {
            let message = match request.kind.as_str() {
                "text" => json!({ "type": "text", "id": format!("{n}{now}"), "quoteToken": "q", "text": text }),
                "image" => json!({ "type": "image", "id": format!("{n}{now}"), "quoteToken": "q",
                    "contentProvider": { "type": "external", "originalContentUrl": sample_image, "previewImageUrl": sample_image } }),
                "sticker" => {
                    json!({ "type": "sticker", "id": format!("{n}{now}"), "quoteToken": "q", "packageId": "11537", "stickerId": "52002738", "stickerResourceType": "STATIC" })
                }
                "location" => {
                    json!({ "type": "location", "id": format!("{n}{now}"), "title": "Acme Store Siam", "address": "991 Rama I Rd, Pathum Wan, Bangkok 10330", "latitude": 13.7466, "longitude": 100.5393 })
                }
                _ => return Err(ApiError::invalid("LINE simulates text, image, sticker or location")),
            };
            demo.customers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(format!("U{}", &tag[..32]), customer.to_string());
            let body = json!({ "destination": LINE_OA, "events": [{
                "type": "message", "message": message, "webhookEventId": format!("01SANDBOX{n}X{now}"),
                "deliveryContext": { "isRedelivery": false }, "timestamp": now,
                "source": { "type": "user", "userId": format!("U{}", &tag[..32]) },
                "replyToken": format!("sandbox-reply-{n}-{now}"), "mode": "active" }] })
            .to_string();
            let signature = unibox_channel_line::signature_header(LINE_SECRET, body.as_bytes());
            (body, vec![("x-line-signature", signature)])
        }
        "messenger" => {
            let psid = format!("{}", u64::from_str_radix(&tag[..12], 16).unwrap_or_default());
            let event = match request.kind.as_str() {
                "text" => json!({ "message": { "mid": format!("m_customer_{n}_{now}"), "text": text } }),
                "image" => {
                    json!({ "message": { "mid": format!("m_customer_{n}_{now}"), "attachments": [{ "type": "image", "payload": { "url": sample_image } }] } })
                }
                "postback" => {
                    json!({ "postback": { "mid": format!("m_customer_{n}_{now}"), "title": text, "payload": "SANDBOX_BUTTON" } })
                }
                "delivered" => {
                    let mids = demo.graph_mids.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    json!({ "delivery": { "mids": mids, "watermark": now } })
                }
                _ => return Err(ApiError::invalid("Messenger simulates text, image, postback or delivered")),
            };
            demo.customers.lock().unwrap_or_else(|e| e.into_inner()).insert(psid.clone(), customer.to_string());
            let mut entry = json!({ "sender": { "id": psid }, "recipient": { "id": PAGE_ID }, "timestamp": now });
            for (key, value) in event.as_object().into_iter().flatten() {
                entry[key] = value.clone();
            }
            let body = json!({ "object": "page", "entry": [{ "id": PAGE_ID, "time": now, "messaging": [entry] }] })
                .to_string();
            let tag = unibox::channel::signature::hmac_sha256(MESSENGER_SECRET.as_bytes(), &[body.as_bytes()]);
            let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
            (body, vec![("x-hub-signature-256", format!("sha256={hex}"))])
        }
        "web" => {
            let content = match request.kind.as_str() {
                "text" => json!({ "type": "text", "text": text }),
                "image" => {
                    json!({ "type": "image", "source": { "kind": "url", "url": sample_image }, "caption": text })
                }
                "buttons" => json!({ "type": "buttons", "text": text, "buttons": [
                    { "title": "Track my order", "action": { "type": "postback", "payload": "TRACK" } },
                    { "title": "Talk to a person", "action": { "type": "postback", "payload": "HUMAN" } } ] }),
                "location" => {
                    json!({ "type": "location", "latitude": 13.7466, "longitude": 100.5393, "name": "Pickup point", "address": "Siam Square" })
                }
                _ => return Err(ApiError::invalid("the web shop simulates text, image, buttons or location")),
            };
            let body = json!({ "account": SHOP_ID, "events": [{ "kind": { "type": "message",
                "customer": { "kind": "external", "id": format!("cust-{}", &tag[..12]), "display_name": customer },
                "direction": "inbound", "message_id": format!("web-{n}-{now}"), "content": content } }] })
            .to_string();
            let id = format!("msg_sandbox_{n}_{now}");
            let timestamp = Timestamp::now().as_unix_seconds();
            let secret = WebhookSecret::parse(SecretString::from(WEB_SECRET)).map_err(ApiError::from)?;
            let signature = secret.sign(&id, timestamp, body.as_bytes());
            (
                body,
                vec![
                    ("webhook-id", id),
                    ("webhook-timestamp", timestamp.to_string()),
                    ("webhook-signature", signature),
                ],
            )
        }
        _ => return Err(ApiError::invalid("the channel is line, messenger or web")),
    };
    let mut post = demo
        .http
        .post(format!("{}/webhooks/{}", demo.base, request.channel))
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        post = post.header(name, value);
    }
    let answer = post.send().await.map_err(|e| ApiError::invalid(format!("the webhook post failed: {e}")))?;
    let status = answer.status().as_u16();
    Ok((StatusCode::OK, Json(json!({ "webhook_status": status }))).into_response())
}

static NEXT: AtomicU64 = AtomicU64::new(1);

/// 64 hex digits derived from a name: the same customer name always gets the same platform id.
fn stable_hex(name: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(name.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A real account read from `UNIBOX_<PLATFORM>_SECRET`, `_TOKEN`, `_ACCOUNT_ID` and the optional
/// `_API_BASE_URL`; the secrets are never printed.
pub(crate) struct RealAccount {
    pub(crate) secret: SecretString,
    pub(crate) token: SecretString,
    pub(crate) account_id: String,
    pub(crate) api_base: Option<String>,
    /// Messenger's webhook verify token (`UNIBOX_MESSENGER_VERIFY_TOKEN`).
    pub(crate) verify_token: Option<String>,
}

impl RealAccount {
    /// `None` when `UNIBOX_<PLATFORM>_SECRET` is unset (the sandbox fake is used).
    pub(crate) fn from_env(platform: &str) -> Result<Option<Self>, String> {
        let var = |name: &str| std::env::var(format!("UNIBOX_{platform}_{name}")).ok();
        let Some(secret) = var("SECRET") else { return Ok(None) };
        let need = |name: &str| var(name).ok_or_else(|| format!("set UNIBOX_{platform}_{name} too"));
        Ok(Some(Self {
            secret: SecretString::from(secret),
            token: SecretString::from(need("TOKEN")?),
            account_id: need("ACCOUNT_ID")?,
            api_base: var("API_BASE_URL"),
            verify_token: var("VERIFY_TOKEN"),
        }))
    }
}
