//! Holds `src/faults.rs` to its word: handlers never test for faults ad hoc,
//! and only the modules its documentation names call `Faults::active`.

use std::path::{Path, PathBuf};

/// The modules `src/faults.rs` names as the places that read faults.
const READERS: [&str; 8] = [
    "ietf/policy.rs",
    "ietf/misreport.rs",
    "tus/policy.rs",
    "tus/rejection.rs",
    "tus/misreport.rs",
    "s3/policy.rs",
    "s3/misreport.rs",
    "s3/rules.rs",
];

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source tree is readable") {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn only_the_named_modules_read_faults() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let doc = std::fs::read_to_string(root.join("faults.rs")).expect("faults.rs is readable");
    let mut readers = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        // Tests may set faults up any way they like.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        if code.contains(".active(") {
            let relative = file.strip_prefix(&root).expect("below src/");
            readers.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    readers.sort();
    let mut expected = READERS.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(
        readers, expected,
        "Faults::active is called outside the modules src/faults.rs names: \
         ask a policy method instead, or name the module there and say why"
    );
    for module in READERS {
        assert!(
            doc.contains(&format!("`{module}`")),
            "src/faults.rs does not name {module}"
        );
    }
}
