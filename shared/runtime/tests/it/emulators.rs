//! Access to the local emulators: fail at once, saying how to start them, when they are down.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::config::Credentials;
use ida_local::Endpoints;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Panics with the command to run when nothing listens at `url`.
pub fn require_listening(url: &str) {
    let authority = url
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let listening = authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|address| {
            TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok()
        });
    assert!(
        listening,
        "no emulator answers at {url}: start them with `scripts/emulators up`"
    );
}

/// A Secrets Manager client for LocalStack.
pub async fn secrets_manager() -> aws_sdk_secretsmanager::Client {
    let endpoints = Endpoints::from_env();
    require_listening(&endpoints.aws);
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(endpoints.region.clone()))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(&endpoints.aws)
        .load()
        .await;
    aws_sdk_secretsmanager::Client::new(&config)
}
