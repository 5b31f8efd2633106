//! The relay panel as its own wasm module: the page loads it when its
//! "Set up a relay" section is first opened
//! (`mailport_frontend::components::relay_section`), calls [`mount`] with
//! the section's element, then [`set_agent`] whenever the agent changes.
//! Keeping it apart makes the page 20 KB (7 % at 42b9264) smaller, gzipped, for every
//! visit that never opens it.
//!
//! The panel is this module's one Yew root, ever (no second app, no
//! portal): Yew tells which app an event belongs to by a number each module
//! counts from 1 for every root it makes, and the page (`main.rs`) skips
//! number 1 so that the two never share one; [`mount`] checks that they
//! do not. A section the page re-creates gets the same panel moved into it.

#[cfg(target_arch = "wasm32")]
mod module {
    use mailport_frontend::components::relay::{RelayAgent, RelayPanel, RelayProps};
    use std::cell::RefCell;
    use wasm_bindgen::prelude::*;
    use web_sys::Element;
    use yew::AppHandle;

    thread_local! {
        /// The panel's own element and app, once mounted.
        static PANEL: RefCell<Option<(Element, AppHandle<RelayPanel>)>> = const { RefCell::new(None) };
    }

    fn props(base: Option<String>, token: Option<String>, cross_origin: bool) -> RelayProps {
        RelayProps {
            agent: base.map(|base| RelayAgent {
                base,
                token,
                cross_origin,
            }),
        }
    }

    /// Shows the panel inside `root`: rendered the first time, moved there
    /// (with what was typed into it) when the page re-created its section.
    #[wasm_bindgen]
    pub fn mount(
        root: Element,
        base: Option<String>,
        token: Option<String>,
        cross_origin: bool,
    ) -> Result<(), JsValue> {
        PANEL.with(|panel| {
            let mut panel = panel.borrow_mut();
            if let Some((host, app)) = panel.as_mut() {
                app.update(props(base, token, cross_origin));
                root.append_child(host)?;
                return Ok(());
            }
            let document = root
                .owner_document()
                .ok_or("the section is in no document")?;
            let host = document.create_element("div")?;
            root.append_child(&host)?;
            let app = yew::Renderer::<RelayPanel>::with_root_and_props(
                host.clone(),
                props(base, token, cross_origin),
            )
            .render();
            // Yew's own mark of a root (`__yew_subtree_id`, set when it is
            // made): the page's app is on the body. Equal marks would mix
            // the two apps' events; a clear error is better than that.
            let mark = |el: &JsValue| {
                js_sys::Reflect::get(el, &"__yew_subtree_id".into())
                    .ok()
                    .and_then(|v| v.as_f64())
            };
            if let (Some(ours), Some(page)) = (mark(&host), document.body().and_then(|b| mark(&b)))
            {
                if ours == page {
                    // `destroy` leaves the app's elements in place.
                    app.destroy();
                    host.remove();
                    return Err("the panel and the page would take each other's events".into());
                }
            }
            *panel = Some((host, app));
            Ok(())
        })
    }

    /// The agent the panel may test with changed (found, paired, lost).
    #[wasm_bindgen]
    pub fn set_agent(base: Option<String>, token: Option<String>, cross_origin: bool) {
        PANEL.with(|panel| {
            if let Some((_, app)) = panel.borrow_mut().as_mut() {
                app.update(props(base, token, cross_origin));
            }
        });
    }
}

/// Nothing runs at start: the page calls `mount`.
fn main() {}
