//! XML in and out.
//!
//! Out: [`Writer`] builds response bodies in the S3 namespace, escaping
//! every text it is given.
//!
//! In: [`parse`] reads a request body (Complete, CreateBucket, Delete)
//! into a small element tree under hard limits, and refuses anything that
//! could make it expensive: a DTD (so no entity is ever declared, let alone
//! expanded: an XML bomb is refused at its `<!DOCTYPE`), references to
//! entities other than the five predefined ones, processing instructions,
//! more than [`MAX_ELEMENTS`] elements or more than [`MAX_DEPTH`] levels.
//!
//! It also refuses what S3 refuses as not well-formed or not valid against
//! its schema (S3 answers `MalformedXML` to "XML you provided was not
//! well-formed or did not validate against our published schema"):
//! characters XML 1.0 does not allow (NUL and the other C0 controls but
//! tab, LF and CR, raw or as character references); elements in a
//! namespace other than S3's (clients differ in whether they send S3's
//! xmlns, so no namespace is fine too, and a prefix bound to S3's; an
//! unbound prefix is not namespace-well-formed); and, through
//! [`Element::single`], an element given twice where the schema allows one
//! (two `PartNumber`s in a `Part`). Unknown elements are ignored, so a
//! client that sends elements of a newer schema still works. Every refusal
//! is `MalformedXML` (400).

use std::fmt::Display;

use quick_xml::NsReader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

use super::error::S3Error;

/// The namespace of every S3 response body.
pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
/// Largest XML request body read. A Complete of 10,000 parts with a
/// checksum each is about 1.5 MB; bigger bodies are refused unread.
pub const MAX_BODY: u64 = 4 * 1024 * 1024;
/// Most elements in a body: 10,001 parts with four children each fit.
pub const MAX_ELEMENTS: usize = 100_000;
/// Deepest nesting in a body; S3 bodies need three levels.
pub const MAX_DEPTH: usize = 16;

/// Builds an XML document: declaration, namespaced root, escaped texts.
pub struct Writer {
    out: String,
    stack: Vec<&'static str>,
}

impl Writer {
    pub fn new(root: &'static str) -> Self {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<{root} xmlns=\"{NAMESPACE}\">"));
        Self {
            out,
            stack: vec![root],
        }
    }

    /// A root without the namespace (error bodies, as AWS sends them).
    pub fn bare(root: &'static str) -> Self {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<{root}>"));
        Self {
            out,
            stack: vec![root],
        }
    }

    pub fn open(&mut self, name: &'static str) -> &mut Self {
        self.out.push_str(&format!("<{name}>"));
        self.stack.push(name);
        self
    }

    pub fn close(&mut self) -> &mut Self {
        let name = self.stack.pop().expect("close matches an open");
        self.out.push_str(&format!("</{name}>"));
        self
    }

    /// An element with `text`, escaped so a parser reads it back exactly:
    /// markup characters as entities, and CR as `&#13;`, since a raw CR
    /// would be read as a line end (a key may hold one).
    pub fn elem(&mut self, name: &'static str, text: impl Display) -> &mut Self {
        let text = text.to_string();
        let escaped = escape(text.as_str()).replace('\r', "&#13;");
        self.out.push_str(&format!("<{name}>{escaped}</{name}>"));
        self
    }

    pub fn finish(mut self) -> String {
        while !self.stack.is_empty() {
            self.close();
        }
        self.out
    }
}

/// One element of a parsed body: its local name, its text and its child
/// elements.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    /// Its character data as XML defines it (references resolved, line ends
    /// normalised to LF), concatenated and not trimmed: in a key, every
    /// space is part of the name.
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The child `name`, which the schema allows once: a second one is
    /// `MalformedXML`.
    pub fn single(&self, name: &str) -> Result<Option<&Element>, S3Error> {
        let mut found = self.children.iter().filter(|c| c.name == name);
        match (found.next(), found.next()) {
            (_, Some(_)) => Err(S3Error::MalformedXml),
            (first, None) => Ok(first),
        }
    }

    /// Children the schema allows many of (`Part`, `Object`).
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The value of the [`single`](Self::single) child `name`: its text
    /// without surrounding whitespace, which is not content in a number, an
    /// ETag, a checksum or a flag (`<PartNumber> 1 </PartNumber>` is 1).
    pub fn child_value(&self, name: &str) -> Result<Option<&str>, S3Error> {
        Ok(self.single(name)?.map(|c| c.text.trim()))
    }

    /// The text of the [`single`](Self::single) child `name` exactly: for
    /// names (object keys), which are opaque and may begin or end with
    /// spaces.
    pub fn child_exact(&self, name: &str) -> Result<Option<&str>, S3Error> {
        Ok(self.single(name)?.map(|c| c.text.as_str()))
    }
}

/// XML 1.0's `Char` production: any Unicode scalar value but the C0
/// controls other than tab, LF and CR, and U+FFFE, U+FFFF.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// An element may be in no namespace or in S3's; anything else (another
/// namespace, a prefix never bound) is not an S3 body.
fn in_s3_namespace(resolved: &ResolveResult<'_>) -> bool {
    match resolved {
        ResolveResult::Unbound => true,
        ResolveResult::Bound(Namespace(ns)) => *ns == NAMESPACE.as_bytes(),
        ResolveResult::Unknown(_) => false,
    }
}

