//! The share links as their own wasm module: the page imports it when a
//! check starts and calls [`links`] for the check's result, again whenever
//! what to hide changes (`mailport_frontend::share_links`); and
//! [`partial`] when the agent stops mid-check, to judge what finished.
//!
//! It holds redaction and the writing side of the link codec (zlib,
//! postcard, a JSON writer for the whole report): 25 KB of the page's
//! gzipped wasm that a visit which only opens a link, or finds no agent,
//! never runs. It also holds the classification and advice that judge a
//! partial result (the short link's writer needs them anyway), which the
//! page therefore does not carry. It has no Yew and no view: it takes texts and returns links. The
//! page hands over the texts the report came from
//! ([`ShareSource`](mailport_frontend::state::share_source::ShareSource)),
//! not the report, so that the page needs no writer for it either.

#[cfg(target_arch = "wasm32")]
mod module {
    use mailport_frontend::state::share_source::ShareSource;
    use mailport_shared::share::{self, RedactOptions};
    use wasm_bindgen::prelude::*;

    /// The three links of the result `source` (see
    /// [`ShareSource::to_parts`]): the short one on `share_base`, the short
    /// one on `page_url`, the full one on `share_base`. Addresses and
    /// names are hidden first as asked; if that fails there is no link at
    /// all, never an unredacted one. Errors are sentences for the page
    /// (thrown as strings, which is how it tells them from a trap).
    #[wasm_bindgen]
    pub fn links(
        source: Vec<String>,
        hide_ip: bool,
        hide_hosts: bool,
        share_base: &str,
        page_url: &str,
    ) -> Result<Vec<String>, String> {
        let report = ShareSource::from_parts(source)
            .and_then(|s| s.report())
            .map_err(|e| format!("The link could not be made: {e}"))?;
        let hide = RedactOptions {
            ip: hide_ip,
            hosts: hide_hosts,
        };
        let redacted = share::redact(&report, hide).map_err(|e| e.to_string())?;
        Ok(vec![
            share::link_short(share_base, &redacted),
            share::link_short(page_url, &redacted),
            share::link(share_base, &redacted),
        ])
    }

    /// What finished of a check whose agent stopped, judged as a partial
    /// result: the report as JSON, which the page reads as it reads the
    /// agent's. `source` is a partial [`ShareSource`]'s parts. Errors are
    /// sentences for the page, as in [`links`].
    #[wasm_bindgen]
    pub fn partial(source: Vec<String>) -> Result<String, String> {
        let report = ShareSource::from_parts(source).and_then(|s| s.report())?;
        serde_json::to_string(&report)
            .map_err(|e| format!("the partial result could not be handed over ({e})"))
    }
}

/// Nothing runs at start: the page calls `links`.
fn main() {}
