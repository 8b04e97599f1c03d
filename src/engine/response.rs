//! Reading a response body once, as it streams, for every check that needs it.
//!
//! Bodies can be as large as the uploads they echo, so nothing here holds a whole
//! body: digests and `equals` work incrementally, `contains` keeps a sliding tail,
//! and only the first [`BUFFER_CAP`] bytes are kept for XML, regex and excerpts.

use std::borrow::Cow;

use super::body::{Payload, PayloadReader};
use super::digest::Hasher;
use super::scope::EvalError;
use crate::scenario::model::DigestAlgorithm;

/// Bytes of a response kept for checks that need the text (XML, regex, captures).
pub(crate) const BUFFER_CAP: usize = 1 << 20;

/// Bytes of a body shown in transcripts.
pub(crate) const EXCERPT_CAP: usize = 2 << 10;

/// What the body checks of a step need computed while the body streams.
#[derive(Debug, Default)]
pub(crate) struct BodyPlan {
    pub(crate) digests: Vec<DigestAlgorithm>,
    pub(crate) equals: Option<Payload>,
    pub(crate) contains: Option<Vec<u8>>,
}

/// Where a response body and the expected one part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Equality {
    pub(crate) expected_len: u64,
    pub(crate) actual_len: u64,
    /// The first offset whose bytes differ, or where one body ends before the other.
    pub(crate) first_difference: Option<u64>,
}

struct EqualsProgress {
    expected: PayloadReader,
    expected_len: u64,
    scratch: Vec<u8>,
    first_difference: Option<u64>,
}

/// Finds a needle across chunk boundaries by keeping the last `needle.len() - 1` bytes.
struct Search {
    needle: Vec<u8>,
    tail: Vec<u8>,
    found: bool,
}

impl Search {
    fn feed(&mut self, chunk: &[u8]) {
        if self.found {
            return;
        }
        self.tail.extend_from_slice(chunk);
        self.found = self.needle.is_empty()
            || self
                .tail
                .windows(self.needle.len())
                .any(|window| window == self.needle.as_slice());
        let keep = self.needle.len().saturating_sub(1);
        let cut = self.tail.len().saturating_sub(keep);
        self.tail.drain(..cut);
    }
}

/// Consumes a response body chunk by chunk.
pub(crate) struct Inspector {
    len: u64,
    buffer: Vec<u8>,
    hashers: Vec<(DigestAlgorithm, Hasher)>,
    equals: Option<EqualsProgress>,
    contains: Option<Search>,
}

