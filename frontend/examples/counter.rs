//! The smallest Yew app: a button that counts its clicks.
//!
//! Not part of the page. It is the floor for the page's size: built for
//! wasm exactly as the page is (`MAILPORT_WASM_BASELINE=1 bash
//! scripts/build-web.sh` prints both), the difference is what the page's own
//! code costs (BENCHMARKS.md).

use yew::prelude::*;

#[component(Counter)]
fn counter() -> Html {
    let clicks = use_state(|| 0u32);
    let onclick = {
        let clicks = clicks.clone();
        Callback::from(move |_: MouseEvent| clicks.set(*clicks + 1))
    };
    html! { <button type="button" {onclick}>{ format!("Clicked {} times", *clicks) }</button> }
}

fn main() {
    yew::Renderer::<Counter>::new().render();
}
