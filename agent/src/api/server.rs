//! Listening on loopback: 127.0.0.1 and `[::1]` only, on one port, HTTP/1.1,
//! with caps that keep a flood from a hostile page (or anything local) from
//! starving the agent: a bounded number of open connections, a short
//! deadline for request heads (also closing idle keep-alive connections),
//! and a cap on the head's size.
//!
//! When every connection slot is taken, a new connection does not wait for
//! one to time out: the oldest connection that is not serving a request (a
//! client still sending its head, or an idle keep-alive one) is closed to
//! make room. Only when all of them are serving requests is the new
//! connection closed at once. Connections that never finish their headers
//! therefore cost a real client nothing but, at worst, a reconnect.

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::{service_fn, Service as _};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Connections open at once. Far above what pages use (browsers open at
/// most 6 per host), and well below the usual 1024 file descriptors.
pub const MAX_CONNECTIONS: usize = 512;

/// Time allowed for a request's head, and for an idle keep-alive connection
/// to start its next one. A browser sends its head at once.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(3);

/// Largest request head (request line and `Name: value` lines). A larger
/// one is answered 431 `head_too_large` by the access policy, with the
/// security headers every answer carries.
pub const MAX_HEAD: usize = 32 * 1024;

/// hyper's own limit on a head, above [`MAX_HEAD`] so that the policy
/// answers first: only a head over this (or one hyper cannot parse) gets
/// hyper's bare answer (see the exceptions in [`super`]).
pub const HYPER_MAX_HEAD: usize = 64 * 1024;

/// The agent's bound sockets.
#[derive(Debug)]
pub struct Listeners {
    listeners: Vec<TcpListener>,
    port: u16,
    header_timeout: Duration,
    max_connections: usize,
    /// Why `[::1]` could not be bound, if it could not.
    pub ipv6_error: Option<io::Error>,
}

impl Listeners {
    /// Binds 127.0.0.1:`port` (required) and `[::1]` on the same port (best
    /// effort: some machines have no IPv6 loopback). Port 0 picks a free port.
    pub async fn bind(port: u16) -> io::Result<Self> {
        let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let port = v4.local_addr()?.port();
        let mut listeners = vec![v4];
        let mut ipv6_error = None;
        match TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
            Ok(v6) => listeners.push(v6),
            Err(e) => ipv6_error = Some(e),
        }
        Ok(Listeners {
            listeners,
            port,
            header_timeout: HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            ipv6_error,
        })
    }

    /// Changes the deadline for request heads (tests use a short one).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
        self
    }

    /// Changes the connection cap (tests use a small one, so that going over
    /// it needs few file descriptors).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// The port, the same on both addresses.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The bound addresses.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves `app` until the future is dropped.
    pub async fn serve(self, app: Router) {
        let table = Arc::new(Mutex::new(Connections::new(self.max_connections)));
        let timeout = self.header_timeout;
        let loops = self
            .listeners
            .into_iter()
            .map(|l| accept_loop(l, app.clone(), Arc::clone(&table), timeout));
        futures::future::join_all(loops).await;
    }
}

/// The open connections, oldest first, each with its count of requests in
/// progress (a response counts until its body is sent or dropped).
#[derive(Debug)]
struct Connections {
    max: usize,
    next_id: u64,
    open: BTreeMap<u64, Slot>,
}

#[derive(Debug)]
struct Slot {
    busy: Arc<AtomicUsize>,
    evict: oneshot::Sender<()>,
}

/// A connection let in: its id, its busy count, and the signal that closes it.
struct Ticket {
    id: u64,
    busy: Arc<AtomicUsize>,
    evicted: oneshot::Receiver<()>,
}

impl Connections {
    fn new(max: usize) -> Self {
        Connections {
            max,
            next_id: 0,
            open: BTreeMap::new(),
        }
    }

