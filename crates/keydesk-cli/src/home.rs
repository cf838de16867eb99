//! keydesk's data directory: `$KEYDESK_HOME`, else the platform data directory, else
//! `~/.keydesk`. It holds the embedded demo tenant and, later, keydesk's own state.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The data directory.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    pub fn from_env() -> anyhow::Result<Home> {
        if let Some(path) = std::env::var_os("KEYDESK_HOME").filter(|p| !p.is_empty()) {
            return Ok(Home {
                root: PathBuf::from(path),
            });
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .context("cannot find a data directory: set KEYDESK_HOME")?;
        Ok(Home {
            root: base.join("keydesk"),
        })
    }

    pub fn at(root: &Path) -> Home {
        Home {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the embedded emulator keeps the demo tenant between invocations.
    pub fn demo_tenant_path(&self) -> PathBuf {
        self.root.join("demo-tenant.json")
    }

    pub fn reset_demo(&self) -> anyhow::Result<()> {
        let path = self.demo_tenant_path();
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error).with_context(|| format!("removing {}", path.display())),
        }
    }
}
