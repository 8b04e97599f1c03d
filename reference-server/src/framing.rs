//! Transfer codings of a request body. hyper decodes the final `chunked`
//! and hands any coding listed before it through with the body still coded
//! (`Transfer-Encoding: gzip, chunked` arrives as gzip bytes). This server
//! implements no coding but `chunked`, so a request using another one is
//! refused before its body is read, instead of stored still coded; both
//! protocols ask here and answer in their own terms.

use http::HeaderMap;
use http::header::TRANSFER_ENCODING;

/// Why a request's transfer codings cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferCodingError {
    /// A coding other than `chunked`. RFC 9112 §6.1: "A server that
    /// receives a request message with a transfer coding it does not
    /// understand SHOULD respond with 501 (Not Implemented)."
    #[error("the transfer coding {0:?} is not implemented (only chunked is)")]
    NotImplemented(String),
    /// `chunked` listed more than once. RFC 9112 §6.1: "A sender MUST NOT
    /// apply the chunked transfer coding more than once to a message body",
    /// so the request is malformed.
    #[error("the chunked transfer coding is applied more than once")]
    ChunkedTwice,
}

/// Checks every `Transfer-Encoding` field line: only one `chunked`
/// (case-insensitive, RFC 9112 §7) may be listed.
pub fn check(headers: &HeaderMap) -> Result<(), TransferCodingError> {
    let mut chunked = false;
    for value in headers.get_all(TRANSFER_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        // The list syntax (RFC 9110 §5.6.1) allows empty elements.
        for coding in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !coding.eq_ignore_ascii_case("chunked") {
                return Err(TransferCodingError::NotImplemented(coding.to_owned()));
            }
            if chunked {
                return Err(TransferCodingError::ChunkedTwice);
            }
            chunked = true;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn codings(lines: &[&str]) -> Result<(), TransferCodingError> {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(TRANSFER_ENCODING, HeaderValue::from_str(line).unwrap());
        }
        check(&headers)
    }

    #[test]
    fn only_one_chunked_passes() {
        assert_eq!(codings(&[]), Ok(()));
        assert_eq!(codings(&["chunked"]), Ok(()));
        assert_eq!(codings(&["Chunked ,"]), Ok(()));
        assert_eq!(
            codings(&["gzip, chunked"]),
            Err(TransferCodingError::NotImplemented("gzip".into()))
        );
        assert_eq!(
            codings(&["chunked, chunked"]),
            Err(TransferCodingError::ChunkedTwice)
        );
        assert_eq!(
            codings(&["chunked", "chunked"]),
            Err(TransferCodingError::ChunkedTwice)
        );
    }
}
