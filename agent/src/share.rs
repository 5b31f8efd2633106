//! `mailport check --share`: the same share link the page makes, printed in
//! the terminal, so the owner of a headless server can send the result to
//! someone who opens it in a browser.
//!
//! Redaction is the page's, flag for checkbox: addresses hidden unless
//! `--share-show-addresses`, server names shown unless `--share-hide-names`.
//! The link is the short one (format 3) unless `--share-full` asks for every
//! transcript.

use clap::Args;
use mailport_shared::share::{self, RedactOptions};
use mailport_shared::Report;

/// The share flags of `mailport check`.
#[derive(Debug, Args)]
pub struct ShareArgs {
    /// After the report, print a link that shows this result in a browser
    /// (the whole result is inside the link; no server stores it).
    #[arg(long)]
    pub share: bool,
    /// Keep IP addresses in the share link (hidden by default, as on the page).
    #[arg(long, requires = "share")]
    pub share_show_addresses: bool,
    /// Hide server names in the share link (well-known public servers and
    /// your provider's relay stay).
    #[arg(long, requires = "share")]
    pub share_hide_names: bool,
    /// Put every transcript (greetings, EHLO, TLS) in the link: about four
    /// times longer.
    #[arg(long, requires = "share")]
    pub share_full: bool,
    /// The page the link opens (a copy you host, for instance).
    #[arg(long, value_name = "URL", requires = "share", value_parser = parse_base,
          default_value = concat!("https://mailport.github.io", "/"))]
    pub share_base: String,
}

/// A share base must be an http(s) URL: the link is opened in a browser.
fn parse_base(s: &str) -> Result<String, String> {
    let s = s.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("{s:?} is not an http:// or https:// address"))?;
    if rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .is_empty()
    {
        return Err(format!("{s:?} has no host name"));
    }
    Ok(s.to_string())
}

impl ShareArgs {
    /// The redaction the flags ask for.
    pub fn redact(&self) -> RedactOptions {
        RedactOptions {
            ip: !self.share_show_addresses,
            hosts: self.share_hide_names,
        }
    }

    /// The link for `report`, or `None` without `--share`. An error when
    /// redaction cannot be done safely: never an unredacted link.
    pub fn link(&self, report: &Report) -> anyhow::Result<Option<String>> {
        if !self.share {
            return Ok(None);
        }
        let redacted = share::redact(report, self.redact())
            .map_err(|e| anyhow::anyhow!("no share link: {e}"))?;
        Ok(Some(if self.share_full {
            share::link(&self.share_base, &redacted)
        } else {
            share::link_short(&self.share_base, &redacted)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_base;

    #[test]
    fn share_bases_are_web_addresses() {
        assert_eq!(
            parse_base(" https://mail.example/port/ "),
            Ok("https://mail.example/port/".into())
        );
        assert!(parse_base("http://127.0.0.1:7525/").is_ok());
        assert!(parse_base("mailport.github.io").is_err());
        assert!(parse_base("https:///x").is_err());
        assert!(parse_base("javascript:alert(1)").is_err());
    }
}
