-- AWS's documented partition-projection DDL for Kinesis Data Firehose output, verbatim.
-- Source: awsdocs/amazon-athena-user-guide doc_source/partition-projection-kinesis-firehose-example.md @ 765e909ebcf8817b22efad881b7f90f32440b891
-- Licence: MIT-0 (AWS documentation sample code).
CREATE EXTERNAL TABLE my_ingested_data (
 ...
)
...
PARTITIONED BY (
 datehour STRING
)
LOCATION "s3://DOC-EXAMPLE-BUCKET/prefix/"
TBLPROPERTIES (
 "projection.enabled" = "true",
 "projection.datehour.type" = "date",
 "projection.datehour.format" = "yyyy/MM/dd/HH",
 "projection.datehour.range" = "2021/01/01/00,NOW",
 "projection.datehour.interval" = "1",
 "projection.datehour.interval.unit" = "HOURS",
 "storage.location.template" = "s3://DOC-EXAMPLE-BUCKET/prefix/${datehour}/"
)
;
