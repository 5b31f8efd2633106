//! Server-sent events of one check: `event: <name>` and `data: <JSON>` per
//! [`mailport_shared::CheckEvent`], from the first event, ending after `done`
//! or `failed`. The page reads it with `fetch` (EventSource cannot send the
//! Authorization header).

use super::state::Subscription;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::time::Duration;

/// Comments sent while nothing happens, so proxies keep the stream open and a
/// closed page is noticed (its write fails) even during a long probe.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// The SSE response following `subscription`. When the client goes away, the
/// stream (and with it the subscription) is dropped, which cancels the check
/// if nobody else follows it.
pub fn stream(subscription: Subscription) -> Response {
    let events = futures::stream::unfold(subscription, |mut sub| async move {
        let event = sub.next_event().await?;
        let sse = Event::default().event(event.name).data(&event.json);
        Some((Ok::<_, Infallible>(sse), sub))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response()
}
