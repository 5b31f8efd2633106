//! How a probe opens its TCP connection, behind a trait so tests can map a
//! logical (address, port) such as `127.0.0.1:25` to a fake server on an
//! ephemeral port (the pattern of hickory's `RuntimeProvider::connect_tcp`).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use tokio::net::TcpStream;

/// A boxed connect future.
pub type ConnectFuture<'a> = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send + 'a>>;

/// Opens TCP connections. The caller applies the connect timeout, so an
/// implementation that never completes reads as a dropped SYN.
pub trait Dialer: Send + Sync + 'static {
    /// Connects to `addr`, or wherever the implementation maps it.
    fn connect(&self, addr: SocketAddr) -> ConnectFuture<'_>;
}

/// Connects to exactly the address given.
#[derive(Clone, Copy, Debug, Default)]
pub struct DirectDialer;

impl Dialer for DirectDialer {
    fn connect(&self, addr: SocketAddr) -> ConnectFuture<'_> {
        Box::pin(TcpStream::connect(addr))
    }
}
