//! The page's lazily loaded modules: the relay panel (`bin/relay.rs`) and
//! the share-link maker (`bin/share.rs`). Each is a wasm module of its own
//! that `web/main.js` imports the first time the page asks for it
//! (`window.mailportLoad`), so that a visit that never needs it does not
//! download it. wasm-bindgen modules share no code: each carries its own
//! copy of what it uses, which is why only code most visits never run is
//! moved out.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A module the page loads when first needed; its name is the one
/// `web/main.js` imports (`./pkg/mailport_<name>.js`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Module {
    /// The relay panel.
    Relay,
    /// The share links: redaction and the link codec's writing side; and
    /// the judging of a partial result.
    Share,
}

impl Module {
    fn name(self) -> &'static str {
        match self {
            Module::Relay => "relay",
            Module::Share => "share",
        }
    }
}

#[wasm_bindgen]
extern "C" {
    /// `web/main.js`: the module, imported and started (once; a failed
    /// import is tried again on the next call).
    #[wasm_bindgen(catch, js_namespace = window, js_name = mailportLoad)]
    async fn load_module(name: &str) -> Result<JsValue, JsValue>;
}

/// The module, imported and started.
pub async fn load(module: Module) -> Result<JsValue, JsValue> {
    load_module(module.name()).await
}

/// Calls the module's export `name` with `args`; its return value.
pub fn call(module: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = js_sys::Reflect::get(module, &name.into())?.dyn_into()?;
    f.apply(&JsValue::NULL, &args.iter().collect::<js_sys::Array>())
}

/// What went wrong (a thrown string or an `Error`'s message), for the
/// sentence that says so.
pub fn reason(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".into())
}

/// What a call of a module's export that returns text came to: the text,
/// or why not in words (no final full stop): the module's own sentence
/// (it throws a string), or the module failing (anything else thrown).
pub fn text_of(called: Result<JsValue, JsValue>) -> Result<String, String> {
    match called {
        Ok(v) => v
            .as_string()
            .ok_or_else(|| "the module answered with something other than text".into()),
        Err(e) => Err(e
            .as_string()
            .unwrap_or_else(|| format!("the module stopped working ({})", reason(&e)))),
    }
}
