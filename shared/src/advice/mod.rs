//! From verdicts to what the user should do, ranked, with stable ids.
//!
//! Pure: the same verdicts always give the same advice. The ids are part of
//! the wire format (the page and scripts key on them); the texts may improve.
//!
//! Deciding and wording are apart:
//!
//! - `inputs`: the facts the rules read, derived once from the verdicts and
//!   the network facts (and the [`Context`] type that carries the latter).
//! - `rules`: an ordered list of rules; each decides *what* to advise. The
//!   order is the rank.
//! - `texts`: the words of each piece of advice.
//! - `id`: [`AdviceId`] and [`Advice`], which both sides name.

mod id;
mod inputs;
mod rules;
mod texts;

pub use id::{Advice, AdviceId};
pub use inputs::Context;

use crate::classify::PortVerdict;
use crate::text::capitalised;
use inputs::Inputs;
use rules::RULES;

/// Ranked advice for these verdicts, most useful first, each id at most once.
pub fn advise(verdicts: &[PortVerdict], ctx: &Context) -> Vec<Advice> {
    let inputs = Inputs::new(verdicts, ctx);
    let mut out: Vec<Advice> = Vec::new();
    for say in RULES.iter().filter_map(|rule| rule(&inputs)) {
        // The first rule to give an id ranks it; later ones are weaker
        // wordings of the same advice (see `rules`).
        let id = say.id();
        if !out.iter().any(|a| a.id == id) {
            let (title, why) = texts::word(&say);
            out.push(Advice { id, title, why });
        }
    }
    // Titles that offer an alternative start with "Or"; the first piece of
    // advice has nothing before it to be an alternative to.
    if let Some(first) = out.first_mut() {
        if let Some(rest) = first.title.strip_prefix("Or ") {
            first.title = capitalised(rest);
        }
    }
    out
}
