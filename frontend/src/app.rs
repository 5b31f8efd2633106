//! The page (the checker): reads its address, finds the agent, runs checks
//! and shows their answer. Wires the reducer in [`crate::state`] to the
//! calls in [`crate::api`] and the views in [`crate::components`]. Shared
//! results are the viewer's ([`crate::viewer`]): an address that carries one
//! starts it instead.

use crate::api::{self, ApiFailure};
use crate::components::agent_panel::{self, agent_panel};
use crate::components::check_form::check_form;
use crate::components::grid::progress_grid;
use crate::components::inbound::inbound_view;
use crate::components::share_panel::SharePanel;
use crate::components::verdict::verdict_view;
use crate::lazy::{self, Module};
use crate::state::agent::Agent;
use crate::state::fragment::Fragment;
use crate::state::location::Location;
use crate::state::run::{Partial, Run};
use crate::state::share_source::ShareSource;
use crate::state::{Action, State};
use wasm_bindgen::{JsCast, JsValue};
use yew::platform::spawn_local;
use yew::prelude::*;

const TOKEN_KEY: &str = "mailport.token";

/// What the page reads from the browser once, at start.
struct Browser {
    location: Location,
    fragment: Fragment,
    stored_token: Option<String>,
    safari: bool,
}

/// Undoes the percent-encoding of one fragment value with the browser's
/// `decodeURIComponent`, for [`Fragment::parse`]; `None` when the browser
/// refuses it (a stray `%`, or escapes that are not UTF-8). Only in the
/// page: outside a browser there is no JavaScript to call, which is why the
/// parser takes its decoder as a parameter.
pub fn decode_uri_component(value: &str) -> Option<String> {
    js_sys::decode_uri_component(value).ok().map(String::from)
}

