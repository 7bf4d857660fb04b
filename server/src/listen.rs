//! Accepting connections with a limit on time: what `axum::serve` does, plus a timer for hyper, which then closes
//! a connection that has not sent a request's headers within the header timeout. Without it a slow-loris client
//! (one byte now and then, or nothing at all) holds a connection and a task for as long as it likes.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Service;

/// Serves `app` on `listener` until `shutdown` completes, then waits for the connections under way to finish
/// (the caller bounds that wait with the shutdown grace). Handlers see the peer address as `ConnectInfo`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut make: IntoMakeServiceWithConnectInfo<Router, SocketAddr> =
        app.into_make_service_with_connect_info::<SocketAddr>();
    // HTTP/1.1 only, as behind any load balancer: hyper-util's automatic HTTP/2 detection reads the first bytes
    // itself, before hyper's timer starts, so a client that sends nothing at all would escape the timeout.
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    // Each connection holds a sender: once shutdown drops the last other one, `open.recv()` ends when every
    // connection has. `stopping` tells the connections to finish the request under way and close.
    let (held, mut open) = tokio::sync::mpsc::channel::<()>(1);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: back off instead of spinning, and keep serving those
                    // already connected.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = match Service::<SocketAddr>::call(&mut make, peer).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)).with_upgrades();
        let (held, mut stopping) = (held.clone(), stopping.clone());
        tokio::spawn(async move {
            tokio::pin!(connection);
            // A client that goes away or breaks the protocol ends only its own connection.
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = async { stopping.wait_for(|stop| *stop).await.map(drop) } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(held);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    drop(held);
    let _ = open.recv().await;
    Ok(())
}
