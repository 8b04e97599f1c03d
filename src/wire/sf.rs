//! Structured Field Values (RFC 9651), read with the `sfv` crate: a value
//! parsed as one type, its canonical serialization, and a dictionary's members.
//!
//! Checks compare canonical serializations rather than the text received, so
//! `Upload-Offset: 5;x=1` is the integer `5` and `Upload-Complete: ?1` the
//! boolean `?1`, however a server spaces or orders what RFC 9651 lets vary.

use sfv::{BareItem, Dictionary, FieldType, Item, List, ListEntry, Parser};

use crate::scenario::model::SfKind;

/// A field value parsed as the type a check asks for.
#[derive(Debug)]
pub(crate) enum Parsed {
    Item(Item),
    List(List),
    Dictionary(Dictionary),
}

/// Parses `value` as `kind`; the error says why it is not one, as evidence.
pub(crate) fn parse(kind: SfKind, value: &str) -> Result<Parsed, String> {
    let parser = || Parser::new(value);
    let parsed = match kind {
        SfKind::List => parser().parse::<List>().map(Parsed::List),
        SfKind::Dictionary => parser().parse::<Dictionary>().map(Parsed::Dictionary),
        _ => parser().parse::<Item>().map(Parsed::Item),
    }
    .map_err(|error| format!("not a structured {} ({error})", structure(kind)))?;
    if let Parsed::Item(item) = &parsed
        && let Some(wanted) = bare_kind(kind)
    {
        let found = bare_kind_of(&item.bare_item);
        if found != wanted {
            return Err(format!(
                "an item whose bare item is {} {}, not {} {}",
                article(found),
                found.name(),
                article(wanted),
                wanted.name()
            ));
        }
    }
    Ok(parsed)
}

/// What the other checks of an `sf:` matcher read: a bare-item kind's bare item
/// alone, an item with its parameters, a list or dictionary whole.
pub(crate) fn canonical(kind: SfKind, parsed: &Parsed) -> String {
    match parsed {
        Parsed::Item(item) if bare_kind(kind).is_some() => bare(&item.bare_item),
        Parsed::Item(item) => item.serialize(),
        Parsed::List(list) => list.serialize().unwrap_or_default(),
        Parsed::Dictionary(dictionary) => dictionary.serialize().unwrap_or_default(),
    }
}

/// A dictionary member as the checks on it read it: its bare item, or its inner
/// list, serialized canonically without the member's parameters; `None` when
/// the dictionary has no such key.
pub(crate) fn member(dictionary: &Dictionary, key: &str) -> Option<String> {
    Some(match dictionary.get(key)? {
        ListEntry::Item(item) => bare(&item.bare_item),
        ListEntry::InnerList(inner) => {
            let mut inner = inner.clone();
            inner.params.clear();
            vec![ListEntry::InnerList(inner)]
                .serialize()
                .unwrap_or_default()
        }
    })
}

/// A member's value for a capture: a string's characters (no quotes or
/// escapes, so it can go into a URL or a header), anything else as `member`.
pub(crate) fn member_value(value: &str, key: &str) -> Result<Option<String>, String> {
    let dictionary = Parser::new(value)
        .parse::<Dictionary>()
        .map_err(|error| format!("not a structured dictionary ({error})"))?;
    Ok(match dictionary.get(key) {
        Some(ListEntry::Item(Item {
            bare_item: BareItem::String(string),
            ..
        })) => Some(string.as_str().to_owned()),
        Some(_) => member(&dictionary, key),
        None => None,
    })
}

fn bare(item: &BareItem) -> String {
    Item::new(item.clone()).serialize()
}

/// The bare-item type a kind requires, `None` for `item`, `list`, `dictionary`.
fn bare_kind(kind: SfKind) -> Option<SfKind> {
    match kind {
        SfKind::Item | SfKind::List | SfKind::Dictionary => None,
        SfKind::Integer
        | SfKind::Decimal
        | SfKind::String
        | SfKind::Token
        | SfKind::Boolean
        | SfKind::ByteSequence => Some(kind),
    }
}

