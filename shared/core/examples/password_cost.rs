//! Measures what one argon2id hash and one access-token round trip cost with the production
//! parameters, to size the login Lambda's memory and check the OWASP setting stays affordable.
//! Run with `cargo run --release -p ida-core --example password_cost`.

use std::time::Instant;

use ida_core::access::Role;
use ida_core::id::{TenantId, UserId};
use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing, Password, PasswordHashing};
use time::OffsetDateTime;

fn main() -> anyhow::Result<()> {
    let hashing = PasswordHashing::default();
    let password = Password::presented("correct horse battery staple")?;
    let rounds = 20;
    let started = Instant::now();
    let mut stored = String::new();
    for _ in 0..rounds {
        stored = hashing.hash(&password)?;
    }
    let per_hash = started.elapsed() / rounds;
    let started = Instant::now();
    for _ in 0..rounds {
        hashing.verify(&password, &stored)?;
    }
    let per_verify = started.elapsed() / rounds;
    println!("argon2id m=19456 KiB t=2 p=1: hash {per_hash:?}, verify {per_verify:?}");

    let now = OffsetDateTime::now_utc();
    let tokens = AccessTokens::new(
        AccessTokenConfig::new("https://ida.example", "ida-api"),
        &KeyRing::generate(now)?,
    )?;
    let (tenant, user) = (TenantId::generate(), UserId::generate());
    let rounds = 2_000;
    let started = Instant::now();
    for _ in 0..rounds {
        let issued = tokens.issue(&tenant, &user, Role::Member, now)?;
        tokens.verify(&issued.token, now)?;
    }
    println!(
        "EdDSA access token issue + verify: {:?}",
        started.elapsed() / rounds
    );
    Ok(())
}