/// Parses a whole request body into its root element, within the limits
/// above. An empty body is malformed too: every S3 body this server reads
/// needs its root.
pub fn parse(body: &[u8]) -> Result<Element, S3Error> {
    let text = std::str::from_utf8(body).map_err(|_| S3Error::MalformedXml)?;
    if !text.chars().all(is_xml_char) {
        return Err(S3Error::MalformedXml);
    }
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|_| S3Error::MalformedXml)?;
        if matches!(event, Event::Start(_) | Event::Empty(_)) && !in_s3_namespace(&resolved) {
            return Err(S3Error::MalformedXml);
        }
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(S3Error::MalformedXml);
            }
            Event::Start(start) => {
                count += 1;
                if count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
                    return Err(S3Error::MalformedXml);
                }
                stack.push(Element {
                    name: local_name(start.local_name().as_ref())?,
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                count += 1;
                if count > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
                    return Err(S3Error::MalformedXml);
                }
                let element = Element {
                    name: local_name(start.local_name().as_ref())?,
                    ..Element::default()
                };
                attach(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                let element = stack.pop().ok_or(S3Error::MalformedXml)?;
                attach(&mut stack, &mut root, element);
            }
            Event::Text(text) => {
                let text = text.xml10_content().map_err(|_| S3Error::MalformedXml)?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(S3Error::MalformedXml),
                }
            }
            Event::CData(data) => {
                let data = data.xml10_content().map_err(|_| S3Error::MalformedXml)?;
                stack
                    .last_mut()
                    .ok_or(S3Error::MalformedXml)?
                    .text
                    .push_str(&data);
            }
            Event::GeneralRef(reference) => {
                let resolved = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .ok()
                        .flatten()
                        .filter(|c| is_xml_char(*c))
                        .ok_or(S3Error::MalformedXml)?
                } else {
                    match reference
                        .decode()
                        .map_err(|_| S3Error::MalformedXml)?
                        .as_ref()
                    {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        // Never declared (no DTD is accepted), so unknown.
                        _ => return Err(S3Error::MalformedXml),
                    }
                };
                stack
                    .last_mut()
                    .ok_or(S3Error::MalformedXml)?
                    .text
                    .push(resolved);
            }
            Event::Comment(_) | Event::Decl(_) => {}
            Event::DocType(_) | Event::PI(_) => return Err(S3Error::MalformedXml),
            Event::Eof => break,
        }
    }
    match (root, stack.is_empty()) {
        (Some(root), true) => Ok(root),
        _ => Err(S3Error::MalformedXml),
    }
}

fn local_name(raw: &[u8]) -> Result<String, S3Error> {
    String::from_utf8(raw.to_vec()).map_err(|_| S3Error::MalformedXml)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_complete_body_with_entities_and_namespace() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag></Part>
  <Part><PartNumber> 2 </PartNumber><ETag>"def"</ETag></Part>
</CompleteMultipartUpload>"#;
        let root = parse(body).unwrap();
        assert_eq!(root.name, "CompleteMultipartUpload");
        let parts: Vec<_> = root.children("Part").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].child_value("ETag").unwrap(), Some("\"abc\""));
        assert_eq!(parts[1].child_value("PartNumber").unwrap(), Some("2"));
    }

    #[test]
    fn refuses_bombs_and_junk() {
        let bomb = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<CompleteMultipartUpload><Part><ETag>&lol2;</ETag></Part></CompleteMultipartUpload>"#;
        for body in [
            &bomb[..],
            b"",
            b"not xml",
            b"<a><b></a>",
            b"<a>&undefined;</a>",
            b"<a/><b/>",
            b"<a></a>trailing",
            b"<?pi x?><a/>",
            b"\xff\xfe<a/>",
            b"<a>\0</a>",
            b"<a>&#1;</a>",
            b"<a>&#x1F;</a>",
            b"<a>\x07</a>",
            b"<a xmlns=\"urn:other\"/>",
            b"<x:a/>",
            b"<a xmlns:x=\"urn:other\"><x:b/></a>",
        ] {
            assert!(
                matches!(parse(body), Err(S3Error::MalformedXml)),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(deep.as_bytes()).is_err());
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS));
        assert!(parse(wide.as_bytes()).is_err());
    }

    #[test]
    fn schema_rules() {
        let root = parse(
            b"<s3:a xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:b>1</s3:b><c>&#9;</c><c/></s3:a>",
        )
        .unwrap();
        assert_eq!(root.child_value("b").unwrap(), Some("1"));
        assert!(matches!(root.single("c"), Err(S3Error::MalformedXml)));
        assert_eq!(root.children("c").count(), 2);
        assert_eq!(root.child_value("d").unwrap(), None);
    }

    #[test]
    fn texts_are_kept_whole() {
        let root = parse(b"<a><k> x\r\n y&#13; </k><n> 7 </n></a>").unwrap();
        assert_eq!(root.child_exact("k").unwrap(), Some(" x\n y\r "));
        assert_eq!(root.child_value("n").unwrap(), Some("7"));
        let mut w = Writer::bare("a");
        w.elem("k", " x\r ");
        assert!(w.finish().ends_with("<k> x&#13; </k></a>"));
    }

    #[test]
    fn writer_escapes() {
        let mut w = Writer::new("R");
        w.elem("Key", "a<b&\"c\"");
        w.open("L").elem("X", 1).close();
        let out = w.finish();
        assert!(out.ends_with("<R xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Key>a&lt;b&amp;&quot;c&quot;</Key><L><X>1</X></L></R>"), "{out}");
    }
}
