//! Where the built site's files are, and whether their names carry content hashes.

use std::path::{Path, PathBuf};

use super::error::{ConfigError, invalid};

/// The file cargo-leptos writes next to the server binary, listing the content hash of each `/pkg` file. Leptos
/// reads it from there to name the files in every page.
pub fn hash_file() -> Option<PathBuf> {
    Some(std::env::current_exe().ok()?.parent()?.join("hash.txt"))
}

/// `LEPTOS_HASH_FILES`: `auto` (hashed when cargo-leptos left a hash file next to the binary), `true` or `false`.
pub fn hashed_names(setting: &str, hash_file: Option<&Path>) -> Result<bool, ConfigError> {
    let present = hash_file.is_some_and(Path::is_file);
    match setting.trim() {
        "auto" => Ok(present),
        "false" => Ok(false),
        "true" if present => Ok(true),
        "true" => Err(invalid(
            "LEPTOS_HASH_FILES",
            format!(
                "true, but there is no {} next to the sev binary: copy it there from the build (scripts/release does)",
                hash_file.map_or("hash.txt".into(), |p| p.display().to_string())
            ),
        )),
        other => Err(invalid("LEPTOS_HASH_FILES", format!("expected auto, true or false, got {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_the_hash_file_and_true_requires_it() {
        let dir = std::env::temp_dir().join(format!("sev-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hash.txt");
        let _ = std::fs::remove_file(&file);
        assert!(!hashed_names("auto", Some(&file)).unwrap());
        assert!(!hashed_names("false", Some(&file)).unwrap());
        let e = hashed_names("true", Some(&file)).unwrap_err();
        assert_eq!(e.variable, "LEPTOS_HASH_FILES");
        assert!(e.to_string().contains("hash.txt next to the sev binary"), "{e}");
        std::fs::write(&file, "js: a\nwasm: b\ncss: c\n").unwrap();
        assert!(hashed_names("auto", Some(&file)).unwrap());
        assert!(hashed_names("true", Some(&file)).unwrap());
        assert!(!hashed_names("false", Some(&file)).unwrap());
        let e = hashed_names("yes", Some(&file)).unwrap_err();
        assert!(e.to_string().starts_with("invalid LEPTOS_HASH_FILES: expected auto, true or false"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
