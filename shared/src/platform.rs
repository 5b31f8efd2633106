//! Which prebuilt agent fits the visitor's computer, decided from what the
//! browser says about it (pure: the page passes the strings in).
//!
//! Sources, best first: User-Agent Client Hints (`navigator.userAgentData`:
//! `platform`, `mobile`, and `architecture` when the page asked for it),
//! then `navigator.platform`, then the User-Agent string. Browsers on
//! Apple silicon still say "MacIntel" and "Intel Mac OS X", so without the
//! hints a Mac's architecture is unknown and both Mac downloads are offered
//! (Apple silicon first: every Mac sold since 2021).

/// Where the release archives, `SHA256SUMS` and the installers are, unless
/// the page is told otherwise (`<meta name="mailport-download-base">`).
pub const RELEASE_BASE: &str = "https://github.com/mailport/mailport/releases/latest/download";

/// The visitor's kind of system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    /// Linux (a desktop or laptop).
    Linux,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
    /// A phone or tablet: the agent needs a computer.
    Phone,
    /// Anything else (ChromeOS, BSD, a browser that says nothing).
    Unknown,
}

/// The processor family, when the browser says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86_64 / amd64.
    X86_64,
    /// ARM64 / aarch64.
    Arm64,
    /// Not said.
    Unknown,
}

/// What was detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Platform {
    /// The system.
    pub system: System,
    /// Its architecture.
    pub arch: Arch,
}

/// What the browser says, as strings (empty or `None` when not said).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrowserSays {
    /// `navigator.userAgentData.platform` ("Windows", "macOS", "Linux",
    /// "Android", "Chrome OS"...).
    pub hint_platform: Option<String>,
    /// `navigator.userAgentData.mobile`.
    pub hint_mobile: Option<bool>,
    /// The high-entropy `architecture` hint ("x86", "arm").
    pub hint_arch: Option<String>,
    /// `navigator.platform` ("Win32", "MacIntel", "Linux x86_64"...).
    pub platform: String,
    /// `navigator.userAgent`.
    pub user_agent: String,
}

/// Decides the system and architecture.
pub fn detect(b: &BrowserSays) -> Platform {
    let ua = b.user_agent.as_str();
    let phone_ua = ["iPhone", "iPad", "iPod", "Android"]
        .iter()
        .any(|p| ua.contains(p) || b.platform.starts_with(p));
    let system = if b.hint_mobile == Some(true) || phone_ua {
        System::Phone
    } else if let Some(p) = b.hint_platform.as_deref().filter(|p| !p.is_empty()) {
        match p {
            "Windows" => System::Windows,
            "macOS" => System::MacOs,
            "Linux" => System::Linux,
            "Android" | "iOS" => System::Phone,
            _ => System::Unknown,
        }
    } else if b.platform.starts_with("Win") {
        System::Windows
    } else if b.platform.starts_with("Mac") {
        System::MacOs
    } else if ua.contains("CrOS") {
        System::Unknown
    } else if b.platform.starts_with("Linux") {
        System::Linux
    } else if ua.contains("Windows") {
        System::Windows
    } else if ua.contains("Macintosh") || ua.contains("Mac OS X") {
        System::MacOs
    } else if ua.contains("Linux") || ua.contains("X11") {
        System::Linux
    } else {
        System::Unknown
    };
    let arch = match b.hint_arch.as_deref() {
        Some("arm") => Arch::Arm64,
        Some("x86") => Arch::X86_64,
        _ => arch_in(&b.platform)
            .or_else(|| arch_in(ua))
            .unwrap_or(Arch::Unknown),
    };
    Platform { system, arch }
}

/// An architecture named in `navigator.platform` or the User-Agent.
fn arch_in(s: &str) -> Option<Arch> {
    let s = s.to_ascii_lowercase();
    if ["aarch64", "arm64", "armv8"].iter().any(|a| s.contains(a)) {
        Some(Arch::Arm64)
    } else if ["x86_64", "amd64", "win64", "wow64", "x64"]
        .iter()
        .any(|a| s.contains(a))
    {
        Some(Arch::X86_64)
    } else {
        None
    }
}

/// One release download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Download {
    /// The Rust target it was built for.
    pub target: &'static str,
    /// In words.
    pub label: &'static str,
    /// The system it is for.
    pub system: System,
    /// Its architecture.
    pub arch: Arch,
}

