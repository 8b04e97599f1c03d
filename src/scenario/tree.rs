//! Where scenario files come from: the suites compiled into the binary, a user's
//! directory, or files held in memory (tests).
//!
//! The bundled tree mirrors the repository (`specs/…` beside `fixtures/…`), so a
//! scenario's `file: ../../fixtures/x.bin` resolves the same way whether upspec
//! runs from a checkout or as an installed binary.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled_specs.rs"));
}

/// The file name of a requirement catalogue (see [`super::catalogue`]): it lists the
/// requirement IDs that the scenarios in its directory may cite, so it is not a
/// scenario file.
pub const CATALOGUE_FILE: &str = "requirements.yaml";

/// [`CATALOGUE_FILE`] without `.yaml`, as paths are compared here.
const CATALOGUE_STEM: &str = "requirements";

/// A requirement catalogue found in a tree.
pub struct CatalogueFile {
    /// Shown in messages: `specs/tus/requirements.yaml` or the user's own path.
    pub display: String,
    /// Its directory below the scenario root, as path components: the catalogue
    /// covers the scenarios whose module path starts with it (`["tus"]`).
    pub dir: Vec<String>,
    pub text: String,
}

/// A scenario file found in a tree.
/// A YAML file found below the scenario root, before it is known to be a scenario
/// file or a catalogue.
struct YamlFile {
    display: String,
    parts: Vec<String>,
    location: Location,
    text: String,
}

pub struct SpecFile {
    /// Shown in messages: `specs/tus/core/patch.yaml` or the user's own path.
    pub display: String,
    /// The path below the scenario root, `/`-separated, without `.yaml`: gives the module path.
    pub module: Vec<String>,
    /// Where `file:` references resolve from.
    location: Location,
    pub text: String,
}

#[derive(Clone)]
enum Location {
    /// A key of the in-memory map (for the bundled tree: the repository-relative path).
    Key(String),
    Disk(PathBuf),
}

pub enum SpecTree {
    /// Files by `/`-separated path; scenario files live under `root` (e.g. `specs/`).
    Memory {
        root: String,
        files: BTreeMap<String, Vec<u8>>,
    },
    Directory(PathBuf),
}

impl SpecTree {
    /// The suites shipped with upspec (`specs/` and `fixtures/` of the repository).
    pub fn bundled() -> Self {
        SpecTree::Memory {
            root: "specs/".into(),
            files: bundled::FILES
                .iter()
                .map(|(path, bytes)| (path.to_string(), bytes.to_vec()))
                .collect(),
        }
    }

    /// A user's scenario directory (`--specs DIR`).
    pub fn directory(path: impl Into<PathBuf>) -> Self {
        SpecTree::Directory(path.into())
    }

    /// Files given in memory, for tests: paths are relative to the scenario root.
    pub fn in_memory<I, P, B>(files: I) -> Self
    where
        I: IntoIterator<Item = (P, B)>,
        P: Into<String>,
        B: Into<Vec<u8>>,
    {
        SpecTree::Memory {
            root: String::new(),
            files: files
                .into_iter()
                .map(|(p, b)| (p.into(), b.into()))
                .collect(),
        }
    }

    /// Every `*.yaml` file below the scenario root, sorted by path, except the
    /// requirement catalogues (`requirements.yaml`, see [`SpecTree::catalogue_files`]).
    pub fn spec_files(&self) -> io::Result<Vec<SpecFile>> {
        self.yaml_files(|parts| !is_catalogue(parts)).map(|files| {
            files
                .into_iter()
                .map(|file| SpecFile {
                    display: file.display,
                    module: file.parts,
                    location: file.location,
                    text: file.text,
                })
                .collect()
        })
    }

    /// Every requirement catalogue (`requirements.yaml`) below the scenario root, sorted by path.
    pub fn catalogue_files(&self) -> io::Result<Vec<CatalogueFile>> {
        self.yaml_files(is_catalogue).map(|files| {
            files
                .into_iter()
                .map(|mut file| {
                    file.parts.pop();
                    CatalogueFile {
                        display: file.display,
                        dir: file.parts,
                        text: file.text,
                    }
                })
                .collect()
        })
    }

