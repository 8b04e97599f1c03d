//! Reading what came back over the wire, for the engine and the protocols alike:
//! element text in XML bodies (S3 answers, scenario expectations), values in
//! JSON bodies by pointer, structured fields (RFC 9651), and transport errors
//! described with their causes.

pub(crate) mod json;
pub(crate) mod sf;
pub mod xml;

/// reqwest's errors nest the useful part (refused, reset, timed out) in their sources.
pub fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
