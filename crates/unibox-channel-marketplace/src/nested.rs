//! Message content that arrives as a JSON document inside a JSON string: Lazada's
//! `"content":"{\"txt\":\"hello world!\"}"` and TikTok Shop's `"content":"{\"content\":\"444\"}"`.
//! serde has already unescaped the outer string; this reads the document inside it.

use serde::de::DeserializeOwned;

/// The document inside `text` read as `T`; `None` when it is not JSON or not a `T`.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Text { txt: String }
/// let text: Text = unibox_channel_marketplace::nested::decode(r#"{"txt":"hello world!"}"#).unwrap();
/// assert_eq!(text.txt, "hello world!");
/// assert!(unibox_channel_marketplace::nested::decode::<Text>("hello").is_none());
/// ```
pub fn decode<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

/// The document inside `text` as JSON, for keeping content unibox has no mapping for; text
/// that is not JSON is kept as a JSON string, so nothing is lost.
///
/// ```
/// use serde_json::json;
/// use unibox_channel_marketplace::nested::value;
/// assert_eq!(value(r#"{"imgUrl":"https://x/a.jpg"}"#), json!({"imgUrl": "https://x/a.jpg"}));
/// assert_eq!(value("plain"), json!("plain"));
/// ```
pub fn value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
}
