//! The inbound section of the terminal report: its own heading, one
//! sentence per family, then its own advice, so it is never read as part of
//! the outbound answer above it.

use mailport_shared::inbound::words::{advice_text, sentence};
use mailport_shared::inbound::{InboundReport, Witness};

/// The section, ending with a blank line.
pub fn render(report: &InboundReport) -> String {
    let mut out = String::from("\nINBOUND: can the internet reach this machine on port 25?\n");
    out.push_str(&format!(
        "  (the reflector {} called back)\n",
        report.reflector
    ));
    for f in &report.families {
        out.push_str(&format!("  {}\n", sentence(f.family, &f.verdict)));
        let how = match &f.witness {
            Witness::Nonce { .. } => "this check listened on port 25 and greeted with a nonce",
            Witness::LocalMta { .. } => {
                "compared with the greeting of the mail server on this machine"
            }
            Witness::NoListener => "nothing listens on port 25 here and the check could not listen",
        };
        out.push_str(&format!("    how: {how}; took {} ms\n", f.elapsed_ms));
    }
    let advice = report.advice();
    if !advice.is_empty() {
        out.push_str("  What to do (inbound):\n");
        for (i, a) in advice.iter().enumerate() {
            out.push_str(&format!("  {}. {}\n", i + 1, advice_text(*a)));
        }
    }
    out.push('\n');
    out
}
