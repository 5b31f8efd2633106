//! Who may talk to the agent: the checks every request passes before any
//! handler runs.
//!
//! These rules defend against *web pages*: a local program can open sockets
//! itself and send any header it likes, so it is not what they are for (see
//! the threat model in [`super`]). A server on loopback is reachable from
//! every web page the user opens, so in order:
//! 1. **Host** must be one of the agent's own names with its own port, spelled
//!    the one canonical way. A page on `evil.example` that re-points its DNS
//!    name to 127.0.0.1 (DNS rebinding) still sends `Host: evil.example:PORT`,
//!    and is refused here.
//! 2. **Origin**, when present, must be on an exact allowlist (scheme, host,
//!    port). A refused origin is refused *before* the handler runs: CORS only
//!    hides a response from the page, it does not stop the request.
//! 3. **No Origin** is what a script sends; browsers send an Origin on every
//!    POST (same-origin ones too) and on every cross-origin `fetch`. So an
//!    action without one is refused unless `--allow-no-origin`. The one
//!    exception is a GET with `Sec-Fetch-Site: same-origin`: the agent's own
//!    page reading its check's events or report (browsers send no Origin on
//!    same-origin GETs); it still needs the token, so it reads nothing the
//!    token would not give.
//! 4. **Pairing** (`POST /v1/pair`, which hands out the token) needs an Origin
//!    equal to the agent's own origin for the Host used, exactly.
//! 5. **Token**: every action needs `Authorization: Bearer <token>`, compared
//!    in constant time. It is never read from a query string or a cookie, so
//!    neither a link nor ambient browser state can carry it.
//!
//! CORS headers are given to allowed origins only, echoed in their normal
//! form (as browsers send them), with `Vary: Origin`; never `*`, never
//! credentials.

//!
//! One idea per module: [`authority`] (one reader of `host[:port]` for Host
//! and Origin), [`host`], [`origin`], [`token`], [`cors`], and [`policy`]
//! (the order of the checks, and the middleware).

mod authority;
mod cors;
mod host;
mod origin;
mod policy;
mod token;

pub use host::host_is_own;
pub use origin::{BadOrigin, Origin};
pub use policy::{guard, Guard};
pub use token::{Token, TokenError};

#[cfg(test)]
mod fuzz;
