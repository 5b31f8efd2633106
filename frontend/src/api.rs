//! Every HTTP call the page makes, and the event stream: the one module that
//! talks to the agent. Nothing here panics on what the network returns; every
//! failure becomes an [`ApiFailure`] with words for the user.

use crate::sse;
use js_sys::{Object, Reflect, Uint8Array};
use mailport_shared::api::{ApiError, CheckCreated, Health, Pairing};
use mailport_shared::relay::step::RelayReport;
use mailport_shared::{CheckEvent, CheckOptions};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, RequestInit, RequestMode, Response};

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiFailure {
    /// The browser refused or could not make the request (a `TypeError`):
    /// nothing listens there, or the browser blocked it (Local Network
    /// Access, Safari's mixed-content rule).
    Network(String),
    /// The agent answered with an error.
    Http {
        /// HTTP status.
        status: u16,
        /// The agent's error code, when it sent one.
        code: String,
        /// Its message.
        message: String,
    },
    /// The answer was not what the agent sends.
    Malformed(String),
}

impl ApiFailure {
    /// In words, for the page.
    pub fn message(&self) -> String {
        match self {
            // The browser's own words ("Failed to fetch", "NetworkError
            // when attempting to fetch resource") say nothing to a person.
            ApiFailure::Network(_) => "The page could not reach the mailport agent on this computer: it is not running (any more), or the browser blocked the request. Start it again and reconnect.".into(),
            ApiFailure::Http {
                status, message, ..
            } => format!("The agent refused: {message} (HTTP {status})."),
            ApiFailure::Malformed(e) => format!("The agent sent an unexpected answer ({e})."),
        }
    }

    /// Whether the agent refused the token (401): one from before the agent
    /// restarted, or one that was never its own (a bogus `#token=` link).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiFailure::Http { status: 401, .. })
    }
}

fn js_text(v: &JsValue) -> String {
    v.as_string()
        .or_else(|| {
            v.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "unknown error".into())
}

/// One request. `cross_origin` adds what Chrome's Local Network Access
/// needs from a public page calling loopback.
async fn request(
    url: &str,
    method: &str,
    token: Option<&str>,
    body: Option<String>,
    cross_origin: bool,
    signal: Option<&AbortSignal>,
) -> Result<Response, ApiFailure> {
    let window = web_sys::window().ok_or_else(|| ApiFailure::Network("no window".into()))?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_mode(RequestMode::Cors);
    let headers = Object::new();
    let set = |k: &str, v: &str| Reflect::set(&headers, &k.into(), &v.into()).map(|_| ());
    if let Some(t) = token {
        let _ = set("Authorization", &format!("Bearer {t}"));
    }
    if let Some(b) = body {
        let _ = set("Content-Type", "application/json");
        init.set_body(&JsValue::from_str(&b));
    }
    init.set_headers(&headers);
    if let Some(signal) = signal {
        init.set_signal(Some(signal));
    }
    if cross_origin {
        // Not in web-sys yet: Chrome 142+ wants it for public → loopback.
        let _ = Reflect::set(&init, &"targetAddressSpace".into(), &"loopback".into());
    }
    let resp = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| ApiFailure::Network(js_text(&e)))?;
    let resp: Response = resp
        .dyn_into()
        .map_err(|_| ApiFailure::Malformed("not a response".into()))?;
    if resp.ok() {
        return Ok(resp);
    }
    let status = resp.status();
    let text = read_text(&resp).await.unwrap_or_default();
    let (code, message) = match mailport_shared::json::from_str::<ApiError>(&text) {
        Ok(e) => (e.code, e.message),
        Err(_) => (String::new(), resp.status_text()),
    };
    Err(ApiFailure::Http {
        status,
        code,
        message,
    })
}

async fn read_text(resp: &Response) -> Result<String, ApiFailure> {
    let p = resp
        .text()
        .map_err(|e| ApiFailure::Malformed(js_text(&e)))?;
    JsFuture::from(p)
        .await
        .map_err(|e| ApiFailure::Network(js_text(&e)))?
        .as_string()
        .ok_or_else(|| ApiFailure::Malformed("body is not text".into()))
}

async fn json<T: DeserializeOwned>(resp: Response) -> Result<T, ApiFailure> {
    let text = read_text(&resp).await?;
    mailport_shared::json::from_str(&text).map_err(|e| ApiFailure::Malformed(e.to_string()))
}

/// `GET /v1/health`.
pub async fn health(base: &str, cross_origin: bool) -> Result<Health, ApiFailure> {
    let resp = request(
        &format!("{base}/v1/health"),
        "GET",
        None,
        None,
        cross_origin,
        None,
    )
    .await?;
    json(resp).await
}

