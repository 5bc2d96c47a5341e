//! Discovery and JWKS throughput through the full actix service stack, with a database that fails every call
//! (so any query would show up as an error, and none does). Run: `cargo bench -p charter-endpoints`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/offline.rs"]
mod offline;

use std::sync::atomic::Ordering;
use std::time::Instant;

use actix_web::{App, test, web};

const N: u32 = 50_000;

#[actix_web::main]
async fn main() {
    let (state, store) = offline::offline_state();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(state))
            .configure(charter_endpoints::configure),
    )
    .await;
    for path in ["/jwks", "/.well-known/openid-configuration"] {
        for _ in 0..1000 {
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        }
        let started = Instant::now();
        for _ in 0..N {
            let res =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(res.status(), 200);
        }
        let per = started.elapsed() / N;
        println!(
            "{path:<40} {:>8} ns/request (in-process, no network)",
            per.as_nanos()
        );
    }
    println!("database calls: {}", store.calls.load(Ordering::SeqCst));
}
