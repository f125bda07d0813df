//! A tour of the token vault: tokens for two tenants on three platforms, sealed in SQLite;
//! a key rotation; one platform revoked; one tenant crypto-shredded.
//!
//! ```text
//! cargo run -p unibox --example vault
//! UNIBOX_VAULT_KEYS="1:$(head -c32 /dev/urandom | base64)" cargo run -p unibox --example vault
//! ```

use std::sync::Arc;

use unibox::secrecy::ExposeSecret;
use unibox::store::sqlite::SqliteInbox;
use unibox::vault::{KeyProvider, Keyring, Vault};
use unibox::{
    ChannelAccountId, ChannelKind, SealedSlot, SealedTokenBackend, TenantId, Timestamp, TokenSet, TokenStore,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), unibox::Error> {
    let dir = std::env::temp_dir().join(format!("unibox-vault-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| unibox::Error::new(unibox::ErrorKind::Storage, e.to_string()))?;
    let store = Arc::new(SqliteInbox::open(dir.join("inbox.db")).await?);

    // 1. Key-encryption keys: from the environment in production; generated for the tour.
    // (Production code calls `Keyring::from_env("UNIBOX_VAULT_KEYS")`; the tour keeps the text
    // to build the rotated keyring below.)
    let v1_text = std::env::var("UNIBOX_VAULT_KEYS").unwrap_or_else(|_| Keyring::generate_entry(1));
    let v1 = Keyring::parse(&v1_text)?;
    println!("1. key-encryption keys loaded: {v1:?} (the keys themselves never print)");
    let vault = Vault::builder(store.clone(), Arc::new(v1.clone())).build();

    // 2. Two tenants, three platforms each.
    let tenants: [TenantId; 2] = ["acme".parse()?, "globex".parse()?];
    let platforms = [ChannelKind::MESSENGER, ChannelKind::LINE, ChannelKind::SHOPEE];
    let mut accounts = Vec::new();
    for tenant in &tenants {
        for kind in &platforms {
            let account = ChannelAccountId::new();
            let token = format!("{tenant}-{kind}-access-token");
            let expiry = Timestamp::now().saturating_add(std::time::Duration::from_secs(4 * 3600));
            vault
                .put(tenant, account, TokenSet::new(token).with_refresh_token("single-use-refresh").expiring_at(expiry))
                .await?;
            accounts.push((tenant.clone(), kind.clone(), account));
        }
    }
    println!("2. stored tokens for {} accounts; what SQLite holds for the first one:", accounts.len());
    let (tenant, kind, account) = &accounts[0];
    if let SealedSlot::Active(sealed) = store.sealed(tenant, *account).await? {
        println!("   {tenant}/{kind}: {sealed:?}, ciphertext starts {:02x?}", &sealed.sealed[..12]);
    }

    // 3. Rotation: add KEK version 2 (primary), rewrap every data key, retire version 1.
    let old_version = v1.primary_version();
    let v2_entry = Keyring::generate_entry(old_version + 1);
    let both = Keyring::parse(&format!("{v1_text}\n{v2_entry}"))?;
    let rotating = Vault::builder(store.clone(), Arc::new(both)).build();
    let report = rotating.rotate().await?;
    rotating.ensure_retirable(old_version).await?;
    println!(
        "3. rotated: {} data keys rewrapped under version {}; version {old_version} can be retired",
        report.rewrapped, report.kek_version
    );
    let only_v2 = Vault::builder(store.clone(), Arc::new(Keyring::parse(&v2_entry)?)).build();
    for (tenant, kind, account) in &accounts {
        let tokens = only_v2.get(tenant, *account).await?.map(|t| t.access_token.expose_secret().len());
        println!("   {tenant}/{kind}: opens with version 2 alone ({} token bytes)", tokens.unwrap_or(0));
    }

    // 4. Revoke one platform: the others keep working.
    let (tenant, kind, account) = &accounts[1];
    only_v2.revoke(tenant, *account, Timestamp::now()).await?;
    println!("4. revoked {tenant}/{kind}: status {:?}", only_v2.status(tenant, *account).await?);
    for (tenant, kind, account) in &accounts[..3] {
        println!(
            "   {tenant}/{kind}: {}",
            if only_v2.get(tenant, *account).await?.is_some() { "readable" } else { "gone" }
        );
    }

    // 5. Crypto-shred a tenant: one key destroyed, every token of that tenant unreadable.
    let destroyed = only_v2.shred_tenant(&tenants[0]).await?;
    println!("5. shredded tenant {}: {destroyed} data key destroyed", tenants[0]);
    for (tenant, kind, account) in &accounts {
        let state = match only_v2.get(tenant, *account).await {
            Ok(Some(_)) => "readable".to_string(),
            Ok(None) => "gone".to_string(),
            Err(error) => format!("unreadable ({})", error.kind()),
        };
        println!("   {tenant}/{kind}: {state}");
    }
    drop((vault, rotating, only_v2));
    if let Ok(store) = Arc::try_unwrap(store) {
        store.close().await;
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