    /// The `*.yaml` files below the scenario root whose path (components, the last
    /// without `.yaml`) `keep` accepts, read and sorted by path. Scenario files and
    /// catalogues differ only in which files they keep.
    fn yaml_files(&self, keep: impl Fn(&[String]) -> bool) -> io::Result<Vec<YamlFile>> {
        match self {
            SpecTree::Memory { root, files } => files
                .iter()
                .filter_map(|(path, bytes)| {
                    let relative = path.strip_prefix(root.as_str())?.strip_suffix(".yaml")?;
                    let parts: Vec<String> = relative.split('/').map(str::to_owned).collect();
                    keep(&parts).then_some((path, parts, bytes))
                })
                .map(|(path, parts, bytes)| {
                    Ok(YamlFile {
                        display: path.clone(),
                        parts,
                        location: Location::Key(path.clone()),
                        text: utf8(path, bytes.clone())?,
                    })
                })
                .collect(),
            SpecTree::Directory(root) => {
                let mut paths = Vec::new();
                collect_yaml(root, &mut paths)?;
                paths.sort();
                paths
                    .into_iter()
                    .filter_map(|path| {
                        let relative = path.strip_prefix(root).unwrap_or(&path).with_extension("");
                        let parts: Vec<String> = relative
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned())
                            .collect();
                        keep(&parts).then_some((path, parts))
                    })
                    .map(|(path, parts)| {
                        let display = path.display().to_string();
                        let text = utf8(&display, fs::read(&path)?)?;
                        Ok(YamlFile {
                            display,
                            parts,
                            location: Location::Disk(path),
                            text,
                        })
                    })
                    .collect()
            }
        }
    }

    /// Reads a file named relative to the directory of `from` (a `body: {file: …}`).
    pub fn read_relative(&self, from: &SpecFile, name: &str) -> io::Result<Vec<u8>> {
        let not_found = || io::Error::new(io::ErrorKind::NotFound, format!("no file `{name}`"));
        match (&from.location, self) {
            (Location::Key(key), SpecTree::Memory { files, .. }) => {
                let dir = key.rsplit_once('/').map_or("", |(dir, _)| dir);
                let joined = normalize(&Path::new(dir).join(name)).ok_or_else(not_found)?;
                files.get(&joined).cloned().ok_or_else(not_found)
            }
            (Location::Disk(path), _) => {
                let dir = path.parent().unwrap_or(Path::new("."));
                fs::read(dir.join(name))
            }
            (Location::Key(_), SpecTree::Directory(_)) => Err(not_found()),
        }
    }
}

fn utf8(path: &str, bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{path} is not UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Whether a `/`-separated path names a requirement catalogue.
/// Whether a path (components, the last without `.yaml`) names a requirement catalogue.
fn is_catalogue(parts: &[String]) -> bool {
    parts.last().is_some_and(|name| name == CATALOGUE_STEM)
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_yaml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Resolves `.` and `..` in a `/`-separated relative path; `None` if it climbs above the root.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_fixture_paths_resolve_within_the_tree() {
        let tree = SpecTree::Memory {
            root: "specs/".into(),
            files: BTreeMap::from([
                (
                    "specs/tus/core/a.yaml".to_string(),
                    b"scenarios: []".to_vec(),
                ),
                ("fixtures/x.bin".to_string(), vec![1, 2, 3]),
            ]),
        };
        let files = tree.spec_files().unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].module, ["tus", "core", "a"]);
        assert_eq!(
            tree.read_relative(&files[0], "../../../fixtures/x.bin")
                .unwrap(),
            [1, 2, 3]
        );
        assert!(
            tree.read_relative(&files[0], "../../../../etc/passwd")
                .is_err()
        );
    }

    #[test]
    fn catalogues_are_not_scenario_files() {
        let tree = SpecTree::Memory {
            root: "specs/".into(),
            files: BTreeMap::from([
                (
                    "specs/tus/core/a.yaml".to_string(),
                    b"scenarios: []".to_vec(),
                ),
                (
                    "specs/tus/requirements.yaml".to_string(),
                    b"protocol: tus".to_vec(),
                ),
                (
                    "specs/requirements.yaml".to_string(),
                    b"protocol: x".to_vec(),
                ),
            ]),
        };
        let files = tree.spec_files().unwrap();
        assert_eq!(files.len(), 1);
        let catalogues = tree.catalogue_files().unwrap();
        assert_eq!(catalogues.len(), 2);
        assert_eq!(catalogues[0].display, "specs/requirements.yaml");
        assert!(catalogues[0].dir.is_empty());
        assert_eq!(catalogues[1].dir, ["tus"]);
        assert_eq!(catalogues[1].text, "protocol: tus");
    }

    #[test]
    fn the_bundled_tree_holds_the_repository_specs() {
        let files = SpecTree::bundled().spec_files().unwrap();
        assert!(files.iter().all(|f| f.display.starts_with("specs/")));
    }
}
