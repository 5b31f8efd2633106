//! mailport's web page (the library's [`mailport_frontend::app::App`]).

#[cfg(target_arch = "wasm32")]
fn main() {
    // Yew tells which app an event belongs to by a number each wasm module
    // counts from 1, for every root (app or portal) it makes. The relay
    // panel (`bin/relay.rs`) is a second module whose one root sits inside
    // this page and is number 1: a throwaway app takes number 1 here, so
    // that the page's is 2 and neither app takes the other's events (typing
    // into the panel would otherwise type into the page's form;
    // tests/browser/relay.rs checks that it does not, and the panel's
    // `mount` refuses to run with the page's number).
    if let Some(spare) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("div").ok())
    {
        yew::Renderer::<Nothing>::with_root(spare)
            .render()
            .destroy();
    }
    yew::Renderer::<mailport_frontend::app::App>::new().render();
}

/// The throwaway app.
#[cfg(target_arch = "wasm32")]
#[yew::component(Nothing)]
fn nothing() -> yew::Html {
    yew::Html::default()
}

/// The page only runs in a browser; natively this crate exists to be
/// type-checked, linted and unit-tested.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("mailport-frontend is a web page: build it with scripts/build-web.sh");
}
