//! Element lookup in XML bodies by a `/`-separated path of local names.
//!
//! S3 answers carry `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"` and some
//! servers leave it out or use a prefix; matching local names only lets one
//! scenario hold for all of them. For the same reason the first step of a path
//! stands for the root element whatever its name: moto names ListParts' root
//! `ListPartsResponse`, and that one deviation is reported by the scenario that
//! checks the root's name (`body: {root: …}`), not by every scenario that reads
//! a part from a listing. A step may carry a 1-based position among the
//! siblings of that name (`ListPartsResult/Part[2]/ETag`). Whitespace before the
//! document is skipped: S3 may send it to keep a slow CompleteMultipartUpload alive.

use std::fmt;

/// Why a path found no text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum XmlLookupError {
    NotXml(String),
    Missing,
}

impl fmt::Display for XmlLookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlLookupError::NotXml(reason) => write!(f, "a body that is not XML ({reason})"),
            XmlLookupError::Missing => f.write_str("no element at that path"),
        }
    }
}

/// The text of the first element, in document order, whose path from the root is
/// `path` (`ListPartsResult/Part/ETag`; a leading `/` is allowed; the first step
/// names the root, whatever the root is called). The text is every descendant text
/// node concatenated, untrimmed: whitespace a server adds is its own.
pub(crate) fn element_text(document: &str, path: &str) -> Result<String, XmlLookupError> {
    all_texts_limited(document, path, 1)?
        .pop()
        .ok_or(XmlLookupError::Missing)
}

/// The text of every element at `path`, in document order; empty when there is none.
pub(crate) fn all_texts(document: &str, path: &str) -> Result<Vec<String>, XmlLookupError> {
    all_texts_limited(document, path, usize::MAX)
}

fn all_texts_limited(
    document: &str,
    path: &str,
    limit: usize,
) -> Result<Vec<String>, XmlLookupError> {
    let document = parse(document)?;
    let mut steps = path.trim_start_matches('/').split('/').map(Step::parse);
    let root = document.root_element();
    let mut found = Vec::new();
    if let Some(Step {
        position: None | Some(1),
        ..
    }) = steps.next()
    {
        let steps: Vec<Step> = steps.collect();
        collect(root, &steps, limit, &mut found);
    }
    Ok(found
        .into_iter()
        .map(|element| {
            element
                .descendants()
                .filter(|node| node.is_text())
                .filter_map(|node| node.text())
                .collect()
        })
        .collect())
}

/// The local name of the document's root element.
pub(crate) fn root_name(document: &str) -> Result<String, XmlLookupError> {
    Ok(parse(document)?.root_element().tag_name().name().to_owned())
}

fn parse(document: &str) -> Result<roxmltree::Document<'_>, XmlLookupError> {
    roxmltree::Document::parse(document.trim_start())
        .map_err(|error| XmlLookupError::NotXml(error.to_string()))
}

/// One step of a path: a local name, and optionally which of the siblings so named.
#[derive(Clone, Copy, Debug)]
struct Step<'p> {
    name: &'p str,
    /// 1-based; `None` means every sibling of that name.
    position: Option<usize>,
}

impl<'p> Step<'p> {
    /// `Part` or `Part[2]`; a bracket that is not a position is part of the name
    /// (and so matches nothing, since XML names cannot contain brackets).
    fn parse(text: &'p str) -> Self {
        if let Some(open) = text.find('[')
            && let Some(inner) = text[open + 1..].strip_suffix(']')
            && let Ok(position) = inner.parse::<usize>()
        {
            return Step {
                name: &text[..open],
                position: Some(position),
            };
        }
        Step {
            name: text,
            position: None,
        }
    }
}

