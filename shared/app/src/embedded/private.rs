//! The data directory is readable by its owner only (docs/hardening.md, "Data directory"): it
//! holds webhook secrets, the JWT secret and guest data. Directories 0700, files 0600, set when
//! they are created and tightened when an existing data directory of an earlier version is
//! opened. Elsewhere than Unix these are no-ops.

use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

pub(crate) const DIR_MODE: u32 = 0o700;
pub(crate) const FILE_MODE: u32 = 0o600;

/// Create `dir` (and its parents) if needed; `dir` itself ends up 0700.
pub(crate) fn dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(DIR_MODE);
    builder.create(dir)?;
    tighten(dir, DIR_MODE)
}

/// Options that create a file 0600.
pub(crate) fn file_options() -> std::fs::OpenOptions {
    #[allow(unused_mut)]
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    options.mode(FILE_MODE);
    options
}

/// An existing file becomes 0600 (a file left by an earlier version); a missing one is fine.
pub(crate) fn file(path: &Path) -> io::Result<()> {
    match tighten(path, FILE_MODE) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Write a whole new file, 0600.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = file_options().write(true).create(true).truncate(true).open(path)?;
    f.write_all(bytes)?;
    file(path)
}

#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> io::Result<()> {
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if current & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}
