-- 0008_fx_rates: exchange rates fetched from a publisher (extract/rates), kept so that each
-- is fetched once and every base-currency value can say which rate it used. A row is the
-- rate of one pair for one day, as the source answered it: 1 base_currency = rate
-- quote_currency on day, from the publication of published_at (the ECB reference day, which
-- is before day on a weekend or TARGET holiday; HMRC's month start). Rows are written once
-- and never updated: a provisional answer (the publisher may still publish for that day) is
-- not stored.
CREATE TABLE fx_rates (
    source         text        NOT NULL CHECK (source ~ '^[a-z][a-z0-9_-]*$'),
    base_currency  char(3)     NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
    quote_currency char(3)     NOT NULL CHECK (quote_currency ~ '^[A-Z]{3}$'),
    day            date        NOT NULL,
    rate           numeric     NOT NULL CHECK (rate > 0),
    published_at   date        NOT NULL CHECK (published_at <= day),
    fetched_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, base_currency, quote_currency, day)
);
