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

    /// The module in words, for a sentence that says it failed.
    fn what(self) -> &'static str {
        match self {
            Module::Relay => "the page's relay panel",
            Module::Share => "the page's share module",
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

/// Loads `module` and calls its export `name`, which returns text or throws
/// a sentence of its own: the text, or why not in words (no final full
/// stop, as the module's own sentences): the module not loading, its
/// sentence, or it failing.
pub async fn ask(module: Module, name: &str, args: &[JsValue]) -> Result<String, String> {
    let m = load(module).await.map_err(|_| {
        format!(
            "{} could not be loaded (the network, or the agent that served the page is gone): reload the page to try again",
            module.what()
        )
    })?;
    match call(&m, name, args) {
        Ok(v) => v
            .as_string()
            .ok_or_else(|| format!("{} answered with something other than text", module.what())),
        Err(e) => Err(e.as_string().unwrap_or_else(|| {
            format!(
                "{} stopped working ({}): reload the page to try again",
                module.what(),
                reason(&e)
            )
        })),
    }
}
