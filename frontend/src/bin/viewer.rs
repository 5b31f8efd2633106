//! The page as a share link opens it ([`mailport_frontend::viewer`]):
//! `web/main.js` starts this instead of the page when the address carries
//! a shared result.

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<mailport_frontend::viewer::Viewer>::new().render();
}

/// The viewer only runs in a browser.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("mailport-viewer is a web page: build it with scripts/build-web.sh");
}
