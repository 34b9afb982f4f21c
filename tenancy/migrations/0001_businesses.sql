-- 0001_businesses: the control plane of multi-business mode, in schema revledger.
--
-- One row per business. Its warehouse is the schema biz_<slug with - as _> (the migrations/
-- tables, unchanged); the row says how to reach its Revolut API and where its files go.
CREATE TABLE businesses (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{1,39}$'),
    name            text        NOT NULL CHECK (btrim(name) <> ''),
    time_zone       text        NOT NULL,
    base_currency   text        NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
    export_url      text        NOT NULL CHECK (export_url <> ''),
    api_url         text        NOT NULL CHECK (api_url ~ '^https?://'),
    client_id       text        NOT NULL CHECK (client_id <> ''),
    issuer          text        NOT NULL CHECK (issuer <> ''),
    schedule        text        NOT NULL,
    state           text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
    chart_overrides jsonb       CHECK (chart_overrides IS NULL OR jsonb_typeof(chart_overrides) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The secrets of a business, encrypted by the application (AES-256-GCM; the database never
-- sees a key): ciphertext is nonce || sealed text, key_id names the key it was sealed with,
-- and the additional data binds it to (business_id, field), so that a ciphertext copied to
-- another business or field does not decrypt.
CREATE TABLE business_secrets (
    business_id bigint      NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    field       text        NOT NULL CHECK (field IN ('private_key', 'refresh_token')),
    key_id      text        NOT NULL,
    ciphertext  bytea       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (business_id, field)
);
