#![doc = include_str!("../docs.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod channel;
mod commands;
mod config;
mod error_map;
mod inbound;
mod media;
mod outbound;
mod send;
mod token;
mod upload;
mod verify;
mod webhook;

pub use channel::{BOT_RATE, CHAT_RATE, TelegramChannel};
pub use commands::{BotCommand, callback_query_id};
pub use config::{DEFAULT_API_BASE_URL, TelegramConfig, TelegramConfigBuilder};
pub use error_map::TelegramApiError;
pub use inbound::BUSINESS_CHAT_IDENTITY;
pub use media::{DownloadedFile, MAX_DOWNLOAD_BYTES};
pub use outbound::{
    FormattedText, MAX_CALLBACK_DATA_BYTES, MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, MessageEntity, ParseMode, utf16_length,
};
pub use token::{BotToken, MAX_SECRET_TOKEN_LENGTH, WebhookSecret};
pub use upload::{MAX_PHOTO_UPLOAD_BYTES, MAX_UPLOAD_BYTES, Upload, UploadKind, UploadReceipt};
pub use verify::SECRET_TOKEN_HEADER;
pub use webhook::{ALLOWED_UPDATES, WebhookInfo, WebhookOptions};