fn read_browser() -> Browser {
    let window = web_sys::window();
    let loc = window.as_ref().map(|w| w.location());
    let get = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        loc.as_ref().and_then(|l| f(l).ok()).unwrap_or_default()
    };
    let origin = get(web_sys::Location::origin);
    let hostname = get(web_sys::Location::hostname);
    let pathname = get(web_sys::Location::pathname);
    let hash = get(web_sys::Location::hash);
    let fragment = Fragment::parse(&hash, decode_uri_component);
    let storage = session_storage();
    if let (Some(t), Some(s)) = (&fragment.token, &storage) {
        // Keep the token for reloads of this tab, and out of the address bar
        // (and so out of bookmarks, history sync and screenshots).
        let _ = s.set_item(TOKEN_KEY, t);
        if let Some(h) = window.as_ref().and_then(|w| w.history().ok()) {
            let rest = Fragment::without_token(&hash);
            let url = if rest.is_empty() {
                pathname.clone()
            } else {
                format!("{pathname}#{rest}")
            };
            let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
    let stored_token = storage.and_then(|s| s.get_item(TOKEN_KEY).ok().flatten());
    let ua = window
        .as_ref()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    let safari = ua.contains("Safari") && !ua.contains("Chrome") && !ua.contains("Chromium");
    Browser {
        location: Location {
            page_url: format!("{origin}{pathname}"),
            configured_share_base: window
                .as_ref()
                .and_then(|w| w.document())
                .and_then(|d| {
                    d.query_selector(r#"meta[name="mailport-share-base"]"#)
                        .ok()
                        .flatten()
                })
                .and_then(|m| m.get_attribute("content")),
            origin,
            hostname,
        },
        fragment,
        stored_token,
        safari,
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

fn store_token(t: &str) {
    if let Some(s) = session_storage() {
        let _ = s.set_item(TOKEN_KEY, t);
    }
}

fn forget_token() {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(TOKEN_KEY);
    }
}

/// Tries each candidate in turn; the first healthy agent wins. A page served
/// by the agent pairs itself through `/v1/pair`.
async fn detect(
    dispatch: UseReducerDispatcher<State>,
    candidates: Vec<String>,
    origin: String,
    paired: bool,
) {
    dispatch.dispatch(Action::Detecting);
    let loopback_page = web_sys::window()
        .and_then(|w| w.location().hostname().ok())
        .is_some_and(|h| matches!(h.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1"));
    let mut blocked = false;
    // Something that answered but unreadably: reported only when no
    // candidate answers properly.
    let mut unreadable = None;
    for base in &candidates {
        let same_origin = *base == origin;
        match api::health(base, !same_origin).await {
            Ok(health) => {
                dispatch.dispatch(Action::AgentFound {
                    base: base.clone(),
                    health,
                    same_origin,
                });
                if same_origin && !paired {
                    if let Ok(token) = api::pair(base).await {
                        store_token(&token);
                        dispatch.dispatch(Action::Token(token));
                    }
                }
                return;
            }
            // A browser can only be in the way of a page on the web: one on
            // this computer (the agent's own, or a local copy) reaches the
            // agent freely, so a failure there means nothing runs.
            Err(ApiFailure::Network(_)) if !same_origin && !loopback_page => blocked = true,
            Err(ApiFailure::Malformed(detail)) => {
                unreadable.get_or_insert((base.clone(), detail));
            }
            // An error status: not an agent (a static copy of the page on
            // loopback answers 404 here).
            Err(_) => {}
        }
    }
    dispatch.dispatch(match unreadable {
        Some((base, detail)) => Action::AgentUnreadable { base, detail },
        None => Action::AgentMissing {
            tried: candidates,
            blocked,
        },
    });
}

/// After the agent refused the held token (it restarted, or a link carried a
/// bogus one): forgets it, and the agent's own page pairs again and retries
/// the start once (a second refusal is reported, never retried). A page
/// elsewhere cannot pair, so it says where a new token comes from.
async fn pair_again_and_start(
    dispatch: &UseReducerDispatcher<State>,
    base: &str,
    options: &mailport_shared::CheckOptions,
    cross_origin: bool,
) -> Result<(String, String), String> {
    forget_token();
    if cross_origin {
        return Err("The agent did not accept this page's token (it may have been restarted since): open the address it printed when it started (it ends with #token=…).".into());
    }
    let token = api::pair(base).await.map_err(|e| e.message())?;
    store_token(&token);
    dispatch.dispatch(Action::Token(token.clone()));
    let id = api::start_check(base, &token, options, false)
        .await
        .map_err(|e| e.message())?;
    Ok((token, id))
}

fn element(id: &str) -> Option<web_sys::HtmlElement> {
    web_sys::window()?
        .document()?
        .get_element_by_id(id)?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()
}

/// Moves the keyboard focus to the element with this id.
fn focus(id: &str) {
    if let Some(e) = element(id) {
        let _ = e.focus();
    }
}

/// Scrolls the element with this id to the top of the window: on a phone
/// the results start below a long form.
fn scroll_to(id: &str) {
    if let Some(e) = element(id) {
        e.scroll_into_view();
    }
}

/// Posts the check and follows its events to the end, or until `abort`.
async fn run_check(
    dispatch: UseReducerDispatcher<State>,
    base: String,
    token: String,
    options: mailport_shared::CheckOptions,
    cross_origin: bool,
    abort: web_sys::AbortController,
) {
    dispatch.dispatch(Action::Starting);
    // The share module, fetched now while the agent is surely there: a
    // page the agent serves could not fetch it once the agent stopped, and
    // a partial result is exactly what the user may want to share then.
    // A failure here is tried again when the share panel shows.
    spawn_local(async {
        let _ = lazy::load(Module::Share).await;
    });
    let started = match api::start_check(&base, &token, &options, cross_origin).await {
        Err(e) if e.is_unauthorized() => {
            pair_again_and_start(&dispatch, &base, &options, cross_origin).await
        }
        other => other.map(|id| (token, id)).map_err(|e| e.message()),
    };
    let (token, id) = match started {
        Ok(started) => started,
        Err(message) => {
            return dispatch.dispatch(if agent_gone(&base, cross_origin).await {
                Action::AgentLost { now_ms: now_ms() }
            } else {
                Action::Failed(message)
            })
        }
    };
    let d = dispatch.clone();
    let streamed = api::stream_events(
        &base,
        &token,
        &id,
        cross_origin,
        &abort.signal(),
        move |ev, text| d.dispatch(Action::Event(Box::new(ev), text.into())),
    )
    .await;
    if let Err(e) = streamed {
        // A broken stream is most often the agent going away (closed, or
        // the computer slept): ask it, and say which.
        dispatch.dispatch(if agent_gone(&base, cross_origin).await {
            Action::AgentLost { now_ms: now_ms() }
        } else {
            Action::Failed(e.message())
        });
    }
}

/// Asks the share module to judge a partial result. `by_agent`: the page
/// was served by the agent that stopped, so a module it had not fetched
/// yet cannot be fetched any more.
async fn judge(dispatch: UseReducerDispatcher<State>, source: ShareSource, by_agent: bool) {
    let parts: js_sys::Array = source.to_parts().into_iter().map(JsValue::from).collect();
    let judged = match lazy::load(Module::Share).await {
        Err(_) if by_agent => Err(
            "the part of the page that judges it had not loaded when the agent that served the page stopped"
                .into(),
        ),
        Err(e) => Err(format!(
            "the part of the page that judges it did not load ({})",
            lazy::reason(&e)
        )),
        Ok(module) => lazy::text_of(lazy::call(&module, "partial", &[parts.into()])).and_then(|json| {
            mailport_shared::json::from_str::<mailport_shared::Report>(&json)
                .map(Box::new)
                .map_err(|e| format!("the share module's answer could not be read ({e})"))
        }),
    };
    dispatch.dispatch(Action::PartialJudged { source, judged });
}

/// Whether the page was served by the agent it found, now stopped.
fn served_by_stopped_agent(state: &State, origin: &str) -> bool {
    matches!(&state.agent, Agent::Stopped { base } if base == origin)
}

/// Whether the agent no longer answers at all (not merely refused).
async fn agent_gone(base: &str, cross_origin: bool) -> bool {
    matches!(
        api::health(base, cross_origin).await,
        Err(ApiFailure::Network(_))
    )
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// What the page says when the agent stopped mid-check, with `done` of
/// `total` probes finished.
fn lost_words(partial: &Partial, (done, total): (usize, usize)) -> String {
    let stopped =
        format!("The agent stopped before the check finished ({done} of {total} probes done).");
    match partial {
        Partial::Nothing => format!("{stopped} Nothing had finished; start the agent again to check."),
        Partial::Judging | Partial::Judged => format!("{stopped} What finished is judged below as a partial result, and you can share it; start the agent again to check everything."),
        Partial::Unjudged(why) => format!("{stopped} What finished is in the grid below, but it could not be judged: {why}. Start the agent again to check everything."),
    }
}

/// The sample report as a short link on this page.
fn sample_link(page_url: &str) -> AttrValue {
    format!("{page_url}#{}", crate::state::shared_link::SAMPLE_FRAGMENT).into()
}

/// The families that could not be tested at all: the grid drops their
/// columns (the answer says why in one line).
pub fn folded(verdicts: &[mailport_shared::PortVerdict]) -> Vec<mailport_shared::Family> {
    mailport_shared::summary::folded_families(verdicts)
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

/// The agent the relay panel may use: the one found, with the token.
fn relay_agent(state: &State) -> Option<crate::components::relay::RelayAgent> {
    match &state.agent {
        Agent::Found {
            base, same_origin, ..
        } => Some(crate::components::relay::RelayAgent {
            base: base.clone(),
            token: state.token.clone(),
            cross_origin: !same_origin,
        }),
        _ => None,
    }
}

/// The page.
#[component(App)]
pub fn app() -> Html {
    let browser = use_memo((), |_| read_browser());
    // Encoded once: the first visit links to it.
    let sample = {
        let url = browser.location.page_url.clone();
        use_memo((), move |_| sample_link(&url))
    };
    let state = {
        let b = browser.clone();
        use_reducer(move || State::new(b.location.clone(), &b.fragment, b.stored_token.clone()))
    };

    let on_connect = {
        let dispatch = state.dispatcher();
        let candidates = browser.fragment.agent_candidates(&browser.location);
        let origin = browser.location.origin.clone();
        let paired = state.token.is_some();
        Callback::from(move |()| {
            spawn_local(detect(
                dispatch.clone(),
                candidates.clone(),
                origin.clone(),
                paired,
            ))
        })
    };

    // A page on loopback looks for the agent at once; a public page waits for
    // a click (Chrome grants Local Network Access on a user gesture).
    {
        let on_connect = on_connect.clone();
        let auto = state.agent == Agent::Detecting;
        use_effect_with(auto, move |auto| {
            if *auto {
                on_connect.emit(());
            }
        });
    }

    // A link pasted into the address bar of this tab changes only the
    // fragment, and no reload follows: reload, for main.js to start the
    // viewer, which shows it (crate::viewer); after asking, when that would
    // close a check or its result (declined, the address goes back). Also
    // once at start, for an address that changed while the page loaded.
    let at_stake = use_mut_ref(|| false);
    *at_stake.borrow_mut() = state.run != Run::Idle;
    {
        let at_stake = at_stake.clone();
        use_effect_with((), move |_| {
            let carries_result = || {
                let hash = web_sys::window()
                    .and_then(|w| w.location().hash().ok())
                    .unwrap_or_default();
                Fragment::parse(&hash, decode_uri_component)
                    .report
                    .is_some()
            };
            if carries_result() {
                reload();
            }
            hash_listener(move |event| {
                if !carries_result() {
                    return;
                }
                if *at_stake.borrow() && !confirm(LEAVE_THE_CHECK) {
                    // Back to the address the page shows.
                    if let (Some(w), Some(old)) = (
                        web_sys::window(),
                        js_sys::Reflect::get(event, &"oldURL".into())
                            .ok()
                            .and_then(|u| u.as_string()),
                    ) {
                        if let Ok(h) = w.history() {
                            let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&old));
                        }
                    }
                    return;
                }
                reload();
            })
        });
    }

    // What finished of a check whose agent stopped is judged by the share
    // module, imported when the check started.
    {
        let d = state.dispatcher();
        let by_agent = served_by_stopped_agent(&state, &browser.location.origin);
        let judging = match (&state.run, &state.share) {
            (Run::Lost(Partial::Judging), Some(source)) => Some(source.clone()),
            _ => None,
        };
        use_effect_with(judging, move |judging| {
            if let Some(source) = judging.clone() {
                spawn_local(judge(d, source, by_agent));
            }
        });
    }

    // The running check's abort switch: the Stop button pulls it.
    let abort = use_mut_ref(|| None::<web_sys::AbortController>);
    let on_stop = {
        let abort = abort.clone();
        let dispatch = state.dispatcher();
        Callback::from(move |_: MouseEvent| {
            if let Some(a) = abort.borrow_mut().take() {
                dispatch.dispatch(Action::Stopped);
                a.abort();
            }
        })
    };
    let on_submit = {
        let state = state.clone();
        let abort = abort.clone();
        Callback::from(move |()| {
            if state.busy() {
                return;
            }
            let options = match state.form.options() {
                Ok(o) => o,
                Err(e) => {
                    focus(e.field.focus_id());
                    return state.dispatch(Action::FormError(e));
                }
            };
            let Agent::Found {
                base, same_origin, ..
            } = &state.agent
            else {
                return state.dispatch(Action::Failed(
                    "Connect to the mailport agent first.".into(),
                ));
            };
            let Some(token) = state.token.clone() else {
                return state.dispatch(Action::Failed(
                    "This page is not paired with the agent: open the address the agent printed when it started (it ends with #token=…).".into(),
                ));
            };
            let Ok(controller) = web_sys::AbortController::new() else {
                return state.dispatch(Action::Failed(
                    "This browser cannot run the check (no AbortController).".into(),
                ));
            };
            *abort.borrow_mut() = Some(controller.clone());
            spawn_local(run_check(
                state.dispatcher(),
                base.clone(),
                token,
                options,
                !same_origin,
                controller,
            ));
        })
    };
    let dispatch_cb = {
        let d = state.dispatcher();
        Callback::from(move |a: Action| d.dispatch(a))
    };
    let on_copy = {
        let d = state.dispatcher();
        Callback::from(move |text: String| {
            let d = d.clone();
            spawn_local(async move {
                let ok = api::copy(&text).await;
                d.dispatch(Action::Copied { text, ok })
            })
        })
    };

    // After Run the focus goes to the results (not to the page's top), and
    // the window scrolls there; the answer scrolls into view when it comes.
    {
        let run = state.run.clone();
        use_effect_with(run, |run| match run {
            Run::Starting => {
                focus("results");
                scroll_to("results");
            }
            Run::Done => scroll_to("verdict-title"),
            _ => {}
        });
    }

    let body = html! {
            <>
                { agent_panel(&agent_panel::Panel {
                    agent: &state.agent,
                    paired: state.token.is_some(),
                    safari: browser.safari,
                    on_connect: &on_connect,
                    sample_link: &sample,
                    copied: &state.copied,
                    on_copy: &on_copy,
                }) }
                if matches!(state.agent, Agent::Found { .. }) {
                    { check_form(&state.form, state.busy(), &dispatch_cb, &on_submit) }
                }
                <div id="results" class="results" tabindex="-1" role="region" aria-label="The check and its result">
                    if let Run::Failed(msg) = &state.run {
                        <p id="run-error" class="error" role="alert">{ msg.clone() }</p>
                    }
                    if let Run::Starting = state.run {
                        <p class="progress">{ "Starting the check (looking up the servers)…" }</p>
                    }
                    if state.busy() {
                        <button id="stop" type="button" onclick={on_stop}>{ "Stop the check" }</button>
                    }
                    if let Run::Lost(partial) = &state.run {
                        <p id="run-lost" class="error" role="alert">{ lost_words(partial, state.grid.progress()) }</p>
                        if matches!(partial, Partial::Unjudged(_)) && !served_by_stopped_agent(&state, &browser.location.origin) {
                            <button id="judge-retry" type="button" onclick={dispatch_cb.reform(|_: MouseEvent| Action::JudgeAgain)}>{ "Try again" }</button>
                        }
                    }
                    if let Run::Stopped = state.run {
                        <p id="run-stopped" class="note" role="status">{ "You stopped the check; the agent cancelled the probes still running." }</p>
                    }
                    if let Some(c) = &state.conclusion {
                        { verdict_view(c, state.report.as_ref().and_then(|r| r.network.as_ref())) }
                    }
                    if let Some(inbound) = state.report.as_ref().and_then(|r| r.inbound.as_ref()) {
                        { inbound_view(inbound) }
                    }
                    if !state.grid.cells.is_empty() {
                        { progress_grid(&state.grid, state.busy(), &state.conclusion.as_ref().map(|c| folded(&c.verdicts)).unwrap_or_default()) }
                    }
                    if let (Some(source), false) = (&state.share, matches!(state.run, Run::Lost(Partial::Unjudged(_)))) {
                        <SharePanel source={source.clone()} redact={state.redact}
                            page_url={browser.location.page_url.clone()}
                            share_base={browser.location.share_base()} copied={state.copied.clone()}
                            dispatch={dispatch_cb} on_copy={on_copy} />
                    }
                    <crate::components::relay_section::RelaySection agent={relay_agent(&state)} />
                </div>
            </>
    };
    frame(
        body,
        "The check runs on your computer; this page only shows it. Nothing is uploaded.",
        state.announcement(),
    )
}

/// The page around `body`: its header, `footer`'s line, and the polite
/// live region saying `announcement`, present from the start so that what
/// it says later is announced (the check starting, then its answer).
pub fn frame(body: Html, footer: &'static str, announcement: String) -> Html {
    html! {
        <>
            <header class="top">
                <h1><span class="logo" aria-hidden="true">{ "✉" }</span>{ " mailport" }</h1>
                <p class="tagline">{ "Can this network send mail? Which mail ports get through, and what to do if port 25 is blocked." }</p>
            </header>
            <main id="main">{ body }</main>
            <p id="announce" class="sr" role="status" aria-live="polite">{ announcement }</p>
            <footer class="foot">
                <p>{ footer }</p>
            </footer>
        </>
    }
}

/// What the page asks before a pasted share link closes the check on it.
const LEAVE_THE_CHECK: &str = "Open the shared result in the address? This page's check and its answer will be closed (run it again, or share it first, to keep it).";

/// Asks the user `question` (the browser's own dialog); no when it cannot.
fn confirm(question: &str) -> bool {
    web_sys::window().is_some_and(|w| w.confirm_with_message(question).unwrap_or(false))
}

/// Loads the page again from its address.
pub fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// Calls `on_change` with every `hashchange` event of the window, until the
/// returned cleanup runs (a `use_effect_with`'s).
pub fn hash_listener(on_change: impl Fn(&web_sys::Event) + 'static) -> impl FnOnce() {
    let window = web_sys::window();
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(
        move |event: web_sys::Event| on_change(&event),
    );
    if let Some(w) = &window {
        let _ = w.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
    }
    move || {
        if let Some(w) = &window {
            let _ = w.remove_event_listener_with_callback(
                "hashchange",
                listener.as_ref().unchecked_ref(),
            );
        }
    }
}