/// The kind of a bare item; dates and display strings (RFC 9651's newer types,
/// which no `sf:` name selects) count as items.
fn bare_kind_of(item: &BareItem) -> SfKind {
    match item {
        BareItem::Integer(_) => SfKind::Integer,
        BareItem::Decimal(_) => SfKind::Decimal,
        BareItem::String(_) => SfKind::String,
        BareItem::Token(_) => SfKind::Token,
        BareItem::Boolean(_) => SfKind::Boolean,
        BareItem::ByteSequence(_) => SfKind::ByteSequence,
        BareItem::Date(_) | BareItem::DisplayString(_) => SfKind::Item,
    }
}

fn structure(kind: SfKind) -> &'static str {
    match kind {
        SfKind::List => "list",
        SfKind::Dictionary => "dictionary",
        _ => "item",
    }
}

fn article(kind: SfKind) -> &'static str {
    match kind {
        SfKind::Integer | SfKind::Item => "an",
        _ => "a",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical_of(kind: SfKind, value: &str) -> Result<String, String> {
        parse(kind, value).map(|parsed| canonical(kind, &parsed))
    }

    #[test]
    fn bare_kinds_read_the_bare_item_without_parameters() {
        assert_eq!(canonical_of(SfKind::Integer, "5").unwrap(), "5");
        assert_eq!(canonical_of(SfKind::Integer, " 5;a=1").unwrap(), "5");
        assert_eq!(canonical_of(SfKind::Boolean, "?1").unwrap(), "?1");
        assert_eq!(canonical_of(SfKind::Decimal, "1.50").unwrap(), "1.5");
        assert_eq!(canonical_of(SfKind::String, "\"a b\"").unwrap(), "\"a b\"");
        assert_eq!(canonical_of(SfKind::Token, "foo/bar").unwrap(), "foo/bar");
        assert_eq!(
            canonical_of(SfKind::ByteSequence, ":aGVsbG8=:").unwrap(),
            ":aGVsbG8=:"
        );
        assert_eq!(canonical_of(SfKind::Item, "5;a=1").unwrap(), "5;a=1");
    }

    #[test]
    fn the_wrong_type_or_no_structure_is_evidence() {
        assert_eq!(
            canonical_of(SfKind::Integer, "1.5").unwrap_err(),
            "an item whose bare item is a decimal, not an integer"
        );
        assert_eq!(
            canonical_of(SfKind::Boolean, "true").unwrap_err(),
            "an item whose bare item is a token, not a boolean"
        );
        assert!(
            canonical_of(SfKind::Integer, "")
                .unwrap_err()
                .starts_with("not a structured item")
        );
        assert!(
            canonical_of(SfKind::Integer, "12345678901234567")
                .unwrap_err()
                .starts_with("not a structured item"),
            "more than 15 digits is no sf-integer"
        );
    }

    #[test]
    fn dictionaries_and_their_members() {
        let value = "max-size=100, min-append-size=1.5;x, flag, list=(1 2);p";
        assert_eq!(
            canonical_of(SfKind::Dictionary, value).unwrap(),
            "max-size=100, min-append-size=1.5;x, flag, list=(1 2);p"
        );
        let Parsed::Dictionary(dictionary) = parse(SfKind::Dictionary, value).unwrap() else {
            panic!("a dictionary");
        };
        assert_eq!(member(&dictionary, "max-size").as_deref(), Some("100"));
        assert_eq!(
            member(&dictionary, "min-append-size").as_deref(),
            Some("1.5")
        );
        assert_eq!(member(&dictionary, "flag").as_deref(), Some("?1"));
        assert_eq!(member(&dictionary, "list").as_deref(), Some("(1 2)"));
        assert_eq!(member(&dictionary, "nope"), None);
        assert_eq!(
            member_value("a=\"x y\", b=2", "a").unwrap().as_deref(),
            Some("x y")
        );
        assert_eq!(
            member_value("a=\"x y\", b=2", "b").unwrap().as_deref(),
            Some("2")
        );
        assert!(member_value("a=", "a").is_err());
    }

    #[test]
    fn lists_parse_whole() {
        assert_eq!(canonical_of(SfKind::List, "a,  b;q=1").unwrap(), "a, b;q=1");
        assert!(canonical_of(SfKind::List, "a,,b").is_err());
    }
}
