-- Source: AWS's Amazon Athena User Guide, "Create the table for ALB connection logs" and "Example queries for ALB connection logs" (docs.aws.amazon.com/athena/latest/ug/create-alb-connection-logs-table.html, query-alb-connection-logs.html), read from stored copies of the pages (the awsdocs repository was archived before these pages existed). Code samples: MIT-0 (LICENSE-SAMPLECODE).
-- Extracted verbatim from fenced code blocks; 3 statements.
-- Placeholders such as amzn-s3-demo-bucket are upstream's.

-- [1] section: Create the table for ALB connection logs
-- context: Copy and paste the following DDL statement into the Athena console, and modify the values as necessary.
CREATE EXTERNAL TABLE IF NOT EXISTS alb_connection_logs (
            time string,
            client_ip string,
            client_port int,
            listener_port int,
            tls_protocol string,
            tls_cipher string,
            tls_handshake_latency double,
            leaf_client_cert_subject string,
            leaf_client_cert_validity string,
            leaf_client_cert_serial_number string,
            tls_verify_status string,
            conn_trace_id string
            )
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
            WITH SERDEPROPERTIES (
            'serialization.format' = '1',
            'input.regex' =
             '([^ ]*) ([^ ]*) ([0-9]*) ([0-9]*) ([A-Za-z0-9.-]*) ([^ ]*) ([-.0-9]*) \"([^\"]*)\" ([^ ]*) ([^ ]*) ([^ ]*) ?([^ ]*)?( .*)?'
            )
            LOCATION 's3://amzn-s3-demo-bucket/connection-log-folder-path/'

-- [2] section: Example queries for ALB connection logs
-- context: The following query count occurrences where the value for tls_verify_status was not 'Success', grouped by client IP address:
SELECT DISTINCT client_ip, count() AS count FROM alb_connection_logs
WHERE tls_verify_status != 'Success'
GROUP BY client_ip
ORDER BY count() DESC;

-- [3] section: Example queries for ALB connection logs
-- context: The following query searches occurrences where the value for tls_handshake_latency was over 2 seconds in the specified time range:
SELECT * FROM alb_connection_logs
WHERE
  (
    parse_datetime(time, 'yyyy-MM-dd''T''HH:mm:ss.SSSSSS''Z')
    BETWEEN
    parse_datetime('2024-01-01-00:00:00', 'yyyy-MM-dd-HH:mm:ss')
    AND
    parse_datetime('2024-03-20-00:00:00', 'yyyy-MM-dd-HH:mm:ss')
  )
  AND
    (tls_handshake_latency >= 2.0);
