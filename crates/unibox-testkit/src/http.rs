//! A loopback HTTP/1.1 fake server: a local stand-in for a platform's API in adapter tests
//! and examples.
//!
//! [`FakeServer`] listens on `127.0.0.1` on a free port, records every request (method, path
//! and query, headers, body) and answers with scripted responses: a queue consumed in order,
//! then an optional responder function, then a default (`200` with an empty body unless
//! changed). Requests go over real TCP, so the code under test uses its real HTTP client,
//! timeouts and error mapping.
//!
//! ```
//! use unibox_testkit::http::{FakeServer, ScriptedResponse};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let platform = FakeServer::start().await?;
//! platform.enqueue(ScriptedResponse::json(200, &serde_json::json!({"id": "m-1"})));
//! platform.enqueue(ScriptedResponse::status(429).with_header("Retry-After", "3"));
//!
//! // Talk to it as to a platform: here with a raw socket to stay dependency-free.
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let mut socket = tokio::net::TcpStream::connect(platform.addr()).await?;
//! socket
//!     .write_all(b"POST /v1/messages?x=1 HTTP/1.1\r\nHost: fake\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
//!     .await?;
//! let mut answer = String::new();
//! socket.read_to_string(&mut answer).await?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(answer.ends_with(r#"{"id":"m-1"}"#));
//!
//! let seen = platform.requests();
//! assert_eq!(seen[0].method, http::Method::POST);
//! assert_eq!(seen[0].target, "/v1/messages?x=1");
//! assert_eq!(seen[0].body.as_ref(), b"{}");
//! # Ok(())
//! # }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use url::Url;

/// The largest request head (request line and headers) accepted; larger gets `431`.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The largest request body accepted; larger gets `413`.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A request as the fake server received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The request target: path and query, as sent (`/v1/messages?limit=2`).
    pub target: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, decoded from chunked transfer encoding when it was chunked.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(self.target.as_str(), |(path, _)| path)
    }

    /// The query, without `?`, if any.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }

    /// The first value of a header, if present and valid UTF-8. Names are case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
    }

    /// The body parsed as `multipart/form-data` with the boundary of its `Content-Type`, strictly
    /// (every delimiter, header block and the closing delimiter where RFC 7578 puts them);
    /// `None` when it is not such a body.
    ///
    /// ```
    /// use unibox_testkit::http::RecordedRequest;
    /// let request = RecordedRequest {
    ///     method: http::Method::POST,
    ///     target: "/upload".into(),
    ///     headers: [(http::header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ".parse().unwrap())].into_iter().collect(),
    ///     body: "--XyZ\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\u{ff}\r\n--XyZ--\r\n".into(),
    /// };
    /// let parts = request.multipart().unwrap();
    /// assert_eq!((parts[0].name.as_str(), parts[0].body.as_ref()), ("chat_id", &b"42"[..]));
    /// assert_eq!((parts[1].file_name.as_deref(), parts[1].content_type.as_deref()), (Some("a.jpg"), Some("image/jpeg")));
    /// ```
    pub fn multipart(&self) -> Option<Vec<FormPart>> {
        let content_type = self.header("content-type")?;
        let (kind, parameters) = content_type.split_once(';')?;
        if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
            return None;
        }
        let boundary = parameters.trim().strip_prefix("boundary=")?.trim_matches('"');
        let delimiter = format!("--{boundary}");
        let next_delimiter = format!("\r\n{delimiter}");
        let mut rest: &[u8] = self.body.strip_prefix(delimiter.as_bytes())?;
        let mut parts = Vec::new();
        loop {
            if rest == b"--\r\n" {
                return Some(parts);
            }
            rest = rest.strip_prefix(b"\r\n")?;
            let head_end = find(rest, b"\r\n\r\n")?;
            let head = std::str::from_utf8(&rest[..head_end]).ok()?;
            rest = &rest[head_end + 4..];
            let body_end = find(rest, next_delimiter.as_bytes())?;
            let body = Bytes::copy_from_slice(&rest[..body_end]);
            rest = &rest[body_end + next_delimiter.len()..];
            let (mut name, mut file_name, mut content_type) = (None, None, None);
            for line in head.split("\r\n") {
                let (header, value) = line.split_once(':')?;
                if header.eq_ignore_ascii_case("content-type") {
                    content_type = Some(value.trim().to_owned());
                } else if header.eq_ignore_ascii_case("content-disposition") {
                    let mut parameters = value.split(';').map(str::trim);
                    if parameters.next() != Some("form-data") {
                        return None;
                    }
                    for parameter in parameters {
                        let quoted = |prefix: &str| {
                            parameter.strip_prefix(prefix)?.strip_prefix('"')?.strip_suffix('"').map(str::to_owned)
                        };
                        if let Some(value) = quoted("name=") {
                            name = Some(value);
                        } else if let Some(value) = quoted("filename=") {
                            file_name = Some(value);
                        }
                    }
                }
            }
            parts.push(FormPart { name: name?, file_name, content_type, body });
        }
    }
}

