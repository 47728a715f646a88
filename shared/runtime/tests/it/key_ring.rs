//! The token key ring from a Secrets Manager secret on LocalStack and from a local file.

use super::emulators::secrets_manager;
use ida_core::Role;
use ida_core::id::{TenantId, UserId};
use ida_core::identity::KeyRing;
use ida_runtime::auth::{
    KeyFile, KeyRingLocation, KeyRingSource, SecretsManagerKeyRing, TokenSettings,
};
use ida_runtime::settings::Settings;
use time::OffsetDateTime;

fn settings(location: (&str, &str)) -> TokenSettings {
    let env = [
        ("IDA_TOKEN_ISSUER", "https://api.ida.test"),
        ("IDA_TOKEN_AUDIENCE", "ida-api"),
        location,
    ];
    TokenSettings::from_lookup(|var| {
        env.iter()
            .find(|(name, _)| *name == var)
            .map(|(_, value)| (*value).to_owned())
    })
    .unwrap()
}

#[tokio::test]
async fn the_key_ring_secret_verifies_tokens_it_signed() -> anyhow::Result<()> {
    let client = secrets_manager().await;
    let now = OffsetDateTime::now_utc();
    let ring = KeyRing::generate(now)?.rotate(now)?;
    let name = format!("ida-test/keys-{}", uuid::Uuid::new_v4());
    client
        .create_secret()
        .name(&name)
        .secret_string(serde_json::to_string(&ring)?)
        .send()
        .await?;

    let settings = settings(("IDA_SIGNING_KEYS_SECRET_ID", &name));
    let KeyRingLocation::Secret(secret_id) = &settings.keys else {
        panic!("expected the secret location, got {:?}", settings.keys);
    };
    let loaded = SecretsManagerKeyRing::new(client.clone(), secret_id)
        .load()
        .await?;
    assert_eq!(loaded, ring);
    let tokens = settings.access_tokens(&loaded)?;
    let issued = tokens.issue(
        &TenantId::generate(),
        &UserId::generate(),
        Role::Member,
        now,
    )?;
    assert_eq!(
        tokens.verify(&issued.token, now)?.principal.role(),
        Role::Member
    );

    client
        .delete_secret()
        .secret_id(&name)
        .force_delete_without_recovery(true)
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_missing_secret_is_a_key_set_error_naming_the_secret() {
    let client = secrets_manager().await;
    let settings = settings(("IDA_SIGNING_KEYS_SECRET_ID", "ida-test/no-such-secret"));
    let KeyRingLocation::Secret(secret_id) = &settings.keys else {
        panic!("expected the secret location");
    };
    let error = SecretsManagerKeyRing::new(client, secret_id)
        .load()
        .await
        .unwrap_err();
    assert_eq!(error.code(), "key_set_unavailable");
    assert!(
        error.to_string().contains("ida-test/no-such-secret"),
        "{error}"
    );
}

#[tokio::test]
async fn a_key_file_loads_the_same_ring() -> anyhow::Result<()> {
    let ring = KeyRing::generate(OffsetDateTime::now_utc())?;
    let path = std::env::temp_dir().join(format!("ida-keys-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&path, serde_json::to_string(&ring)?)?;
    let loaded = KeyFile::new(&path).load().await;
    std::fs::remove_file(&path)?;
    assert_eq!(loaded?, ring);
    let missing = KeyFile::new(&path).load().await.unwrap_err();
    assert_eq!(missing.code(), "key_set_unavailable");
    Ok(())
}
