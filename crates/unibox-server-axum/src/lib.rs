#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod admission;
mod body;
mod handler;
mod health;
mod request;
mod response;
mod router;
mod sensitive;
mod shutdown;
mod trace;

pub use router::{
    DEFAULT_ADMISSION_WAIT, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_IN_FLIGHT, DEFAULT_OVERLOAD_RETRY_AFTER,
    DEFAULT_READINESS_TIMEOUT, HEALTH_PATH, READY_PATH, WEBHOOK_PATH, WebhookServer, router,
};
pub use sensitive::SENSITIVE_HEADERS;
pub use shutdown::{serve, shutdown_signal};
