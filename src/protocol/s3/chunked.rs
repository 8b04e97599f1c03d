//! The `aws-chunked` content encoding: a body cut into chunks, each with its size
//! (and, when signed, a signature chaining the previous one), ending with an empty
//! chunk and optionally a checksum trailer.
//!
//! ```text
//! 10000;chunk-signature=<64 hex>\r\n<65536 bytes>\r\n
//! 400;chunk-signature=<64 hex>\r\n<1024 bytes>\r\n
//! 0;chunk-signature=<64 hex>\r\n
//! x-amz-checksum-crc32:<base64>\r\n            (with a trailer)
//! x-amz-trailer-signature:<64 hex>\r\n         (with a signed trailer)
//! \r\n
//! ```
//!
//! [`Encoder`] produces the framing around data the caller streams, so a body of any
//! size is encoded a chunk at a time; [`encoded_len`] gives the `Content-Length`
//! before anything is sent.

use super::sign::ChunkSigner;

/// Length of a hex SHA-256 signature.
const SIGNATURE_LEN: u64 = 64;

/// How the body is framed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Framing {
    /// Data bytes per chunk (all but the last data chunk are this long).
    pub chunk_size: u64,
    /// Whether chunks carry `;chunk-signature=`.
    pub signed: bool,
    /// The trailer header's name and the length of its value (known in advance: the
    /// base64 of a fixed-size checksum).
    pub trailer: Option<(String, u64)>,
}

impl Framing {
    fn header_len(&self, data_len: u64) -> u64 {
        let size_hex = format!("{data_len:x}").len() as u64;
        let signature = if self.signed {
            ";chunk-signature=".len() as u64 + SIGNATURE_LEN
        } else {
            0
        };
        size_hex + signature + 2
    }

    /// The data chunks' lengths, in order (not the final empty chunk).
    fn data_chunks(&self, decoded_len: u64) -> impl Iterator<Item = u64> + '_ {
        let size = self.chunk_size.max(1);
        let full = decoded_len / size;
        let rest = decoded_len % size;
        (0..full)
            .map(move |_| size)
            .chain((rest > 0).then_some(rest))
    }

    /// Bytes after the data chunks: the final chunk, the trailer, the closing CRLF.
    fn tail_len(&self) -> u64 {
        let final_chunk = self.header_len(0);
        let trailer = match &self.trailer {
            None => 0,
            Some((name, value_len)) => {
                let signature = if self.signed {
                    "x-amz-trailer-signature:".len() as u64 + SIGNATURE_LEN + 2
                } else {
                    0
                };
                name.len() as u64 + 1 + value_len + 2 + signature
            }
        };
        final_chunk + trailer + 2
    }
}

/// The encoded length (`Content-Length`) of `decoded_len` data bytes.
pub fn encoded_len(decoded_len: u64, framing: &Framing) -> u64 {
    framing
        .data_chunks(decoded_len)
        .map(|len| framing.header_len(len) + len + 2)
        .sum::<u64>()
        + framing.tail_len()
}

/// How many data bytes the first `encoded` bytes of the encoding carry: what a
/// server received of the payload when the body was cut short on purpose.
pub fn decoded_within(encoded: u64, decoded_len: u64, framing: &Framing) -> u64 {
    let mut offset = 0;
    let mut data = 0;
    for len in framing.data_chunks(decoded_len) {
        let start = offset + framing.header_len(len);
        if encoded <= start {
            return data;
        }
        let taken = (encoded - start).min(len);
        data += taken;
        if taken < len {
            return data;
        }
        offset = start + len + 2;
    }
    data
}

/// Produces the framing of one body, chunk by chunk, chaining chunk signatures.
#[derive(Clone, Debug)]
pub struct Encoder {
    framing: Framing,
    /// With the previous signature (the seed at first), when chunks are signed.
    signer: Option<(ChunkSigner, String)>,
}