/// One part of a `multipart/form-data` body ([`RecordedRequest::multipart`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FormPart {
    /// The field name.
    pub name: String,
    /// The file name, for a file.
    pub file_name: Option<String>,
    /// The part's `Content-Type`, if given.
    pub content_type: Option<String>,
    /// The bytes.
    pub body: Bytes,
}

/// What the fake server answers to one request.
///
/// ```
/// use std::time::Duration;
/// use unibox_testkit::http::ScriptedResponse;
/// let slow = ScriptedResponse::text(503, "maintenance").with_header("Retry-After", "120").delayed(Duration::from_millis(50));
/// assert_eq!(slow.status, 503);
/// assert_eq!(slow.delay, Some(Duration::from_millis(50)));
/// assert!(ScriptedResponse::hang_up().hang_up);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptedResponse {
    /// The status code.
    pub status: u16,
    /// Headers to send besides `Content-Length` (computed) and `Connection`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// Wait this long before answering (to exercise client timeouts).
    pub delay: Option<Duration>,
    /// Close the connection without answering (after the delay, if any), as a crashing
    /// server or a broken network would.
    pub hang_up: bool,
}

impl ScriptedResponse {
    /// A response with this status and no body.
    pub fn status(status: u16) -> Self {
        ScriptedResponse { status, headers: Vec::new(), body: Bytes::new(), delay: None, hang_up: false }
    }

    /// `200 OK` with no body.
    pub fn ok() -> Self {
        Self::status(200)
    }

    /// A JSON response.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::status(status).with_header("Content-Type", "application/json").with_body(body.to_string())
    }

    /// A plain-text response.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self::status(status).with_header("Content-Type", "text/plain; charset=utf-8").with_body(body.into())
    }

    /// No response at all: the connection is closed once the request is read.
    pub fn hang_up() -> Self {
        ScriptedResponse { hang_up: true, ..Self::status(200) }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Answers after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

type Responder = Arc<dyn Fn(&RecordedRequest) -> ScriptedResponse + Send + Sync>;

struct State {
    queue: VecDeque<ScriptedResponse>,
    responder: Option<Responder>,
    default: ScriptedResponse,
    requests: Vec<RecordedRequest>,
}

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves consistent data behind.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records the request and picks its response, under one lock so that concurrent
    /// requests consume the queue in arrival order.
    fn answer(&self, request: RecordedRequest) -> ScriptedResponse {
        let mut state = self.lock();
        let response = match state.queue.pop_front() {
            Some(response) => response,
            None => match &state.responder {
                Some(responder) => {
                    let responder = Arc::clone(responder);
                    responder(&request)
                }
                None => state.default.clone(),
            },
        };
        state.requests.push(request);
        response
    }
}

