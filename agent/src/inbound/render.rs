//! The inbound section of the terminal report: its own heading, one
//! sentence per family, then its own advice, so it is never read as part of
//! the outbound answer above it.

use mailport_shared::inbound::words::{advice_text, headline, sentence, witness_text};
use mailport_shared::inbound::{InboundReport, InboundVerdict};

/// The section, ending with a blank line.
pub fn render(report: &InboundReport) -> String {
    let mut out = String::from("\nINBOUND\n");
    out.push_str(&format!(
        "  {} (the reflector {} called back)\n",
        headline(report),
        report.reflector
    ));
    for f in &report.families {
        out.push_str(&format!("  {}\n", sentence(f.family, &f.verdict)));
        if !matches!(f.verdict, InboundVerdict::NotTestable { .. }) {
            out.push_str(&format!(
                "    how: {}; took {} ms\n",
                witness_text(&f.witness),
                f.elapsed_ms
            ));
        }
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
