//! The accept loop both floors share (`floor.rs`, `bare_hyper.rs`): as `accept_loop` in
//! src/sim/standalone.rs, with the same hyper connection builder, but answering every
//! request with one fixed JSON body after reading the request's own.

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, ETAG, HeaderValue};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Serves `body` (with this entity tag) on every connection `listener` accepts, forever.
pub async fn accept_loop(listener: tokio::net::TcpListener, body: Bytes, etag: &'static str) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let body = body.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let body = body.clone();
                async move {
                    // Read the request like the simulations do before answering.
                    let _ = request.into_body().collect().await;
                    let mut response = Response::new(Full::new(body));
                    let headers = response.headers_mut();
                    headers.insert(ETAG, HeaderValue::from_static(etag));
                    headers.insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/scim+json"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