impl Inspector {
    pub(crate) fn new(plan: BodyPlan) -> Self {
        Inspector {
            len: 0,
            buffer: Vec::new(),
            hashers: plan
                .digests
                .into_iter()
                .map(|algorithm| (algorithm, Hasher::new(algorithm)))
                .collect(),
            equals: plan.equals.map(|payload| EqualsProgress {
                expected: payload.reader(),
                expected_len: payload.len(),
                scratch: Vec::new(),
                first_difference: None,
            }),
            contains: plan.contains.map(|needle| Search {
                needle,
                tail: Vec::new(),
                found: false,
            }),
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        let room = BUFFER_CAP.saturating_sub(self.buffer.len());
        self.buffer
            .extend_from_slice(&chunk[..room.min(chunk.len())]);
        for (_, hasher) in &mut self.hashers {
            hasher.update(chunk);
        }
        if let Some(search) = &mut self.contains {
            search.feed(chunk);
        }
        if let Some(equals) = &mut self.equals
            && equals.first_difference.is_none()
        {
            equals.scratch.resize(chunk.len(), 0);
            let n = equals.expected.read(&mut equals.scratch);
            // Equal slices compare as one memcmp; only a difference is searched
            // for byte by byte (which, unoptimised, cost a tenth of a debug run).
            let differs_at = if chunk[..n] == equals.scratch[..n] {
                (n < chunk.len()).then_some(n)
            } else {
                chunk[..n]
                    .iter()
                    .zip(&equals.scratch[..n])
                    .position(|(a, b)| a != b)
            };
            equals.first_difference = differs_at.map(|at| self.len + at as u64);
        }
        self.len += chunk.len() as u64;
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    pub(crate) fn excerpt(&self) -> Vec<u8> {
        self.buffer[..self.buffer.len().min(EXCERPT_CAP)].to_vec()
    }

    pub(crate) fn finish(self) -> BodySummary {
        let len = self.len;
        BodySummary {
            len,
            digests: self
                .hashers
                .into_iter()
                .map(|(algorithm, hasher)| (algorithm, hasher.finish_hex()))
                .collect(),
            equals: self.equals.map(|equals| Equality {
                expected_len: equals.expected_len,
                actual_len: len,
                first_difference: equals
                    .first_difference
                    .or((len != equals.expected_len).then_some(len.min(equals.expected_len))),
            }),
            contains: self.contains.map(|search| search.found),
            buffer: self.buffer,
        }
    }
}

/// A fully read response body, as far as the checks are concerned.
#[derive(Debug)]
pub(crate) struct BodySummary {
    pub(crate) len: u64,
    buffer: Vec<u8>,
    pub(crate) digests: Vec<(DigestAlgorithm, String)>,
    pub(crate) equals: Option<Equality>,
    pub(crate) contains: Option<bool>,
}

impl BodySummary {
    /// The whole body as text, for checks that must see all of it; `purpose` says which
    /// check, for the error when the body is larger than the buffer.
    pub(crate) fn text(&self, purpose: &str) -> Result<Cow<'_, str>, EvalError> {
        if self.len > BUFFER_CAP as u64 {
            return Err(EvalError::Invalid(format!(
                "{purpose} needs the whole response body, but it is {} bytes and at most {} are kept",
                self.len, BUFFER_CAP
            )));
        }
        Ok(String::from_utf8_lossy(&self.buffer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspect(plan: BodyPlan, chunks: &[&[u8]]) -> BodySummary {
        let mut inspector = Inspector::new(plan);
        chunks.iter().for_each(|chunk| inspector.feed(chunk));
        inspector.finish()
    }

    fn equality(expected: &[u8], chunks: &[&[u8]]) -> Option<u64> {
        let plan = BodyPlan {
            equals: Some(Payload::bytes(expected.to_vec())),
            ..BodyPlan::default()
        };
        inspect(plan, chunks).equals.unwrap().first_difference
    }

    #[test]
    fn equality_reports_the_first_difference_across_chunks() {
        assert_eq!(equality(b"hello world", &[b"hello", b" world"]), None);
        assert_eq!(equality(b"hello world", &[b"hello", b" wXrld"]), Some(7));
        assert_eq!(equality(b"hello", &[b"hel"]), Some(3));
        assert_eq!(equality(b"hel", &[b"he", b"llo"]), Some(3));
        assert_eq!(equality(b"", &[]), None);
    }

    #[test]
    fn contains_finds_needles_split_between_chunks() {
        let plan = |needle: &str| BodyPlan {
            contains: Some(needle.as_bytes().to_vec()),
            ..BodyPlan::default()
        };
        assert_eq!(
            inspect(plan("lo wo"), &[b"hel", b"lo", b" ", b"world"]).contains,
            Some(true)
        );
        assert_eq!(
            inspect(plan("low"), &[b"hel", b"lo", b" w"]).contains,
            Some(false)
        );
    }

    #[test]
    fn text_refuses_bodies_larger_than_the_buffer() {
        let big = vec![b'x'; BUFFER_CAP + 1];
        let summary = inspect(BodyPlan::default(), &[&big]);
        assert_eq!(summary.len, BUFFER_CAP as u64 + 1);
        assert!(
            summary
                .text("xml check")
                .unwrap_err()
                .to_string()
                .contains("xml check needs")
        );
        assert_eq!(
            inspect(BodyPlan::default(), &[b"ok"]).text("x").unwrap(),
            "ok"
        );
    }
}