/// `POST /v1/pair`: the token, for a page served by the agent itself. A
/// POST, because browsers send an `Origin` on every POST (a same-origin GET
/// carries none), and the agent hands the token only to its own origin.
pub async fn pair(base: &str) -> Result<String, ApiFailure> {
    let resp = request(&format!("{base}/v1/pair"), "POST", None, None, false, None).await?;
    Ok(json::<Pairing>(resp).await?.token)
}

/// `POST /v1/checks`: the new check's id.
pub async fn start_check(
    base: &str,
    token: &str,
    options: &CheckOptions,
    cross_origin: bool,
) -> Result<String, ApiFailure> {
    // Plain data always writes (string keys only); a fixed message keeps
    // serde_json's error wording out of the page.
    let body = serde_json::to_string(options)
        .map_err(|_| ApiFailure::Malformed("the check's options could not be written".into()))?;
    let resp = request(
        &format!("{base}/v1/checks"),
        "POST",
        Some(token),
        Some(body),
        cross_origin,
        None,
    )
    .await?;
    Ok(json::<CheckCreated>(resp).await?.id)
}

/// `POST /v1/relay`: the agent tests the relay with the body of
/// [`crate::state::relay_test::request_body`] (which holds the password)
/// and answers the steps. The body goes to the agent only; the answer never
/// holds the password.
pub async fn test_relay(
    base: &str,
    token: &str,
    body: String,
    cross_origin: bool,
) -> Result<RelayReport, ApiFailure> {
    let resp = request(
        &format!("{base}/v1/relay"),
        "POST",
        Some(token),
        Some(body),
        cross_origin,
        None,
    )
    .await?;
    json(resp).await
}

/// `GET /v1/checks/{id}/events`: calls `on_event` with each event and its
/// text (the share module reads the text again, `state::share_source`) as it
/// arrives, until `done` or `failed` or the end of the stream. Aborting
/// `signal` closes the stream, which makes the agent cancel the check.
pub async fn stream_events(
    base: &str,
    token: &str,
    id: &str,
    cross_origin: bool,
    signal: &AbortSignal,
    on_event: impl Fn(CheckEvent, String),
) -> Result<(), ApiFailure> {
    let url = format!("{base}/v1/checks/{id}/events");
    let resp = request(&url, "GET", Some(token), None, cross_origin, Some(signal)).await?;
    let body = resp
        .body()
        .ok_or_else(|| ApiFailure::Malformed("no event stream".into()))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut parser = sse::Parser::default();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| ApiFailure::Network(js_text(&e)))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Err(ApiFailure::Malformed(
                "the event stream ended before the result".into(),
            ));
        }
        let Ok(value) = Reflect::get(&chunk, &"value".into()) else {
            continue;
        };
        let bytes = Uint8Array::new(&value).to_vec();
        for msg in parser.feed(&bytes) {
            let event: CheckEvent = match mailport_shared::json::from_str(&msg.data) {
                Ok(e) => e,
                Err(e) => {
                    return Err(ApiFailure::Malformed(format!(
                        "bad {} event: {e}",
                        msg.event
                    )))
                }
            };
            let last = matches!(event, CheckEvent::Done { .. } | CheckEvent::Failed { .. });
            on_event(event, msg.data);
            if last {
                let _ = reader.cancel();
                return Ok(());
            }
        }
    }
}

/// Copies text to the clipboard; false when the browser refuses.
pub async fn copy(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let nav = window.navigator();
    let Ok(clipboard) = Reflect::get(&nav, &"clipboard".into()) else {
        return false;
    };
    let Ok(write) = Reflect::get(&clipboard, &"writeText".into()) else {
        return false;
    };
    let Ok(write) = write.dyn_into::<js_sys::Function>() else {
        return false;
    };
    match write.call1(&clipboard, &text.into()) {
        Ok(p) => match p.dyn_into::<js_sys::Promise>() {
            Ok(p) => JsFuture::from(p).await.is_ok(),
            Err(_) => false,
        },
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_401_means_the_token_was_refused() {
        let http = |status: u16, code: &str| ApiFailure::Http {
            status,
            code: code.into(),
            message: String::new(),
        };
        let cases = [
            (http(401, "unauthorized"), true),
            (http(401, ""), true),
            (http(403, "forbidden_origin"), false),
            (http(403, "origin_required"), false),
            (http(409, "busy"), false),
            (ApiFailure::Network("TypeError".into()), false),
            (ApiFailure::Malformed("x".into()), false),
        ];
        for (failure, want) in cases {
            assert_eq!(failure.is_unauthorized(), want, "{failure:?}");
        }
    }
}