/// A loopback HTTP/1.1 server that records requests and answers from a script.
///
/// It stops when dropped. It understands `Content-Length` and chunked bodies, keep-alive and
/// `Connection: close`, and `Expect: 100-continue`; malformed requests get a `400` (never a
/// panic) and are not recorded. See the [module documentation](self) for an example.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeServer {
    /// Binds `127.0.0.1` on a free port and starts serving on the current tokio runtime.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                responder: None,
                default: ScriptedResponse::ok(),
                requests: Vec::new(),
            }),
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(FakeServer { addr, shared, task })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> Url {
        self.url_for("/")
    }

    /// The URL of `path_and_query` on it (`"/v17.0/me/messages"`).
    pub fn url_for(&self, path_and_query: &str) -> Url {
        // An IPv4 socket address with a port always forms a valid base URL.
        let base = Url::parse(&format!("http://{}/", self.addr)).expect("an IPv4 socket address forms a valid URL");
        base.join(path_and_query.trim_start_matches('/')).unwrap_or(base)
    }

    /// Queues a response; queued responses are used first, in order.
    pub fn enqueue(&self, response: ScriptedResponse) {
        self.shared.lock().queue.push_back(response);
    }

    /// Answers with `responder` whenever the queue is empty (a platform simulator that looks
    /// at the request).
    pub fn respond_with(&self, responder: impl Fn(&RecordedRequest) -> ScriptedResponse + Send + Sync + 'static) {
        self.shared.lock().responder = Some(Arc::new(responder));
    }

    /// The response used when the queue is empty and no responder is set (initially
    /// `200 OK` with no body).
    pub fn set_default(&self, response: ScriptedResponse) {
        self.shared.lock().default = response;
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// How many requests were received so far.
    pub fn request_count(&self) -> usize {
        self.shared.lock().requests.len()
    }

    /// The most recent request.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        self.shared.lock().requests.last().cloned()
    }

    /// Stops listening and closes every connection, and returns once they are closed: a
    /// client connecting afterwards gets "connection refused". Dropping the server stops it
    /// too, but in the background.
    pub async fn shutdown(mut self) {
        self.task.abort();
        // Awaiting an aborted task returns once its future (the listener, the connection
        // tasks) has been dropped.
        let _ = (&mut self.task).await;
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer").field("addr", &self.addr).field("requests", &self.request_count()).finish()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection task.
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                // Out of file descriptors and similar: wait a little instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Why a request could not be read.
enum ReadError {
    /// The client closed the connection (cleanly, between requests, or not).
    Closed,
    /// The request is malformed: answer this status and close.
    Bad(u16, &'static str),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Closed
    }
}

struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    /// Reads more bytes into the buffer; `Closed` at end of stream.
    async fn fill(&mut self) -> Result<(), ReadError> {
        let mut chunk = [0u8; 8192];
        let read = self.stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(ReadError::Closed);
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }

    /// Takes bytes up to and including the first `delimiter`, reading as needed.
    async fn take_through(&mut self, delimiter: &[u8], limit: usize, too_long: u16) -> Result<Vec<u8>, ReadError> {
        let mut searched = 0;
        loop {
            if let Some(at) = find(&self.buffer[searched..], delimiter) {
                let end = searched + at + delimiter.len();
                return Ok(self.buffer.drain(..end).collect());
            }
            if self.buffer.len() > limit {
                return Err(ReadError::Bad(too_long, "request head or chunk line too long"));
            }
            searched = self.buffer.len().saturating_sub(delimiter.len() - 1);
            self.fill().await?;
        }
    }

    /// Takes exactly `count` bytes, reading as needed.
    async fn take_exact(&mut self, count: usize) -> Result<Vec<u8>, ReadError> {
        while self.buffer.len() < count {
            self.fill().await?;
        }
        Ok(self.buffer.drain(..count).collect())
    }

    async fn read_request(&mut self) -> Result<(RecordedRequest, bool), ReadError> {
        let head = match self.take_through(b"\r\n\r\n", MAX_HEAD_BYTES, 431).await {
            // End of stream before any byte of a new request is a normal keep-alive close.
            Err(ReadError::Closed) => return Err(ReadError::Closed),
            other => other?,
        };
        let head = std::str::from_utf8(&head).map_err(|_| ReadError::Bad(400, "request head is not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ReadError::Bad(400, "malformed request line"));
        };
        let method = Method::from_bytes(method.as_bytes()).map_err(|_| ReadError::Bad(400, "invalid method"))?;
        let keep_alive_by_default = match version {
            "HTTP/1.1" => true,
            "HTTP/1.0" => false,
            _ => return Err(ReadError::Bad(505, "only HTTP/1.0 and HTTP/1.1 are supported")),
        };
        if target.is_empty() {
            return Err(ReadError::Bad(400, "empty request target"));
        }

        let mut headers = HeaderMap::new();
        for line in lines.filter(|line| !line.is_empty()) {
            let Some((name, value)) = line.split_once(':') else {
                return Err(ReadError::Bad(400, "malformed header line"));
            };
            let name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| ReadError::Bad(400, "invalid header name"))?;
            let value = HeaderValue::from_str(value.trim()).map_err(|_| ReadError::Bad(400, "invalid header value"))?;
            headers.append(name, value);
        }

        let connection = headers.get(http::header::CONNECTION).and_then(|v| v.to_str().ok()).unwrap_or("");
        let keep_alive =
            if keep_alive_by_default { !has_token(connection, "close") } else { has_token(connection, "keep-alive") };

        if headers
            .get(http::header::EXPECT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }

        let chunked = headers
            .get_all(http::header::TRANSFER_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| has_token(v, "chunked"));
        let body = if chunked {
            self.read_chunked().await?
        } else {
            let mut lengths = headers.get_all(http::header::CONTENT_LENGTH).iter();
            let length = match (lengths.next(), lengths.next()) {
                (None, _) => 0,
                (Some(value), None) => value
                    .to_str()
                    .ok()
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .ok_or(ReadError::Bad(400, "invalid Content-Length"))?,
                (Some(_), Some(_)) => return Err(ReadError::Bad(400, "more than one Content-Length")),
            };
            if length > MAX_BODY_BYTES {
                return Err(ReadError::Bad(413, "request body too large"));
            }
            self.take_exact(length).await?
        };

        let request = RecordedRequest { method, target: target.to_owned(), headers, body: Bytes::from(body) };
        Ok((request, keep_alive))
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.take_through(b"\r\n", 1024, 400).await?;
            let line = std::str::from_utf8(&line).map_err(|_| ReadError::Bad(400, "invalid chunk size"))?;
            let size = line.trim_end_matches("\r\n");
            let size = size.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| ReadError::Bad(400, "invalid chunk size"))?;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                loop {
                    let trailer = self.take_through(b"\r\n", MAX_HEAD_BYTES, 431).await?;
                    if trailer == b"\r\n" {
                        return Ok(body);
                    }
                }
            }
            if body.len().saturating_add(size) > MAX_BODY_BYTES {
                return Err(ReadError::Bad(413, "request body too large"));
            }
            let chunk = self.take_exact(size).await?;
            body.extend_from_slice(&chunk);
            if self.take_exact(2).await? != b"\r\n" {
                return Err(ReadError::Bad(400, "chunk not followed by CRLF"));
            }
        }
    }

    async fn write_response(&mut self, response: &ScriptedResponse, head_only: bool, close: bool) -> io::Result<()> {
        let reason = StatusCode::from_u16(response.status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Unknown");
        let mut out = format!("HTTP/1.1 {} {reason}\r\n", response.status);
        for (name, value) in &response.headers {
            let lower = name.to_ascii_lowercase();
            if matches!(lower.as_str(), "content-length" | "transfer-encoding" | "connection") {
                continue;
            }
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
        if close {
            out.push_str("Connection: close\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if !head_only {
            bytes.extend_from_slice(&response.body);
        }
        self.stream.write_all(&bytes).await?;
        self.stream.flush().await
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut connection = Connection { stream, buffer: Vec::new() };
    loop {
        let (request, keep_alive) = match connection.read_request().await {
            Ok(read) => read,
            Err(ReadError::Closed) => return,
            Err(ReadError::Bad(status, reason)) => {
                let _ = connection.write_response(&ScriptedResponse::text(status, reason), false, true).await;
                return;
            }
        };
        let head_only = request.method == Method::HEAD;
        let response = shared.answer(request);
        if let Some(delay) = response.delay {
            tokio::time::sleep(delay).await;
        }
        if response.hang_up {
            return;
        }
        if connection.write_response(&response, head_only, !keep_alive).await.is_err() || !keep_alive {
            let _ = connection.stream.shutdown().await;
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn has_token(header: &str, token: &str) -> bool {
    header.split(',').any(|part| part.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn exchange(server: &FakeServer, raw: &[u8]) -> String {
        let mut socket = TcpStream::connect(server.addr()).await.unwrap();
        socket.write_all(raw).await.unwrap();
        let mut answer = Vec::new();
        socket.read_to_end(&mut answer).await.unwrap();
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn keep_alive_connections_serve_several_requests_in_order() {
        let server = FakeServer::start().await.unwrap();
        server.enqueue(ScriptedResponse::text(201, "first"));
        server.enqueue(ScriptedResponse::text(202, "second"));
        let raw = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b?q=1 HTTP/1.1\r\nConnection: close\r\n\r\n";
        let answer = exchange(&server, raw).await;
        assert!(answer.starts_with("HTTP/1.1 201 Created\r\n"), "{answer}");
        assert!(answer.contains("first"));
        assert!(answer.contains("HTTP/1.1 202 Accepted\r\n"));
        assert!(answer.trim_end().ends_with("second"));
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].body.as_ref(), b"abc");
        assert_eq!(requests[1].path(), "/b");
        assert_eq!(requests[1].query(), Some("q=1"));
    }

    #[tokio::test]
    async fn chunked_bodies_are_decoded() {
        let server = FakeServer::start().await.unwrap();
        let raw = b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: y\r\n\r\n";
        let answer = exchange(&server, raw).await;
        assert!(answer.starts_with("HTTP/1.1 200 OK"));
        assert_eq!(server.last_request().unwrap().body.as_ref(), b"Wikipedia");
    }

    #[tokio::test]
    async fn malformed_requests_get_400_and_are_not_recorded() {
        let server = FakeServer::start().await.unwrap();
        for raw in [
            &b"NOT-A-REQUEST\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"POST / HTTP/1.1\r\nbad header\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ] {
            let answer = exchange(&server, raw).await;
            assert!(answer.starts_with("HTTP/1.1 400 Bad Request"), "{answer}");
        }
        assert_eq!(server.request_count(), 0);
    }

    #[tokio::test]
    async fn oversized_bodies_get_413_without_being_read() {
        let server = FakeServer::start().await.unwrap();
        let raw = format!("POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n", MAX_BODY_BYTES + 1);
        let answer = exchange(&server, raw.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 413 Payload Too Large"), "{answer}");
    }

    #[tokio::test]
    async fn a_responder_sees_the_request_after_the_queue_is_used() {
        let server = FakeServer::start().await.unwrap();
        server.enqueue(ScriptedResponse::status(500));
        server.respond_with(|request| ScriptedResponse::text(200, format!("echo {}", request.path())));
        let first = exchange(&server, b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n").await;
        let second = exchange(&server, b"GET /y HTTP/1.1\r\nConnection: close\r\n\r\n").await;
        assert!(first.starts_with("HTTP/1.1 500"));
        assert!(second.ends_with("echo /y"));
    }

    #[tokio::test]
    async fn hang_up_closes_without_an_answer_and_still_records() {
        let server = FakeServer::start().await.unwrap();
        server.set_default(ScriptedResponse::hang_up());
        let answer = exchange(&server, b"POST /m HTTP/1.1\r\nContent-Length: 0\r\n\r\n").await;
        assert!(answer.is_empty());
        assert_eq!(server.request_count(), 1);
    }

    #[tokio::test]
    async fn expect_continue_is_answered_before_the_body() {
        let server = FakeServer::start().await.unwrap();
        let mut socket = TcpStream::connect(server.addr()).await.unwrap();
        socket
            .write_all(b"PUT /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut interim = [0u8; 25];
        socket.read_exact(&mut interim).await.unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        socket.write_all(b"ok").await.unwrap();
        let mut rest = String::new();
        socket.read_to_string(&mut rest).await.unwrap();
        assert!(rest.starts_with("HTTP/1.1 200 OK"));
        assert_eq!(server.last_request().unwrap().body.as_ref(), b"ok");
    }

    #[tokio::test]
    async fn after_shutdown_connections_are_refused() {
        let server = FakeServer::start().await.unwrap();
        let addr = server.addr();
        server.shutdown().await;
        let error = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[tokio::test]
    async fn urls_point_at_the_loopback_port() {
        let server = FakeServer::start().await.unwrap();
        let url = server.url_for("/v1/send?x=1");
        assert_eq!(url.host_str(), Some("127.0.0.1"));
        assert_eq!(url.port(), Some(server.addr().port()));
        assert_eq!(url.path(), "/v1/send");
        assert_eq!(server.url().path(), "/");
    }
}
