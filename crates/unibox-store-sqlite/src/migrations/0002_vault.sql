-- unibox-store-sqlite schema version 2: the token vault's storage (unibox-vault).
--
-- Only ciphertext is stored: sealed token sets and wrapped data keys. `expires_at` is kept in
-- the clear so refreshes can be planned without decrypting. Every table is keyed by tenant.

CREATE TABLE vault_tokens (
    tenant     TEXT NOT NULL,
    account    BLOB NOT NULL,
    -- NULL once revoked: revoking forgets the ciphertext.
    sealed     BLOB,
    expires_at INTEGER,
    revoked_at INTEGER,
    -- Bumped by every write; a refresh stores its result only if it is unchanged.
    revision   INTEGER NOT NULL,
    PRIMARY KEY (tenant, account)
) STRICT, WITHOUT ROWID;

-- One refresher per account across every process sharing the file.
CREATE TABLE vault_leases (
    tenant  TEXT NOT NULL,
    account BLOB NOT NULL,
    holder  TEXT NOT NULL,
    until   INTEGER NOT NULL,
    PRIMARY KEY (tenant, account)
) STRICT, WITHOUT ROWID;

CREATE TABLE vault_data_keys (
    tenant      TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    kek_version INTEGER NOT NULL,
    wrapped     BLOB NOT NULL,
    PRIMARY KEY (tenant, generation)
) STRICT, WITHOUT ROWID;
-- A rotation looks for keys not yet wrapped with the new version.
CREATE INDEX vault_data_keys_by_kek ON vault_data_keys (kek_version);