impl Download {
    /// The archive's file name (`scripts/dist.sh` makes these).
    pub fn archive(&self) -> String {
        let ext = if self.system == System::Windows {
            "zip"
        } else {
            "tar.gz"
        };
        format!("mailport-{}.{ext}", self.target)
    }
}

/// Every prebuilt agent, in the order the page lists them.
pub const DOWNLOADS: &[Download] = &[
    Download {
        target: "x86_64-pc-windows-gnu",
        label: "Windows (x86_64; also runs on Windows on ARM)",
        system: System::Windows,
        arch: Arch::X86_64,
    },
    Download {
        target: "aarch64-apple-darwin",
        label: "macOS, Apple silicon (M1 and later)",
        system: System::MacOs,
        arch: Arch::Arm64,
    },
    Download {
        target: "x86_64-apple-darwin",
        label: "macOS, Intel",
        system: System::MacOs,
        arch: Arch::X86_64,
    },
    Download {
        target: "x86_64-unknown-linux-musl",
        label: "Linux x86_64 (static: any distribution)",
        system: System::Linux,
        arch: Arch::X86_64,
    },
    Download {
        target: "aarch64-unknown-linux-musl",
        label: "Linux ARM64 (Raspberry Pi OS 64-bit, ARM servers)",
        system: System::Linux,
        arch: Arch::Arm64,
    },
];

/// The downloads for `p` first (one when the architecture is known or
/// only one exists; both of the system's otherwise, the likelier first),
/// then the others.
pub fn ordered(p: Platform) -> (Vec<Download>, Vec<Download>) {
    let fits = |d: &Download| {
        d.system == p.system
            && (p.arch == Arch::Unknown || d.arch == p.arch || p.system == System::Windows)
    };
    let (mut first, rest): (Vec<Download>, Vec<Download>) =
        DOWNLOADS.iter().copied().partition(|d| fits(d));
    // Without an architecture a Linux PC is most likely x86_64.
    if p.system == System::Linux && p.arch == Arch::Unknown {
        crate::small_sort::sort_by_key(&mut first, |d| d.arch != Arch::X86_64);
    }
    (first, rest)
}

/// The one-line installer for a system, from `base`.
pub fn one_liner(system: System, base: &str) -> Option<String> {
    let base = base.trim_end_matches('/');
    match system {
        System::Linux | System::MacOs => Some(format!("curl -fsSL {base}/install.sh | sh")),
        System::Windows => Some(format!("irm {base}/install.ps1 | iex")),
        System::Phone | System::Unknown => None,
    }
}