/// Depth-first in document order, so `Part/ETag` finds the first `Part` that has an
/// `ETag`; stops once `limit` elements are found.
fn collect<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    steps: &[Step<'_>],
    limit: usize,
    found: &mut Vec<roxmltree::Node<'a, 'input>>,
) {
    let Some((first, rest)) = steps.split_first() else {
        found.push(node);
        return;
    };
    let named = node
        .children()
        .filter(|child| child.is_element() && child.tag_name().name() == first.name);
    for (index, child) in named.enumerate() {
        if found.len() >= limit {
            return;
        }
        match first.position {
            Some(position) if position != index + 1 => continue,
            _ => collect(child, rest, limit, found),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S3: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2Fk&amp;1</UploadId>
</InitiateMultipartUploadResult>"#;

    #[test]
    fn ignores_namespaces_and_decodes_entities() {
        assert_eq!(
            element_text(S3, "InitiateMultipartUploadResult/UploadId"),
            Ok("VXBsb2Fk&1".into())
        );
        assert_eq!(
            element_text(S3, "/InitiateMultipartUploadResult/Key"),
            Ok("k".into())
        );
        let prefixed = r#"<s3:Error xmlns:s3="urn:x"><s3:Code>NoSuchUpload</s3:Code></s3:Error>"#;
        assert_eq!(
            element_text(prefixed, "Error/Code"),
            Ok("NoSuchUpload".into())
        );
    }

    #[test]
    fn searches_every_branch_for_the_path() {
        let doc = "<R><P><N>1</N></P><P><N>2</N><E>e2</E></P></R>";
        assert_eq!(element_text(doc, "R/P/E"), Ok("e2".into()));
        assert_eq!(element_text(doc, "R/P/N"), Ok("1".into()));
        assert_eq!(element_text(doc, "R"), Ok("12e2".into()));
        assert_eq!(element_text("<R><E></E></R>", "R/E"), Ok(String::new()));
    }

    #[test]
    fn positions_pick_one_sibling_and_all_takes_every_match() {
        let doc = "<R><P><N>1</N></P><P><N>2</N><E>e2</E></P><Q/></R>";
        assert_eq!(element_text(doc, "R/P[2]/N"), Ok("2".into()));
        assert_eq!(element_text(doc, "R/P[1]/E"), Err(XmlLookupError::Missing));
        assert_eq!(element_text(doc, "R/P[3]"), Err(XmlLookupError::Missing));
        assert_eq!(element_text(doc, "R[1]/Q"), Ok(String::new()));
        assert_eq!(all_texts(doc, "R/P/N"), Ok(vec!["1".into(), "2".into()]));
        assert_eq!(all_texts(doc, "R/P/X"), Ok(Vec::new()));
        assert_eq!(all_texts(doc, "R/X/P"), Ok(Vec::new()));
    }

    #[test]
    fn the_first_step_is_the_root_whatever_it_is_called() {
        let moto = "<ListPartsResponse><Part><PartNumber>1</PartNumber></Part></ListPartsResponse>";
        assert_eq!(
            element_text(moto, "ListPartsResult/Part/PartNumber"),
            Ok("1".into())
        );
        assert_eq!(root_name(moto), Ok("ListPartsResponse".into()));
        assert_eq!(root_name(S3), Ok("InitiateMultipartUploadResult".into()));
        assert!(matches!(root_name("{}"), Err(XmlLookupError::NotXml(_))));
    }

    #[test]
    fn real_s3_error_bodies_with_and_without_a_namespace() {
        let aws = "\n  <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidPart</Code>\
                   <Message>One or more of the specified parts could not be found.</Message>\
                   <UploadId>VXBsb2Fk</UploadId><PartNumber>1</PartNumber>\
                   <ETag>ffffffffffffffffffffffffffffffff</ETag><RequestId>R</RequestId></Error>";
        assert_eq!(element_text(aws, "Error/Code"), Ok("InvalidPart".into()));
        let namespaced = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Code>NoSuchUpload</Code><Message>m</Message></Error>"#;
        assert_eq!(
            element_text(namespaced, "Error/Code"),
            Ok("NoSuchUpload".into())
        );
    }

    #[test]
    fn reports_missing_paths_and_non_xml() {
        assert_eq!(
            element_text(S3, "InitiateMultipartUploadResult/Nope"),
            Err(XmlLookupError::Missing)
        );
        assert_eq!(element_text(S3, "Error/Code"), Err(XmlLookupError::Missing));
        assert!(matches!(
            element_text("not xml", "a"),
            Err(XmlLookupError::NotXml(_))
        ));
    }
}
