//! Element lookup in XML bodies by a `/`-separated path of local names.
//!
//! S3 answers carry `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"` and some
//! servers leave it out or use a prefix; matching local names only lets one
//! scenario hold for all of them.

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
/// `path` (`ListPartsResult/Part/ETag`; a leading `/` is allowed). The text is every
/// descendant text node concatenated, untrimmed: whitespace a server adds is its own.
pub(crate) fn element_text(document: &str, path: &str) -> Result<String, XmlLookupError> {
    let document = roxmltree::Document::parse(document)
        .map_err(|error| XmlLookupError::NotXml(error.to_string()))?;
    let mut names = path.trim_start_matches('/').split('/');
    let root = document.root_element();
    if names.next() != Some(root.tag_name().name()) {
        return Err(XmlLookupError::Missing);
    }
    let names: Vec<&str> = names.collect();
    find(root, &names)
        .map(|element| {
            element
                .descendants()
                .filter(|node| node.is_text())
                .filter_map(|node| node.text())
                .collect()
        })
        .ok_or(XmlLookupError::Missing)
}

/// Depth-first, so `Part/ETag` finds the first `Part` that has an `ETag`.
fn find<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    names: &[&str],
) -> Option<roxmltree::Node<'a, 'input>> {
    let Some((first, rest)) = names.split_first() else {
        return Some(node);
    };
    node.children()
        .filter(|child| child.is_element() && child.tag_name().name() == *first)
        .find_map(|child| find(child, rest))
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
