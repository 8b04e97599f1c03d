//! The S3 behaviours the suite checks most closely, one function each.
//!
//! Each is a decision a real server can get wrong (requirements §3), so
//! each lives here alone, and the faults that bend it (`crate::faults`) are
//! decided here too, without touching the handlers: the ETag forms, the
//! part-number range, Complete's ETag, order and size checks, ListParts
//! paging, and the answer to an unknown upload id. (Signature verification
//! is decided in `auth::Auth::verify`, and what Abort removes in
//! `catalog::Catalog::abort`.)

use md5::{Digest, Md5};

use super::error::S3Error;
use crate::faults::{Fault, Faults};

/// Highest part number (AWS: 1 to 10,000 inclusive).
pub const MAX_PART_NUMBER: u32 = 10_000;
/// Default and largest page of ListParts, ListObjects and
/// ListMultipartUploads.
pub const MAX_PAGE: usize = 1000;

/// The `ETag` header and element: the hex (or `hex-N`) in double quotes.
pub fn quoted_etag(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// A single-part object's or a part's ETag: lowercase hex MD5 of its bytes.
pub fn md5_etag(md5: &[u8; 16]) -> String {
    hex::encode(md5)
}

/// A multipart object's ETag as AWS computes it: MD5 of the concatenated
/// binary part MD5s, then `-N` (S3-MPU-COMPLETE-ETAG-FORMULA).
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut md5 = Md5::new();
    for part in part_md5s {
        md5.update(part);
    }
    format!("{}-{}", hex::encode(md5.finalize()), part_md5s.len())
}

/// Whether an ETag named in Complete is the part's: quotes are optional
/// (S3-MPU-COMPLETE-ETAG-QUOTES) and hex case does not matter.
pub fn etag_matches(sent: &str, stored: &str) -> bool {
    let sent = sent.trim();
    let sent = sent
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(sent);
    sent.eq_ignore_ascii_case(stored)
}

/// Whether the ETag Complete lists for a part is that part's.
pub fn listed_etag_matches(sent: &str, stored: &str, faults: Faults) -> bool {
    if faults.active(Fault::CompleteIgnoresEtag) {
        return true;
    }
    etag_matches(sent, stored)
}

/// Reads `partNumber`: an integer from 1 to 10,000, else 400
/// InvalidArgument with AWS's message (S3-MPU-PART-NUM-HIGH, -LOW).
pub fn part_number(text: &str, faults: Faults) -> Result<u32, S3Error> {
    let lowest = if faults.active(Fault::PartNumberZeroAccepted) {
        0
    } else {
        1
    };
    let highest = if faults.active(Fault::PartNumberUnbounded) {
        u32::MAX
    } else if faults.active(Fault::PartNumber10000Refused) {
        MAX_PART_NUMBER - 1
    } else {
        MAX_PART_NUMBER
    };
    text.parse::<u32>()
        .ok()
        .filter(|n| (lowest..=highest).contains(n) && !text.starts_with('+'))
        .ok_or_else(|| {
            S3Error::invalid_argument(
                "Part number must be an integer between 1 and 10000, inclusive",
                "partNumber",
                text,
            )
        })
}

/// Complete's part numbers must be strictly ascending: a repeat or a step
/// back is InvalidPartOrder (S3-MPU-COMPLETE-ORDER, -DUPLICATE). With
/// additional checksums they must also run 1, 2, 3, ... (S3-MPU-CK-CONSECUTIVE).
pub fn check_part_order(numbers: &[u32], consecutive: bool, faults: Faults) -> Result<(), S3Error> {
    let repeats_allowed = faults.active(Fault::CompleteAcceptsDuplicates);
    if numbers
        .windows(2)
        .any(|w| w[1] < w[0] || (w[1] == w[0] && !repeats_allowed))
    {
        return Err(S3Error::InvalidPartOrder);
    }
    if consecutive
        && numbers
            .iter()
            .enumerate()
            .any(|(i, n)| *n as usize != i + 1)
    {
        return Err(S3Error::InvalidPartOrder);
    }
    Ok(())
}

/// Every part but the last must be at least `min` bytes
/// (S3-MPU-COMPLETE-TOOSMALL); the last may be any size, even 0.
/// `parts` are `(number, size, etag)` in Complete's order.
pub fn check_part_sizes(
    parts: &[(u32, u64, String)],
    min: u64,
    faults: Faults,
) -> Result<(), S3Error> {
    let Some((_, init)) = parts.split_last() else {
        return Ok(());
    };
    if faults.active(Fault::EntityTooSmallNotEnforced) {
        return Ok(());
    }
    let too_small =
        |size: u64| size < min || (faults.active(Fault::MinPartSizeExclusive) && size == min);
    match init.iter().find(|(_, size, _)| too_small(*size)) {
        Some((number, size, etag)) => Err(S3Error::EntityTooSmall {
            proposed_size: *size,
            min_size: min,
            part_number: *number,
            etag: etag.clone(),
        }),
        None => Ok(()),
    }
}

