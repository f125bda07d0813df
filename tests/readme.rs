//! The README's "Embed it" snippet, exactly as written, started twice on one file: the second
//! start succeeds, the token is sealed (its bytes are in no file of the store), and the audit
//! trail is one hash chain in the same file that verifies and holds the vault's own records.
//!
//! The snippet reads its keys and secrets from the environment, which a test cannot set in its
//! own process without `unsafe`; so each start is this same test binary run as a child with
//! the variables set and the store's directory as its working directory (where the snippet's
//! `inbox.db` lands).

use std::process::Command;

mod common;

/// Set in the child: run the snippet and exit.
const CHILD: &str = "UNIBOX_README_CHILD";
const TEST_NAME: &str = "the_readme_snippet_starts_twice_with_sealed_tokens_and_one_audit_chain";

/// The snippet, verbatim between the markers; [`snippet_is_the_readmes`] checks README.md has it.
async fn readme_snippet() -> Result<unibox::Hub, Box<dyn std::error::Error>> {
    // README:begin
    use std::sync::Arc;
    use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig};
    use unibox::http::ReqwestClient;
    use unibox::secrecy::SecretString;
    use unibox::store::sqlite::SqliteStore;
    use unibox::vault::StoreKeys;
    use unibox::{Actor, ChannelAccount, ChannelKind, Hub, Role, Timestamp, TokenSet};

    // The vault's keys (`1:` and the base64 of 32 random bytes), never in the code.
    let keys = StoreKeys::from_env("UNIBOX_VAULT_KEYS")?;
    // One file: the inbox, the sealed tokens and the audit chain. The next start reopens it.
    let store = SqliteStore::open("inbox.db", keys).await?;
    let config = WebhookChannelConfig::builder()
        .secret(SecretString::from(std::env::var("ACME_WEBHOOK_SECRET")?))
        .send_url("https://crm.example.com/unibox-outbound".parse()?)
        .build()?;
    let api = WebhookChannel::new(config).with_http_client(Arc::new(ReqwestClient::new()));
    let hub = Hub::builder(store).channel("acme-api".parse()?, Arc::new(api)).build();

    // Connect the account (on later starts: update it), as an admin of its tenant.
    let admin = Actor::user("acme".parse()?, "ann".parse()?, Role::Admin);
    let account =
        ChannelAccount::new("acme".parse()?, "acme-api".parse()?, ChannelKind::WEBHOOK, "store-1", Timestamp::now());
    let token = TokenSet::new(std::env::var("ACME_CRM_TOKEN")?); // the bearer token replies carry
    hub.ensure_account(&admin, account, Some(token)).await?;
    // README:end
    Ok(hub)
}

/// The snippet's lines as the README shows them (this file's indentation removed).
fn snippet() -> String {
    let source = include_str!("readme.rs");
    let begin = source.find("// README:begin\n").expect("begin marker") + "// README:begin\n".len();
    let end = source[begin..].find("    // README:end").expect("end marker") + begin;
    source[begin..end].lines().map(|line| line.strip_prefix("    ").unwrap_or(line)).collect::<Vec<_>>().join("\n")
}

#[test]
fn snippet_is_the_readmes() {
    let readme = include_str!("../README.md");
    let block = format!("```rust\n{}\n```", snippet());
    assert!(readme.contains(&block), "README.md's embed snippet differs from tests/readme.rs:\n{block}");
}

#[test]
fn the_readme_snippet_starts_twice_with_sealed_tokens_and_one_audit_chain() {
    if std::env::var_os(CHILD).is_some() {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let hub = readme_snippet().await.unwrap_or_else(|error| panic!("the README snippet failed: {error}"));
            drop(hub);
        });
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = unibox::vault::Keyring::generate_entry(1);
    // Distinctive bytes to look for in the files.
    let token = format!("crm-bearer-7f3c9a-{}", std::process::id());
    for start in ["first", "second"] {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads", "1"])
            .current_dir(dir.path())
            .env(CHILD, "1")
            .env("UNIBOX_VAULT_KEYS", &keys)
            .env("ACME_WEBHOOK_SECRET", common::SECRET)
            .env("ACME_CRM_TOKEN", &token)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "the {start} start failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(common::assert_sealed_and_chained(dir.path(), &keys, &token, "ann", 2));
}
