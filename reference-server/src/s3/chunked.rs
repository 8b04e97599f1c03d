//! The aws-chunked content encoding, decoded as bytes arrive.
//!
//! ```text
//! hex(size)[;chunk-signature=sig]\r\n <size bytes> \r\n   ...repeated
//! 0[;chunk-signature=sig]\r\n
//! [name:value\r\n ...  [x-amz-trailer-signature:sig\r\n]]  \r\n
//! ```
//!
//! Data is handed on as slices of the received buffers (no copy, and never
//! a whole chunk held: a chunk's SHA-256 is computed as its bytes pass), so
//! memory stays flat whatever the chunk size. Each chunk signature, when a
//! [`ChunkSigner`] is given, is checked as soon as its chunk ends, chained
//! from the seed; the trailer signature is checked at the end.

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::auth::ChunkSigner;
use super::error::S3Error;

/// Longest chunk header or trailer line accepted.
const MAX_LINE: usize = 4096;
/// Most trailer lines accepted.
const MAX_TRAILERS: usize = 16;

enum State {
    /// Reading a `size;chunk-signature=...` line.
    Header,
    /// Inside a chunk's data.
    Data {
        remaining: u64,
    },
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the zero-size chunk: trailer lines until an empty one.
    Trailers,
    Done,
}

/// Decodes one aws-chunked body.
pub struct Decoder {
    state: State,
    line: BytesMut,
    signer: Option<ChunkSigner>,
    previous: String,
    /// Signature the current chunk must have.
    pending: Option<String>,
    hasher: Sha256,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
}

fn malformed(what: &str) -> S3Error {
    S3Error::InvalidRequest(format!("malformed aws-chunked body: {what}"))
}

impl Decoder {
    pub fn new(signer: Option<ChunkSigner>) -> Self {
        let previous = signer.as_ref().map(|s| s.seed.clone()).unwrap_or_default();
        Self {
            state: State::Header,
            line: BytesMut::new(),
            signer,
            previous,
            pending: None,
            hasher: Sha256::new(),
            trailers: Vec::new(),
            trailer_signature: None,
        }
    }

    /// Feeds received bytes; returns the decoded data they contained.
    pub fn feed(&mut self, mut input: Bytes) -> Result<Vec<Bytes>, S3Error> {
        let mut out = Vec::new();
        while !input.is_empty() {
            match &mut self.state {
                State::Done => return Err(malformed("bytes after the end")),
                State::Data { remaining } => {
                    let take = (*remaining).min(input.len() as u64) as usize;
                    let data = input.split_to(take);
                    *remaining -= take as u64;
                    self.hasher.update(&data);
                    if *remaining == 0 {
                        self.end_chunk()?;
                        self.state = State::DataEnd;
                    }
                    out.push(data);
                }
                State::Header | State::DataEnd | State::Trailers => {
                    let Some(line) = self.take_line(&mut input)? else {
                        continue;
                    };
                    self.on_line(&line)?;
                }
            }
        }
        Ok(out)
    }

    /// Collects bytes up to CRLF; `None` while the line is incomplete.
    fn take_line(&mut self, input: &mut Bytes) -> Result<Option<Vec<u8>>, S3Error> {
        match input.iter().position(|b| *b == b'\n') {
            Some(end) => {
                self.line.extend_from_slice(&input.split_to(end + 1));
                if self.line.len() > MAX_LINE {
                    return Err(malformed("a line is too long"));
                }
                let mut line = std::mem::take(&mut self.line).to_vec();
                if !line.ends_with(b"\r\n") {
                    return Err(malformed("a line does not end with CRLF"));
                }
                line.truncate(line.len() - 2);
                Ok(Some(line))
            }
            None => {
                self.line.extend_from_slice(input);
                input.clear();
                if self.line.len() > MAX_LINE {
                    return Err(malformed("a line is too long"));
                }
                Ok(None)
            }
        }
    }

    fn on_line(&mut self, line: &[u8]) -> Result<(), S3Error> {
        match self.state {
            State::DataEnd => {
                if !line.is_empty() {
                    return Err(malformed("chunk data is longer than its size"));
                }
                self.state = State::Header;
                Ok(())
            }
            State::Header => self.on_header(line),
            State::Trailers => self.on_trailer(line),
            State::Data { .. } | State::Done => unreachable!("lines are read only between chunks"),
        }
    }

