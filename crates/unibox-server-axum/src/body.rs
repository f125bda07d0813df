//! Reading a webhook body as raw bytes, refusing it before it is buffered or hashed when it is
//! larger than the limit.

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use unibox_core::{Error, ErrorKind};

fn too_large(size: impl std::fmt::Display, limit: usize) -> Error {
    Error::new(ErrorKind::PayloadTooLarge, format!("the body is {size} bytes; the limit is {limit}"))
        .with_operation("server.body")
}

/// Refuses a request whose declared `Content-Length` is over the limit, before reading it.
pub(crate) fn check_declared_length(headers: &HeaderMap, limit: usize) -> Result<(), Error> {
    let Some(value) = headers.get(http::header::CONTENT_LENGTH) else {
        return Ok(());
    };
    // hyper has already refused malformed lengths; an unreadable one here is over any limit.
    let declared = value.to_str().ok().and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length <= limit as u64 => Ok(()),
        Some(length) => Err(too_large(length, limit)),
        None => Err(too_large("an unreadable number of", limit)),
    }
}

/// Reads the whole body, stopping with `PayloadTooLarge` as soon as more than `limit` bytes
/// arrived (a chunked body has no declared length), and with `MalformedPayload` when the
/// sender broke off.
pub(crate) async fn read_limited(body: Body, limit: usize) -> Result<Bytes, Error> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(too_large(format!("more than {limit}"), limit)),
        Err(error) => Err(Error::new(
            ErrorKind::MalformedPayload,
            format!("the request body could not be read to its end: {error}"),
        )
        .with_operation("server.body")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, "1025".parse().unwrap());
        assert_eq!(check_declared_length(&headers, 1024).unwrap_err().kind(), ErrorKind::PayloadTooLarge);
        headers.insert(http::header::CONTENT_LENGTH, "1024".parse().unwrap());
        assert!(check_declared_length(&headers, 1024).is_ok());
        assert!(check_declared_length(&HeaderMap::new(), 1024).is_ok());
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_and_one_at_the_limit_is_read() {
        let refused = read_limited(Body::from(vec![b'x'; 11]), 10).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::PayloadTooLarge);
        let read = read_limited(Body::from(vec![b'x'; 10]), 10).await.unwrap();
        assert_eq!(read.len(), 10);
    }
}