/// The SHA-256 of `file` in a `SHA256SUMS` text (`sha256sum` format:
/// 64 hex digits, two spaces or " *", the name); `None` if not listed or
/// malformed.
pub fn checksum_of<'a>(sums: &'a str, file: &str) -> Option<&'a str> {
    sums.lines().find_map(|line| {
        let (hash, name) = line.trim_end().split_once(' ')?;
        let name = name.trim_start_matches([' ', '*']);
        (name == file && hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(hash)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIN_CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const MAC_SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";
    const LINUX_FIREFOX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const LINUX_ARM: &str =
        "Mozilla/5.0 (X11; Linux aarch64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    const CHROMEOS: &str = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    fn says(
        hint: Option<&str>,
        mobile: Option<bool>,
        arch: Option<&str>,
        platform: &str,
        ua: &str,
    ) -> BrowserSays {
        BrowserSays {
            hint_platform: hint.map(str::to_string),
            hint_mobile: mobile,
            hint_arch: arch.map(str::to_string),
            platform: platform.to_string(),
            user_agent: ua.to_string(),
        }
    }

    #[test]
    fn detection_table() {
        use Arch::{Arm64, X86_64};
        use System::{Linux, MacOs, Phone, Windows};
        const NO_ARCH: Arch = Arch::Unknown;
        const OTHER: System = System::Unknown;
        let cases: &[(BrowserSays, System, Arch)] = &[
            (
                says(Some("Windows"), Some(false), None, "Win32", WIN_CHROME),
                Windows,
                X86_64,
            ),
            (says(None, None, None, "Win32", WIN_CHROME), Windows, X86_64),
            (says(None, None, None, "", WIN_CHROME), Windows, X86_64),
            (
                says(None, None, None, "MacIntel", MAC_SAFARI),
                MacOs,
                NO_ARCH,
            ),
            (
                says(
                    Some("macOS"),
                    Some(false),
                    Some("arm"),
                    "MacIntel",
                    MAC_SAFARI,
                ),
                MacOs,
                Arm64,
            ),
            (
                says(
                    Some("macOS"),
                    Some(false),
                    Some("x86"),
                    "MacIntel",
                    MAC_SAFARI,
                ),
                MacOs,
                X86_64,
            ),
            (
                says(None, None, None, "Linux x86_64", LINUX_FIREFOX),
                Linux,
                X86_64,
            ),
            (
                says(None, None, None, "Linux aarch64", LINUX_ARM),
                Linux,
                Arm64,
            ),
            (
                says(
                    Some("Linux"),
                    Some(false),
                    None,
                    "",
                    "Mozilla/5.0 (X11; Linux)",
                ),
                Linux,
                NO_ARCH,
            ),
            (says(None, None, None, "iPhone", IPHONE), Phone, NO_ARCH),
            (says(None, None, None, "", IPHONE), Phone, NO_ARCH),
            (
                says(Some("Android"), Some(true), None, "Linux armv8l", ANDROID),
                Phone,
                Arm64,
            ),
            (
                says(None, None, None, "Linux armv8l", ANDROID),
                Phone,
                Arm64,
            ),
            (
                says(
                    Some("Chrome OS"),
                    Some(false),
                    None,
                    "Linux x86_64",
                    CHROMEOS,
                ),
                OTHER,
                X86_64,
            ),
            (
                says(None, None, None, "Linux x86_64", CHROMEOS),
                OTHER,
                X86_64,
            ),
            (says(None, None, None, "", ""), OTHER, NO_ARCH),
        ];
        for (b, system, arch) in cases {
            assert_eq!(
                detect(b),
                Platform {
                    system: *system,
                    arch: *arch
                },
                "{b:?}"
            );
        }
    }

    fn targets(v: &[Download]) -> Vec<&'static str> {
        v.iter().map(|d| d.target).collect()
    }

    #[test]
    fn the_fitting_downloads_come_first() {
        let p = |system, arch| Platform { system, arch };
        let cases: &[(Platform, &[&str])] = &[
            (p(System::Windows, Arch::X86_64), &["x86_64-pc-windows-gnu"]),
            (p(System::Windows, Arch::Arm64), &["x86_64-pc-windows-gnu"]),
            (
                p(System::MacOs, Arch::Unknown),
                &["aarch64-apple-darwin", "x86_64-apple-darwin"],
            ),
            (p(System::MacOs, Arch::X86_64), &["x86_64-apple-darwin"]),
            (
                p(System::Linux, Arch::Arm64),
                &["aarch64-unknown-linux-musl"],
            ),
            (
                p(System::Linux, Arch::Unknown),
                &["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"],
            ),
            (p(System::Phone, Arch::Arm64), &[]),
            (p(System::Unknown, Arch::X86_64), &[]),
        ];
        for (platform, want) in cases {
            let (first, rest) = ordered(*platform);
            assert_eq!(targets(&first), *want, "{platform:?}");
            assert_eq!(first.len() + rest.len(), DOWNLOADS.len());
        }
    }

    #[test]
    fn archives_one_liners_and_checksums() {
        let names: Vec<String> = DOWNLOADS.iter().map(Download::archive).collect();
        assert!(names.contains(&"mailport-x86_64-pc-windows-gnu.zip".to_string()));
        assert!(names.contains(&"mailport-aarch64-apple-darwin.tar.gz".to_string()));
        assert_eq!(
            one_liner(System::MacOs, "http://h/dl/").as_deref(),
            Some("curl -fsSL http://h/dl/install.sh | sh")
        );
        assert_eq!(
            one_liner(System::Windows, "http://h/dl").as_deref(),
            Some("irm http://h/dl/install.ps1 | iex")
        );
        assert_eq!(one_liner(System::Phone, "http://h"), None);
        let a = "a".repeat(64);
        let b = "B".repeat(64);
        let sums = format!("{a}  mailport-x.tar.gz\n{b} *mailport-y.zip\nshort  mailport-z.zip\n");
        assert_eq!(checksum_of(&sums, "mailport-x.tar.gz"), Some(a.as_str()));
        assert_eq!(checksum_of(&sums, "mailport-y.zip"), Some(b.as_str()));
        assert_eq!(checksum_of(&sums, "mailport-z.zip"), None);
        assert_eq!(checksum_of(&sums, "mailport-x.tar"), None);
        assert_eq!(checksum_of("", "mailport-x.tar.gz"), None);
    }
}
