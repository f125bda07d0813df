//! A minimal `multipart/form-data` body (RFC 7578) for uploads through the [`HttpClient`]
//! port: the port carries whole bodies, so a form is encoded here into bytes and a
//! `Content-Type` with its boundary.
//!
//! [`HttpClient`]: crate::http::HttpClient

use bytes::Bytes;

/// A `multipart/form-data` body: text fields and files, in the order added.
///
/// The boundary is random (128 bits), so it cannot be predicted by whoever supplies a file's
/// bytes; names, file names and types have the characters that would end a quoted header
/// parameter or a header line (`"`, `\`, CR, LF) removed.
///
/// ```
/// use unibox_core::http::MultipartForm;
/// let form = MultipartForm::new()
///     .text("chat_id", "1111111")
///     .file("photo", "receipt.jpg", "image/jpeg", vec![0xff, 0xd8, 0xff]);
/// let content_type = form.content_type();
/// assert!(content_type.starts_with("multipart/form-data; boundary="));
/// let body = form.to_bytes();
/// assert!(body.windows(3).any(|w| w == [0xff, 0xd8, 0xff]));
/// assert!(body.ends_with(format!("--{}--\r\n", form.boundary()).as_bytes()));
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

/// Removes what would break a quoted header parameter or a header line.
fn header_safe(text: &str) -> String {
    text.chars().filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\')).collect()
}

/// 32 hex digits from the system's random generator (the time, should it ever fail: a
/// boundary must only not occur in the body, and a file's author cannot know the time to the
/// nanosecond).
fn random_boundary() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes = nanos.to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("unibox-{hex}")
}

impl MultipartForm {
    /// An empty form with a random boundary.
    pub fn new() -> Self {
        MultipartForm { boundary: random_boundary(), parts: Vec::new() }
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: impl Into<String>) -> Self {
        self.parts.push(Part { name: header_safe(name), file: None, body: Bytes::from(value.into()) });
        self
    }

    /// Adds a file field: its bytes, with a file name and a content type.
    pub fn file(mut self, name: &str, file_name: &str, content_type: &str, bytes: impl Into<Bytes>) -> Self {
        let file = Some((header_safe(file_name), header_safe(content_type)));
        self.parts.push(Part { name: header_safe(name), file, body: bytes.into() });
        self
    }

    /// The boundary between parts.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The `Content-Type` header value, with the boundary.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The encoded body.
    pub fn to_bytes(&self) -> Bytes {
        let size: usize = self.parts.iter().map(|p| p.body.len() + p.name.len() + 160).sum();
        let mut out = Vec::with_capacity(size + self.boundary.len() + 8);
        for part in &self.parts {
            out.extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
            let header = match &part.file {
                Some((file_name, content_type)) => format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n",
                    part.name
                ),
                None => format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", part.name),
            };
            out.extend_from_slice(header.as_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_differ_and_quotes_cannot_escape_a_header() {
        assert_ne!(MultipartForm::new().boundary(), MultipartForm::new().boundary());
        let form = MultipartForm::new().file("doc\"ument", "a\"b\r\nX-Evil: 1.pdf", "application/pdf", &b"%PDF"[..]);
        let body = String::from_utf8_lossy(&form.to_bytes()).into_owned();
        assert!(body.contains(
            "name=\"document\"; filename=\"abX-Evil: 1.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n"
        ));
        assert_eq!(body.matches("\r\n").count(), 6, "{body:?}");
    }
}