    fn on_header(&mut self, line: &[u8]) -> Result<(), S3Error> {
        let text =
            std::str::from_utf8(line).map_err(|_| malformed("a chunk header is not ASCII"))?;
        let mut fields = text.split(';');
        let size = fields.next().unwrap_or_default().trim();
        if size.is_empty() || size.len() > 16 {
            return Err(malformed("a chunk size is missing or too long"));
        }
        let size =
            u64::from_str_radix(size, 16).map_err(|_| malformed("a chunk size is not hex"))?;
        let mut signature = None;
        for field in fields {
            if let Some(value) = field.trim().strip_prefix("chunk-signature=") {
                signature = Some(value.to_owned());
            }
        }
        if self.signer.is_some() && signature.is_none() {
            return Err(malformed("a chunk has no chunk-signature"));
        }
        self.pending = signature;
        self.hasher = Sha256::new();
        if size == 0 {
            self.end_chunk()?;
            self.state = State::Trailers;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    /// Checks the chunk that just ended against its signature.
    fn end_chunk(&mut self) -> Result<(), S3Error> {
        let digest = std::mem::replace(&mut self.hasher, Sha256::new()).finalize();
        let Some(signer) = &self.signer else {
            return Ok(());
        };
        let provided = self.pending.take().unwrap_or_default();
        let expected = signer.chunk(&self.previous, &hex::encode(digest));
        signer.check(&expected, &provided)?;
        self.previous = expected;
        Ok(())
    }

    fn on_trailer(&mut self, line: &[u8]) -> Result<(), S3Error> {
        if line.is_empty() {
            self.state = State::Done;
            return Ok(());
        }
        let text = std::str::from_utf8(line).map_err(|_| malformed("a trailer is not ASCII"))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| malformed("a trailer is not name:value"))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_owned();
        if name == "x-amz-trailer-signature" {
            self.trailer_signature = Some(value);
        } else {
            if self.trailers.len() >= MAX_TRAILERS {
                return Err(malformed("too many trailers"));
            }
            self.trailers.push((name, value));
        }
        Ok(())
    }

    /// Ends decoding: the framing must be complete, the trailer signature
    /// right. Returns the trailing headers.
    pub fn finish(mut self) -> Result<Vec<(String, String)>, S3Error> {
        match self.state {
            State::Done => {}
            // Some clients end the body right after the trailer lines.
            State::Trailers if self.line.is_empty() => {}
            _ => return Err(S3Error::IncompleteBody),
        }
        if let Some(signer) = &self.signer
            && (!self.trailers.is_empty() || self.trailer_signature.is_some())
        {
            let mut sorted = self.trailers.clone();
            sorted.sort();
            let canonical: Vec<u8> = sorted
                .iter()
                .flat_map(|(n, v)| format!("{n}:{v}\n").into_bytes())
                .collect();
            let expected = signer.trailer(&self.previous, &canonical);
            let provided = self.trailer_signature.take().unwrap_or_default();
            signer.check(&expected, &provided)?;
        }
        Ok(self.trailers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Decoded = (Vec<u8>, Vec<(String, String)>);

    fn decode_all(wire: &[u8], split: usize) -> Result<Decoded, S3Error> {
        let mut decoder = Decoder::new(None);
        let mut data = Vec::new();
        for piece in wire.chunks(split) {
            for d in decoder.feed(Bytes::copy_from_slice(piece))? {
                data.extend_from_slice(&d);
            }
        }
        Ok((data, decoder.finish()?))
    }

    #[test]
    fn decodes_at_any_split() {
        let wire = b"5;chunk-signature=ab\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        for split in 1..wire.len() {
            let (data, trailers) = decode_all(wire, split).unwrap();
            assert_eq!(data, b"hello world");
            assert_eq!(
                trailers,
                [("x-amz-checksum-crc32".to_owned(), "AAAAAA==".to_owned())]
            );
        }
    }

    #[test]
    fn refuses_broken_framing() {
        for wire in [
            &b"5\r\nhello"[..],
            b"5\r\nhelloXX\r\n0\r\n\r\n",
            b"zz\r\nhello\r\n0\r\n\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"0\r\n\r\nextra",
            b"ffffffffffffffffff\r\n",
        ] {
            assert!(
                decode_all(wire, 3).is_err(),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }
}
