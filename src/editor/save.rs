//! Saving a scene atomically: the new text goes to a temporary file in the
//! same folder, is synced, and is renamed over the scene, so a kill at any
//! moment leaves the old file or the new one, never a part of either. A file
//! someone else changed since it was read is not overwritten.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::EditError;

/// Writes `text` to `path` atomically. With `base` (the text the edit
/// started from), refuses when the file on disk is no longer that text:
/// someone else changed it, and their change would be lost.
pub fn save(path: &Path, text: &str, base: Option<&str>) -> Result<(), EditError> {
    let io = |why: String| EditError::Io {
        path: path.display().to_string(),
        why,
    };
    if let Some(base) = base {
        let now = std::fs::read_to_string(path).map_err(|e| io(format!("cannot read: {e}")))?;
        if now != base {
            return Err(io(
                "changed on disk since it was read: reload it, or save elsewhere".into(),
            ));
        }
    }
    let temp = temp_path(path);
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        // Keep the scene's permissions.
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, meta.permissions())?;
        }
        std::fs::rename(&temp, path)?;
        // The rename itself is durable once the folder is synced.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io(format!("cannot save: {e}"))
    })
}

/// A short name for a text (FNV-1a, 64 bits, as 16 hex digits): the page
/// names the text its edits started from by it, and `serve --allow-edit`
/// compares it with the file's before it saves.
pub fn fingerprint(text: &str) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = text
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    format!("{hash:016x}")
}

/// `.NAME.PID.tmp` beside `path`: the same file system, so the rename is atomic.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "scene".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("twinscape-save-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn fingerprints_are_fnv_1a_64() {
        // The test vectors of the FNV reference (isthe.com/chongo/tech/comp/fnv).
        assert_eq!(fingerprint(""), "cbf29ce484222325");
        assert_eq!(fingerprint("a"), "af63dc4c8601ec8c");
        assert_eq!(fingerprint("foobar"), "85944171f73967e8");
    }

    #[test]
    fn a_save_replaces_the_file_and_leaves_no_temporary() {
        let d = dir("replace");
        let path = d.join("a.scene.ron");
        std::fs::write(&path, "old").unwrap();
        save(&path, "new", Some("old")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.scene.ron"]);
    }

    #[test]
    fn a_file_changed_by_someone_else_is_not_overwritten() {
        let d = dir("conflict");
        let path = d.join("a.scene.ron");
        std::fs::write(&path, "theirs").unwrap();
        let e = save(&path, "mine", Some("what I read")).unwrap_err();
        assert!(
            e.to_string().contains("changed on disk since it was read"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs");
    }

    #[test]
    fn a_folder_that_cannot_be_written_leaves_the_file_alone() {
        let path = Path::new("/nonexistent-folder/a.scene.ron");
        let e = save(path, "x", None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent-folder/a.scene.ron: cannot save:"),
            "{e}"
        );
    }
}