    /// Makes room for a new connection: at the cap, closes the oldest one
    /// serving no request. `None` when every one is busy (the newcomer is
    /// closed instead).
    fn admit(&mut self) -> Option<Ticket> {
        if self.open.len() >= self.max {
            let idle = self
                .open
                .iter()
                .find(|(_, slot)| slot.busy.load(Ordering::SeqCst) == 0)
                .map(|(id, _)| *id)?;
            if let Some(slot) = self.open.remove(&idle) {
                // The receiver is gone if that connection just ended: fine.
                let _ = slot.evict.send(());
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let (evict, evicted) = oneshot::channel();
        self.open.insert(
            id,
            Slot {
                busy: Arc::clone(&busy),
                evict,
            },
        );
        Some(Ticket { id, busy, evicted })
    }

    /// Forgets a connection that ended (no-op if it was evicted).
    fn remove(&mut self, id: u64) {
        self.open.remove(&id);
    }
}

fn lock(table: &Mutex<Connections>) -> MutexGuard<'_, Connections> {
    // A poisoned lock only means a panic elsewhere; the table is still valid.
    table.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    table: Arc<Mutex<Connections>>,
    header_timeout: Duration,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors and the like: back off, keep serving.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(ticket) = lock(&table).admit() else {
            // Every slot is serving a request: refuse this one now rather
            // than let it wait unanswered.
            drop(stream);
            continue;
        };
        tokio::spawn(serve_connection(
            stream,
            app.clone(),
            Arc::clone(&table),
            ticket,
            header_timeout,
        ));
    }
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    table: Arc<Mutex<Connections>>,
    ticket: Ticket,
    header_timeout: Duration,
) {
    let _ = stream.set_nodelay(true);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_header_size(HYPER_MAX_HEAD)
        .max_buf_size(HYPER_MAX_HEAD);
    // The app, counting the connection busy from a request's head until its
    // response body is finished.
    let inner = TowerToHyperService::new(app);
    let busy = Arc::clone(&ticket.busy);
    let service = service_fn(move |request: Request<Incoming>| {
        let guard = Busy::enter(&busy);
        let response = inner.call(request);
        async move {
            let response: Response<Body> = response.await?;
            Ok::<_, Infallible>(response.map(|body| TrackedBody { body, _busy: guard }))
        }
    });
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        // A client that misbehaves only loses its own connection.
        _ = connection => {}
        // Evicted to make room: dropping the connection closes the socket.
        _ = ticket.evicted => {}
    }
    lock(&table).remove(ticket.id);
}

/// One request in progress on a connection.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn enter(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Busy(Arc::clone(count))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its connection counted busy until hyper has
/// sent it all (or dropped it), so a long event stream is never evicted.
struct TrackedBody {
    body: Body,
    _busy: Busy,
}

impl HttpBody for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room() {
        let mut table = Connections::new(3);
        let mut tickets: Vec<Ticket> = (0..3).map(|_| table.admit().expect("room")).collect();
        // The oldest serves a request; the second is idle.
        tickets[0].busy.fetch_add(1, Ordering::SeqCst);
        let fourth = table.admit().expect("room made");
        assert_eq!(fourth.id, 3);
        assert_eq!(tickets[1].evicted.try_recv(), Ok(()), "oldest idle closed");
        assert!(tickets[0].evicted.try_recv().is_err(), "busy kept");
        assert!(tickets[2].evicted.try_recv().is_err(), "newer idle kept");
        assert_eq!(table.open.len(), 3);

        // Every one busy: the newcomer is refused, nobody is closed.
        for t in [&tickets[2], &fourth] {
            t.busy.fetch_add(1, Ordering::SeqCst);
        }
        assert!(table.admit().is_none());
        assert!(tickets[2].evicted.try_recv().is_err());

        // A connection that ends frees its slot without evicting anyone.
        table.remove(fourth.id);
        let fifth = table.admit().expect("a free slot");
        assert_eq!(fifth.id, 4);
        assert!(tickets[0].evicted.try_recv().is_err());
        assert!(tickets[2].evicted.try_recv().is_err());
    }
}