impl Encoder {
    /// `signer` and the seed signature of the headers are needed when
    /// `framing.signed`; they are ignored otherwise.
    pub fn new(framing: Framing, signer: Option<(ChunkSigner, String)>) -> Self {
        let signer = if framing.signed { signer } else { None };
        Encoder { framing, signer }
    }

    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Appends one data chunk (at most `chunk_size` bytes, never empty) to `out`.
    /// `sent` is what goes on the wire; `signed` is what the signature covers: the
    /// same bytes, unless the caller tampers with the chunk on purpose.
    pub fn chunk(&mut self, signed: &[u8], sent: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{:x}", sent.len()).as_bytes());
        if let Some((signer, previous)) = &mut self.signer {
            let signature = signer.chunk(previous, signed);
            out.extend_from_slice(b";chunk-signature=");
            out.extend_from_slice(signature.as_bytes());
            *previous = signature;
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(sent);
        out.extend_from_slice(b"\r\n");
    }

    /// Appends the final empty chunk, the trailer (`name`, `value`) if the framing has
    /// one, and the closing CRLF.
    pub fn finish(&mut self, trailer_value: Option<&str>, out: &mut Vec<u8>) {
        self.chunk(b"", b"", out);
        // The empty chunk has no data to close: drop the CRLF `chunk` put after it.
        // What follows is the trailer, if any, then the closing CRLF.
        out.truncate(out.len() - 2);
        if let (Some((name, _)), Some(value)) = (&self.framing.trailer, trailer_value) {
            let line = format!("{name}:{value}");
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
            if let Some((signer, previous)) = &mut self.signer {
                let signature = signer.trailer(previous, &format!("{line}\n"));
                out.extend_from_slice(b"x-amz-trailer-signature:");
                out.extend_from_slice(signature.as_bytes());
                out.extend_from_slice(b"\r\n");
                *previous = signature;
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use super::*;
    use crate::protocol::s3::sign::{Credentials, SigningScope};

    fn aws_example_signer() -> ChunkSigner {
        let credentials = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let time: SystemTime = UNIX_EPOCH + Duration::from_secs(1_369_353_600);
        ChunkSigner::new(&SigningScope {
            credentials: &credentials,
            region: "us-east-1",
            time,
        })
    }

    fn encode(data: &[u8], framing: Framing, seed: &str, trailer: Option<&str>) -> Vec<u8> {
        let mut encoder = Encoder::new(framing, Some((aws_example_signer(), seed.to_owned())));
        let size = encoder.framing().chunk_size as usize;
        let mut out = Vec::new();
        for chunk in data.chunks(size) {
            encoder.chunk(chunk, chunk, &mut out);
        }
        encoder.finish(trailer, &mut out);
        out
    }

    /// The AWS "sigv4-streaming" example: 66560 bytes of `a` in 64 KiB chunks, sent
    /// with `Content-Length: 66824`.
    #[test]
    fn aws_documentation_chunked_body() {
        let framing = Framing {
            chunk_size: 65_536,
            signed: true,
            trailer: None,
        };
        assert_eq!(encoded_len(66_560, &framing), 66_824);
        let body = encode(
            &[b'a'; 66_560],
            framing.clone(),
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            None,
        );
        assert_eq!(body.len(), 66_824);
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(
            "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\naaa"
        ));
        assert!(text.contains(
            "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\naaa"
        ));
        assert!(text.ends_with(
            "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
        ));
    }

    /// The AWS "sigv4-streaming-trailers" example: the same body with a CRC32C trailer,
    /// chained from its seed signature.
    #[test]
    fn aws_documentation_signed_trailer() {
        let framing = Framing {
            chunk_size: 65_536,
            signed: true,
            trailer: Some(("x-amz-checksum-crc32c".into(), 8)),
        };
        let body = encode(
            &[b'a'; 66_560],
            framing.clone(),
            "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
            Some("sOO8/Q=="),
        );
        assert_eq!(body.len() as u64, encoded_len(66_560, &framing));
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(
            "10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n"
        ));
        assert!(text.contains(
            "400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n"
        ));
        assert!(text.ends_with(
            "\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n\
             x-amz-checksum-crc32c:sOO8/Q==\r\n\
             x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"
        ));
    }

    #[test]
    fn unsigned_chunks_with_a_trailer() {
        let framing = Framing {
            chunk_size: 3,
            signed: false,
            trailer: Some(("x-amz-checksum-crc32".into(), 8)),
        };
        let mut encoder = Encoder::new(framing.clone(), None);
        let mut out = Vec::new();
        for chunk in b"hello".chunks(3) {
            encoder.chunk(chunk, chunk, &mut out);
        }
        encoder.finish(Some("NhCmhg=="), &mut out);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "3\r\nhel\r\n2\r\nlo\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
        );
        assert_eq!(encoded_len(5, &framing), out.len() as u64);
        assert_eq!(
            encoded_len(0, &framing),
            "0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n".len() as u64
        );
    }

    #[test]
    fn decoded_bytes_within_a_cut() {
        let framing = Framing {
            chunk_size: 3,
            signed: false,
            trailer: None,
        };
        // "3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
        assert_eq!(decoded_within(0, 5, &framing), 0);
        assert_eq!(decoded_within(3, 5, &framing), 0);
        assert_eq!(decoded_within(5, 5, &framing), 2);
        assert_eq!(decoded_within(8, 5, &framing), 3);
        assert_eq!(decoded_within(12, 5, &framing), 4);
        assert_eq!(decoded_within(100, 5, &framing), 5);
    }
}