/// One ListParts page: `parts` (in upload order) sorted by number, those
/// after `marker` (a part number, not an index: S3-MPU-LP-MARKER-IS-PN), at
/// most `max`. Returns the page and whether more follow.
pub fn parts_page<T: Clone>(
    parts: &[(u32, T)],
    marker: u32,
    max: usize,
    faults: Faults,
) -> (Vec<(u32, T)>, bool) {
    let mut listed = parts.to_vec();
    if !faults.active(Fault::ListPartsUnsorted) {
        listed.sort_by_key(|(n, _)| *n);
    }
    if faults.active(Fault::ListPartsMarkerAsIndex) {
        listed.drain(..listed.len().min(marker as usize));
    } else if !faults.active(Fault::ListPartsMarkerIgnored) {
        listed.retain(|(n, _)| *n > marker);
    }
    if faults.active(Fault::ListPartsNeverTruncated) {
        return (listed, false);
    }
    let truncated = listed.len() > max;
    listed.truncate(max);
    (listed, truncated)
}

/// ListParts' `NextPartNumberMarker`: the number of the `last` part on the
/// page, or the request's `marker` when the page is empty.
pub fn next_part_marker<T>(
    parts: &[(u32, T)],
    last: Option<u32>,
    marker: u32,
    faults: Faults,
) -> u32 {
    match last {
        Some(last) if faults.active(Fault::NextPartMarkerIsCount) => {
            parts.iter().filter(|(n, _)| *n <= last).count() as u32
        }
        Some(last) => last,
        None => marker,
    }
}

/// The answer to an upload id that is malformed, unknown, aborted or
/// completed: 404 NoSuchUpload (S3-MPU-PART-NOSUCHUPLOAD), never a 5xx.
pub fn no_such_upload(upload_id: &str) -> S3Error {
    S3Error::NoSuchUpload {
        upload_id: upload_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags() {
        // S3-MPU-PART-ETAG, -PART-ZERO
        assert_eq!(
            md5_etag(&Md5::digest([0u8]).into()),
            "93b885adfe0da089cdf634904fd59f71"
        );
        let empty: [u8; 16] = Md5::digest(b"").into();
        assert_eq!(
            multipart_etag(&[empty]),
            "59adb24ef3cdbe0297f05b395827453f-1"
        );
        // S3-MPU-COMPLETE-ETAG: 5 MiB parts of A, B and C.
        let parts: Vec<[u8; 16]> = [b'A', b'B', b'C']
            .iter()
            .map(|c| Md5::digest(vec![*c; 5 * 1024 * 1024]).into())
            .collect();
        assert_eq!(multipart_etag(&parts), "b2add96cc9702bbf4efb0ccdfc6b7747-3");
        // The R2 documentation vector.
        let r2: Vec<[u8; 16]> = [
            "bce6bf66aeb76c7040fdd5f4eccb78e6",
            "8165449fc15bbf43d3b674595cbcc406",
        ]
        .iter()
        .map(|h| hex::decode(h).unwrap().try_into().unwrap())
        .collect();
        assert_eq!(multipart_etag(&r2), "f77dc0eecdebcd774a2a22cb393ad2ff-2");
        assert!(etag_matches("\"ABC\"", "abc"));
        assert!(etag_matches("abc", "abc"));
        assert!(!etag_matches("\"abc", "abc"));
    }

    #[test]
    fn part_numbers_and_order() {
        assert_eq!(part_number("1", Faults::NONE).unwrap(), 1);
        assert_eq!(part_number("10000", Faults::NONE).unwrap(), 10_000);
        for bad in [
            "0",
            "-1",
            "10001",
            "20000",
            "abc",
            "",
            "+1",
            "99999999999999999999",
        ] {
            assert!(
                matches!(
                    part_number(bad, Faults::NONE),
                    Err(S3Error::InvalidArgument { .. })
                ),
                "{bad}"
            );
        }
        assert!(check_part_order(&[1, 3, 7], false, Faults::NONE).is_ok());
        assert!(check_part_order(&[2, 1], false, Faults::NONE).is_err());
        assert!(check_part_order(&[1, 1, 2], false, Faults::NONE).is_err());
        assert!(check_part_order(&[1, 3], true, Faults::NONE).is_err());
    }

    #[test]
    fn sizes_and_pages() {
        let parts = vec![(1, 10, "a".to_owned()), (2, 3, "b".to_owned())];
        assert!(check_part_sizes(&parts, 10, Faults::NONE).is_ok());
        assert!(matches!(
            check_part_sizes(&parts, 11, Faults::NONE),
            Err(S3Error::EntityTooSmall { part_number: 1, .. })
        ));
        let list = vec![(7, 'c'), (1, 'a'), (3, 'b')];
        let none = Faults::NONE;
        assert_eq!(parts_page(&list, 3, 10, none), (vec![(7, 'c')], false));
        assert_eq!(parts_page(&list, 0, 1, none), (vec![(1, 'a')], true));
        let with = |fault| Faults::new([fault]);
        assert_eq!(
            parts_page(&list, 0, 2, with(Fault::ListPartsUnsorted)),
            (vec![(7, 'c'), (1, 'a')], true)
        );
        assert_eq!(
            parts_page(&list, 3, 10, with(Fault::ListPartsMarkerIgnored)).0,
            [(1, 'a'), (3, 'b'), (7, 'c')]
        );
        assert_eq!(
            parts_page(&list, 3, 10, with(Fault::ListPartsMarkerAsIndex)).0,
            []
        );
        assert_eq!(
            parts_page(&list, 1, 10, with(Fault::ListPartsMarkerAsIndex)).0,
            [(3, 'b'), (7, 'c')]
        );
        assert_eq!(
            parts_page(&list, 0, 1, with(Fault::ListPartsNeverTruncated)),
            (vec![(1, 'a'), (3, 'b'), (7, 'c')], false)
        );
    }
}
