//! Listening sockets with a backlog of our choosing. After a restart every viewer and device
//! reconnects within the same second; a backlog of 128 (what the standard library asks for)
//! leaves most of them in SYN retries for seconds while the server is idle. Every port binds
//! here with `--listen-backlog` (4,096 by default; the kernel caps it at
//! `net.core.somaxconn`, 4,096 on current Linux).

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use socket2::{Domain, Protocol, Socket, Type};

/// The backlog every port asks for unless told otherwise.
pub const DEFAULT_BACKLOG: u32 = 4_096;

/// A non-blocking listener on `addr` (`HOST:PORT`) with `backlog` pending connections.
pub fn bind(addr: &str, backlog: u32) -> io::Result<std::net::TcpListener> {
    let at: SocketAddr = addr.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{addr}: no address"))
    })?;
    let socket = Socket::new(Domain::for_address(at), Type::STREAM, Some(Protocol::TCP))?;
    // As tokio's own bind does: a restarted server may listen again at once.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&at.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX).max(1))?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fifteen_hundred_clients_connecting_at_once_all_get_in_before_one_is_accepted() {
        const N: usize = 1_500;
        let _ = rlimit::increase_nofile_limit(2 * N as u64 + 256);
        // A server too busy to accept: the backlog alone holds the connections.
        let listener = bind("127.0.0.1:0", 2_048).expect("bind");
        let at = listener.local_addr().expect("addr");
        let attempts = (0..N).map(|_| {
            tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(at))
        });
        let results = futures_util::future::join_all(attempts).await;
        let connected = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
        // With the standard library's backlog of 128 most would wait in SYN retries (1 s, then
        // 3 s, ...) until the server accepted.
        assert_eq!(connected, N, "every client in the backlog within 2 s");
        drop(listener);
    }
}
