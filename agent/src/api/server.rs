//! Listening on loopback: 127.0.0.1 and `[::1]` only, on one port, HTTP/1.1,
//! with caps that keep a flood from a hostile page (or anything local) from
//! starving the agent: a bounded number of connections, a deadline for
//! request headers (also closing idle keep-alive connections), and a small
//! header buffer.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections served at once; further ones wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 128;

/// Time allowed for a request's headers, and for an idle keep-alive connection.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest request head.
const MAX_BUF: usize = 32 * 1024;

/// The agent's bound sockets.
#[derive(Debug)]
pub struct Listeners {
    listeners: Vec<TcpListener>,
    port: u16,
    header_timeout: Duration,
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
            ipv6_error,
        })
    }

    /// Changes the deadline for request headers (tests use a short one).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout;
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
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let timeout = self.header_timeout;
        let loops = self
            .listeners
            .into_iter()
            .map(|l| accept_loop(l, app.clone(), Arc::clone(&permits), timeout));
        futures::future::join_all(loops).await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    permits: Arc<Semaphore>,
    header_timeout: Duration,
) {
    loop {
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors and the like: back off, keep serving.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(MAX_BUF);
            // A client that misbehaves only loses its own connection.
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
