-- timestamps.MACROS as rendered at commit 4fe3b2a (before the time expressions were made cheaper, issue 13):
-- the reference that tests/transform/test_timestamps_speed.py compares the current macros with.
CREATE OR REPLACE TEMP MACRO ll_utc(t) AS (t AT TIME ZONE 'UTC');
CREATE OR REPLACE TEMP MACRO ll_iso_text(s) AS (replace(
    CASE WHEN substr(s, 5, 1) = '/' THEN replace(left(s, 10), '/', '-') || substr(s, 11) ELSE s END, ',', '.'));
CREATE OR REPLACE TEMP MACRO ll_iso(s) AS (ll_utc(try_cast(
    CASE WHEN length(s) > 19 AND (contains(s, ' +') OR contains(s, ' -'))
         THEN regexp_replace(ll_iso_text(s), ' ([+-]\d)', '\1') ELSE ll_iso_text(s) END AS TIMESTAMPTZ)));
CREATE OR REPLACE TEMP MACRO ll_year_before(t, ref_ms) AS (
    CASE WHEN t <= epoch_ms(ref_ms) + INTERVAL 1 DAY THEN t
         WHEN month(t) = 2 AND day(t) = 29 THEN NULL
         ELSE t - INTERVAL 1 YEAR END);
CREATE OR REPLACE TEMP MACRO ll_yearless(s, ref_ms) AS (coalesce(
    ll_year_before(try_strptime(s || ' ' || year(epoch_ms(ref_ms)), '%b %d %H:%M:%S %Y'), ref_ms),
    CASE WHEN starts_with(s, 'Feb 29 ')
         THEN try_strptime(s || ' ' || (year(epoch_ms(ref_ms)) - 1), '%b %d %H:%M:%S %Y') END));
CREATE OR REPLACE TEMP MACRO ll_parse_time(s, ref_ms) AS (
    CASE
        WHEN s IS NULL THEN NULL
        WHEN regexp_full_match(s, '\d{4}(?:-\d{2}-\d{2}|/\d{2}/\d{2})(?:T| {1,2})\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|z|[+-]\d{2}(?::?\d{2})?| [+-]\d{2}:?\d{2}| UTC| GMT)?') THEN ll_iso(s)
        WHEN regexp_full_match(s, '\d{10}(\.\d+)?') THEN ll_utc(to_timestamp(s::DOUBLE))
        WHEN regexp_full_match(s, '\d{13}') THEN epoch_ms(s::BIGINT)
        WHEN regexp_full_match(s, '\d{16}') THEN make_timestamp(s::BIGINT)
        WHEN regexp_full_match(s, '\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}') THEN ll_utc(try_strptime(s, '%d/%b/%Y:%H:%M:%S %z'))
        WHEN regexp_full_match(s, '[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}') THEN ll_yearless(replace(s, '  ', ' '), ref_ms)
        WHEN regexp_full_match(s, '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})? \d{4}') THEN CASE WHEN contains(s, '.') THEN try_strptime(replace(s, '  ', ' '), '%a %b %d %H:%M:%S.%f %Y') ELSE try_strptime(replace(s, '  ', ' '), '%a %b %d %H:%M:%S %Y') END
        WHEN regexp_full_match(s, '\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?') THEN CASE WHEN contains(s, '.') THEN try_strptime(s, '%d-%b-%Y %H:%M:%S.%f') ELSE try_strptime(s, '%d-%b-%Y %H:%M:%S') END
        ELSE NULL
    END
);
CREATE OR REPLACE TEMP MACRO ll_parse_time_epoch_s(s, ref_ms) AS (CASE WHEN regexp_full_match(s, '\d{10}(\.\d+)?') THEN ll_utc(to_timestamp(s::DOUBLE)) ELSE ll_parse_time(s, ref_ms) END);
CREATE OR REPLACE TEMP MACRO ll_parse_time_epoch_ms(s, ref_ms) AS (CASE WHEN regexp_full_match(s, '\d{13}') THEN epoch_ms(s::BIGINT) ELSE ll_parse_time(s, ref_ms) END);
CREATE OR REPLACE TEMP MACRO ll_parse_time_epoch_us(s, ref_ms) AS (CASE WHEN regexp_full_match(s, '\d{16}') THEN make_timestamp(s::BIGINT) ELSE ll_parse_time(s, ref_ms) END);
CREATE OR REPLACE TEMP MACRO ll_parse_time_clf(s, ref_ms) AS (CASE WHEN regexp_full_match(s, '\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}') THEN ll_utc(try_strptime(s, '%d/%b/%Y:%H:%M:%S %z')) ELSE ll_parse_time(s, ref_ms) END);
CREATE OR REPLACE TEMP MACRO ll_parse_time_syslog(s, ref_ms) AS (CASE WHEN regexp_full_match(s, '[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}') THEN ll_yearless(replace(s, '  ', ' '), ref_ms) ELSE ll_parse_time(s, ref_ms) END);
CREATE OR REPLACE TEMP MACRO ll_parse_time_ctime(s, ref_ms) AS (CASE WHEN regexp_full_match(s, '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})? \d{4}') THEN CASE WHEN contains(s, '.') THEN try_strptime(replace(s, '  ', ' '), '%a %b %d %H:%M:%S.%f %Y') ELSE try_strptime(replace(s, '  ', ' '), '%a %b %d %H:%M:%S %Y') END ELSE ll_parse_time(s, ref_ms) END);
CREATE OR REPLACE TEMP MACRO ll_parse_time_tomcat(s, ref_ms) AS (CASE WHEN regexp_full_match(s, '\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?') THEN CASE WHEN contains(s, '.') THEN try_strptime(s, '%d-%b-%Y %H:%M:%S.%f') ELSE try_strptime(s, '%d-%b-%Y %H:%M:%S') END ELSE ll_parse_time(s, ref_ms) END);
