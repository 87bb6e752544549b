CREATE TABLE IF NOT EXISTS bench_message (
    id bigserial PRIMARY KEY,
    apple_id varchar(64) NOT NULL UNIQUE,
    source_id varchar(255) NOT NULL,
    destination_id varchar(64) NOT NULL,
    body text NOT NULL,
    raw jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS bench_outbox (
    id bigserial PRIMARY KEY,
    message_id bigint NOT NULL REFERENCES bench_message (id),
    event varchar(32) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
