//! The keys of a matcher map (`{regex: …}`, `{ge: 5}`, `{present: true}`), defined
//! once. The table at the bottom of this file drives the parsing of every key, the
//! check each one writes, the "expected one of …" of an unknown key and the hints
//! that list the checks, so adding a matcher is a row here, its [`ValueMatcher`]
//! variant with its lowering (the compiler asks for both arms) and its evaluation
//! in `engine/expect.rs`.
//!
//! [`ValueMatcher`]: super::model::ValueMatcher

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::model::{Comparison, DateOrder};
use super::scalar::{Scalar, ScalarVisitor};

/// A check on a string value: a plain scalar means "equals"; a map names the checks.
#[derive(Debug)]
pub enum MatcherSyntax {
    Shorthand(Scalar),
    Map(Box<MatcherMap>),
}

/// One value check written in a matcher map, with what it is written with.
#[derive(Debug)]
pub enum WrittenCheck {
    Equals(Spanned<Scalar>),
    Contains(Spanned<Scalar>),
    Compare(Comparison, Spanned<Scalar>),
    Etag(Spanned<Scalar>),
    Date(DateOrder, Spanned<Scalar>),
    OneOf(Vec<Spanned<Scalar>>),
    Regex(Spanned<String>),
    /// `sf: integer`: the value parses as that RFC 9651 structured type; the
    /// map's other checks then read it parsed (see `model::SfMatcher`).
    Sf(Spanned<String>),
    /// `members: {key: matcher}`: checks on a structured dictionary's members.
    Members(BTreeMap<String, Spanned<MatcherSyntax>>),
}

/// A matcher written as a map: the presence keys, and the value checks in the
/// table's order (the order they run in), whatever the order they were written in.
#[derive(Debug, Default)]
pub struct MatcherMap {
    pub present: Option<bool>,
    pub absent: Option<bool>,
    /// The value checks apply only when the value is there.
    pub if_present: Option<bool>,
    pub checks: Vec<WrittenCheck>,
}

/// The keys that ask whether a value is there at all, rather than check it.
const PRESENCE_KEYS: [&str; 3] = ["present", "absent", "if_present"];

/// Defines [`CHECK_KEYS`], [`KEYS`] and `read_check` from one table of
/// `"key" => |value: Type| check`.
macro_rules! matcher_keys {
    ($($key:literal => |$value:ident: $written:ty| $check:expr),* $(,)?) => {
        /// Every value-check key, in the order the checks run.
        pub const CHECK_KEYS: &[&str] = &[$($key),*];

        /// Every key a matcher map accepts.
        const KEYS: &[&str] = &[PRESENCE_KEYS[0], PRESENCE_KEYS[1], PRESENCE_KEYS[2], $($key),*];

        /// Reads the value of the check key `key`; `None` for a key that is no check.
        fn read_check<'de, A: MapAccess<'de>>(
            key: &str,
            map: &mut A,
        ) -> Result<Option<WrittenCheck>, A::Error> {
            $(
                if key == $key {
                    let $value: $written = map.next_value()?;
                    return Ok(Some($check));
                }
            )*
            Ok(None)
        }
    };
}

matcher_keys! {
    "sf" => |value: Spanned<String>| WrittenCheck::Sf(value),
    "members" => |value: BTreeMap<String, Spanned<MatcherSyntax>>| WrittenCheck::Members(value),
    "equals" => |value: Spanned<Scalar>| WrittenCheck::Equals(value),
    "contains" => |value: Spanned<Scalar>| WrittenCheck::Contains(value),
    "eq" => |value: Spanned<Scalar>| WrittenCheck::Compare(Comparison::Eq, value),
    "ne" => |value: Spanned<Scalar>| WrittenCheck::Compare(Comparison::Ne, value),
    "lt" => |value: Spanned<Scalar>| WrittenCheck::Compare(Comparison::Lt, value),
    "le" => |value: Spanned<Scalar>| WrittenCheck::Compare(Comparison::Le, value),
    "gt" => |value: Spanned<Scalar>| WrittenCheck::Compare(Comparison::Gt, value),
    "ge" => |value: Spanned<Scalar>| WrittenCheck::Compare(Comparison::Ge, value),
    "etag" => |value: Spanned<Scalar>| WrittenCheck::Etag(value),
    "after" => |value: Spanned<Scalar>| WrittenCheck::Date(DateOrder::After, value),
    "before" => |value: Spanned<Scalar>| WrittenCheck::Date(DateOrder::Before, value),
    "one_of" => |value: Vec<Spanned<Scalar>>| WrittenCheck::OneOf(value),
    "regex" => |value: Spanned<String>| WrittenCheck::Regex(value),
}

