//! Man pages and shell completions, generated from the clap definitions so
//! they can never disagree with the binary: `mailport generate-man DIR` and
//! `mailport generate-completions DIR` (hidden; `scripts/dist.sh` runs them
//! with the native binary and packs the files into every archive).

use anyhow::Context as _;
use clap_complete::Shell;
use std::path::{Path, PathBuf};

/// The shells completions are written for, and their files.
pub const SHELLS: &[(Shell, &str)] = &[
    (Shell::Bash, "mailport.bash"),
    (Shell::Zsh, "_mailport"),
    (Shell::Fish, "mailport.fish"),
    (Shell::PowerShell, "_mailport.ps1"),
];

/// Writes `mailport.1` and one page per subcommand (`mailport-check.1`…)
/// of `cmd` (the command line's definition, `Cli::command()`: passed in so
/// that this module does not import the dispatcher that calls it) into
/// `dir`; returns the files written.
pub fn man_pages(cmd: clap::Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    let mut written = Vec::new();
    let mut page = |cmd: clap::Command, name: String| -> anyhow::Result<()> {
        let path = dir.join(format!("{name}.1"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf)?;
        std::fs::write(&path, buf).with_context(|| format!("{}", path.display()))?;
        written.push(path);
        Ok(())
    };
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("mailport-{}", sub.get_name());
        page(sub.clone().name(name.clone()), name)?;
    }
    page(cmd, "mailport".to_string())?;
    Ok(written)
}

/// Writes the completion scripts of [`SHELLS`] for `full` (`Cli::command()`)
/// into `dir`; returns the files.
pub fn completions(full: clap::Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    // The hidden packaging subcommands are left out: a user never types them.
    let visible = full.get_subcommands().filter(|s| !s.is_hide_set()).cloned();
    let mut cmd = clap::Command::new("mailport")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommands(visible);
    let mut written = Vec::new();
    for (shell, file) in SHELLS {
        let path = dir.join(file);
        let mut buf = Vec::new();
        clap_complete::generate(*shell, &mut cmd, "mailport", &mut buf);
        std::fs::write(&path, buf).with_context(|| format!("{}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mailport-gen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn man_pages_cover_the_visible_subcommands() {
        let dir = temp("man");
        let files = man_pages(crate::cli::Cli::command(), &dir).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for want in [
            "mailport.1",
            "mailport-check.1",
            "mailport-serve.1",
            "mailport-reflect.1",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("generate")), "{names:?}");
        let check = std::fs::read_to_string(dir.join("mailport-check.1")).unwrap();
        assert!(check.contains(".TH mailport-check"), "{check}");
        assert!(
            check.contains("allow\\-private"),
            "the flags are documented"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn completions_for_each_shell_know_the_flags() {
        let dir = temp("comp");
        let files = completions(crate::cli::Cli::command(), &dir).unwrap();
        assert_eq!(files.len(), SHELLS.len());
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            assert!(text.contains("allow-private"), "{}", f.display());
            assert!(!text.contains("generate-man"), "{}", f.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
