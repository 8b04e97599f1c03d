//! A port on 127.0.0.1 that refuses connections for as long as the test process
//! lives. The socket is bound and never listened on, so no other socket can take
//! the port. A port bound and released at once, as these tests used before, can
//! be handed to the next listener that asks for an ephemeral port (the run's own
//! embedded server, or another test's), and "refused" then becomes an answer.

use std::net::SocketAddr;
use std::sync::OnceLock;

use socket2::{Domain, Socket, Type};

pub fn closed_port() -> u16 {
    static SOCKET: OnceLock<Socket> = OnceLock::new();
    let socket = SOCKET.get_or_init(|| {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a TCP socket");
        let address: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        socket
            .bind(&address.into())
            .expect("a free port on 127.0.0.1");
        socket
    });
    let address = socket.local_addr().expect("a bound address");
    address.as_socket().expect("an IP address").port()
}
