//! The time formats S3 speaks: SigV4's basic ISO 8601 (`20130524T000000Z`),
//! XML's extended form with milliseconds, and HTTP dates.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Milliseconds since the Unix epoch, the unit records keep.
pub fn now_ms() -> u64 {
    to_ms(SystemTime::now())
}

pub fn to_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// SigV4's `X-Amz-Date` form, `YYYYMMDDTHHMMSSZ`.
const AMZ_DATE: &[BorrowedFormatItem<'_>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// `2009-10-12T17:50:30.000Z`, as XML bodies carry times.
const XML_TIME: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Parses `YYYYMMDDTHHMMSSZ`, exactly that form, from 1970 on.
pub fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let time = PrimitiveDateTime::parse(text, AMZ_DATE).ok()?.assume_utc();
    (time.year() >= 1970).then(|| time.into())
}

/// `YYYYMMDDTHHMMSSZ`.
pub fn amz_date(time: SystemTime) -> String {
    format(OffsetDateTime::from(time), AMZ_DATE)
}

/// `2009-10-12T17:50:30.000Z`, as XML bodies carry times.
pub fn iso8601(ms: u64) -> String {
    format(OffsetDateTime::from(from_ms(ms)), XML_TIME)
}

/// An IMF-fixdate, as `Last-Modified` carries it.
pub fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(from_ms(ms))
}

fn format(time: OffsetDateTime, description: &[BorrowedFormatItem<'_>]) -> String {
    time.format(description)
        .expect("an OffsetDateTime has every component these descriptions name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse_amz_date("20130524T000000Z").unwrap();
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(1_369_353_600));
        assert_eq!(amz_date(t), "20130524T000000Z");
        assert_eq!(iso8601(1_369_353_600_123), "2013-05-24T00:00:00.123Z");
        assert_eq!(
            http_date(1_369_353_600_000),
            "Fri, 24 May 2013 00:00:00 GMT"
        );
        let leap = parse_amz_date("20240229T235959Z").unwrap();
        assert_eq!(amz_date(leap), "20240229T235959Z");
        for bad in [
            "",
            "20130524T000000",
            "20130524 000000Z",
            "20130230T000000Z",
            "20131324T000000Z",
            "2013052AT000000Z",
            "20130524T246000Z",
            "+0130524T000000Z",
            "20130524T235960Z",
            "19691231T235959Z",
            "20130524T000000Z ",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }
}
