//! A minimal `multipart/form-data` body, for attachment and media uploads.

use bytes::Bytes;

/// A `multipart/form-data` body: text fields and files.
///
/// ```
/// use unibox_channel_meta::MultipartForm;
/// let form = MultipartForm::new()
///     .text("messaging_product", "whatsapp")
///     .file("file", "receipt.jpg", "image/jpeg", vec![0xff, 0xd8, 0xff]);
/// assert!(form.content_type().starts_with("multipart/form-data; boundary="));
/// assert!(form.to_bytes().windows(9).any(|w| w == b"image/jpe"));
/// ```
#[derive(Clone, Debug)]
pub struct MultipartForm {
    boundary: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
struct Part {
    name: String,
    file: Option<(String, String)>,
    body: Bytes,
}

/// Removes what would break a quoted header parameter.
fn header_safe(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\')).collect()
}

impl MultipartForm {
    /// An empty form with a random boundary.
    pub fn new() -> Self {
        MultipartForm { boundary: format!("unibox-{}", uuid::Uuid::new_v4().simple()), parts: Vec::new() }
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: impl Into<String>) -> Self {
        self.parts.push(Part { name: header_safe(name), file: None, body: Bytes::from(value.into()) });
        self
    }

    /// Adds a file field.
    pub fn file(mut self, name: &str, file_name: &str, content_type: &str, bytes: impl Into<Bytes>) -> Self {
        let file = Some((header_safe(file_name), header_safe(content_type)));
        self.parts.push(Part { name: header_safe(name), file, body: bytes.into() });
        self
    }

    /// The `Content-Type` header value, with the boundary.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The encoded body.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = Vec::new();
        for part in &self.parts {
            out.extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
            match &part.file {
                Some((file_name, content_type)) => out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n",
                        part.name
                    )
                    .as_bytes(),
                ),
                None => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", part.name).as_bytes(),
                ),
            }
            out.extend_from_slice(&part.body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        Bytes::from(out)
    }
}

impl Default for MultipartForm {
    fn default() -> Self {
        Self::new()
    }
}
