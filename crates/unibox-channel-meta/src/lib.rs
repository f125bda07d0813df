#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod catalog;
mod client;
mod deletion;
mod envelope;
mod graph_error;
mod handshake;
mod media;
pub mod messaging;
mod secret;
mod signed_request;
mod tokens;
mod usage;
mod verify;
mod version;

pub use client::GraphClient;
pub use deletion::{DataDeletionCallback, DeletionCallbackResponse, META_PLATFORM};
pub use envelope::{Change, Entry, Notification, fingerprint, parse_notification};
pub use graph_error::{GraphError, classify, error_from_response, error_from_transport};
pub use handshake::{MAX_CHALLENGE_LENGTH, answer_handshake};
pub use media::MediaInfo;
pub use secret::AppSecret;
pub use signed_request::{MAX_SIGNED_REQUEST_LENGTH, SignedRequest, parse_signed_request, sign_request};
pub use tokens::AppCredentials;
/// The multipart form of uploads: one in core for every channel (`unibox_core::http::MultipartForm`).
pub use unibox_core::http::MultipartForm;
pub use usage::{
    APP_USAGE_HEADER, BUSINESS_USE_CASE_USAGE_HEADER, EXHAUSTED_BUDGET_WAIT, PAGE_USAGE_HEADER, rate_limit_delay,
};
pub use verify::{SIGNATURE_HEADER, verify_signature};
pub use version::{GRAPH_API_BASE, GRAPH_API_VERSION, INSTAGRAM_API_BASE};
