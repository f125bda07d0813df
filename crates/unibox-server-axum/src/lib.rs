#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod admission;
mod body;
mod handler;
mod health;
mod privacy;
mod request;
mod response;
mod router;
mod sensitive;
mod serve;
mod shutdown;
mod trace;

pub use router::{
    DEFAULT_ADMISSION_WAIT, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_IN_FLIGHT, DEFAULT_OVERLOAD_RETRY_AFTER,
    DEFAULT_READINESS_TIMEOUT, HEALTH_PATH, PRIVACY_DEAUTHORIZATION_PATH, PRIVACY_DELETION_PATH, PRIVACY_STATUS_PATH,
    READY_PATH, WEBHOOK_PATH, WebhookServer, router,
};
pub use sensitive::SENSITIVE_HEADERS;
pub use serve::{
    ConnectionLimits, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_PEER, DEFAULT_MAX_HEADER_BYTES, FILE_DESCRIPTOR_RESERVE, serve, serve_with,
};
pub use shutdown::shutdown_signal;