/// The check keys as prose: "equals, contains, … or regex".
pub fn check_keys_listed() -> String {
    match CHECK_KEYS.split_last() {
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Every key a matcher map accepts, for a hint: "present, absent, equals, …".
pub fn keys_listed() -> String {
    KEYS.join(", ")
}

impl<'de> Deserialize<'de> for MatcherMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = MatcherMap;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a map of checks ({})", keys_listed())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MatcherMap, A::Error> {
                let mut matcher = MatcherMap::default();
                let mut checks = Vec::new();
                // The parser refuses duplicate keys, so each key is read at most once.
                while let Some(key) = map.next_key::<String>()? {
                    if key == PRESENCE_KEYS[0] {
                        matcher.present = Some(map.next_value()?);
                    } else if key == PRESENCE_KEYS[1] {
                        matcher.absent = Some(map.next_value()?);
                    } else if key == PRESENCE_KEYS[2] {
                        matcher.if_present = Some(map.next_value()?);
                    } else if let Some(check) = read_check(&key, &mut map)? {
                        let order = CHECK_KEYS.iter().position(|k| *k == key);
                        checks.push((order, check));
                    } else {
                        return Err(de::Error::unknown_field(&key, KEYS));
                    }
                }
                checks.sort_by_key(|(order, _)| *order);
                matcher.checks = checks.into_iter().map(|(_, check)| check).collect();
                Ok(matcher)
            }
        }
        deserializer.deserialize_map(MapVisitor)
    }
}

impl<'de> Deserialize<'de> for MatcherSyntax {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarOrMap;
        impl<'de> Visitor<'de> for ScalarOrMap {
            type Value = MatcherSyntax;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a value to equal, or a map of checks ({})",
                    keys_listed()
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<MatcherSyntax, E> {
                ScalarVisitor.visit_str(v).map(MatcherSyntax::Shorthand)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MatcherSyntax, E> {
                ScalarVisitor.visit_u64(v).map(MatcherSyntax::Shorthand)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MatcherSyntax, E> {
                ScalarVisitor.visit_i64(v).map(MatcherSyntax::Shorthand)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<MatcherSyntax, E> {
                ScalarVisitor.visit_bool(v).map(MatcherSyntax::Shorthand)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MatcherSyntax, E> {
                ScalarVisitor.visit_f64(v).map(MatcherSyntax::Shorthand)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MatcherSyntax, A::Error> {
                MatcherMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|m| MatcherSyntax::Map(Box::new(m)))
            }
        }
        deserializer.deserialize_any(ScalarOrMap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_run_in_the_table_order_whatever_the_written_order() {
        let map: MatcherMap = serde_saphyr::from_str("{regex: '^a', equals: a, ge: 1}").unwrap();
        let kinds: Vec<&str> = map
            .checks
            .iter()
            .map(|check| match check {
                WrittenCheck::Equals(_) => "equals",
                WrittenCheck::Compare(..) => "compare",
                WrittenCheck::Regex(_) => "regex",
                WrittenCheck::Contains(_)
                | WrittenCheck::Etag(_)
                | WrittenCheck::Date(..)
                | WrittenCheck::OneOf(_)
                | WrittenCheck::Sf(_)
                | WrittenCheck::Members(_) => "other",
            })
            .collect();
        assert_eq!(kinds, ["equals", "compare", "regex"]);
    }

    #[test]
    fn an_unknown_key_names_every_key() {
        let error = serde_saphyr::from_str::<MatcherMap>("{regexp: x}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `regexp`"), "{error}");
        assert!(
            error.contains(&format!("expected one of {}", KEYS.join(", "))),
            "{error}"
        );
    }
}
