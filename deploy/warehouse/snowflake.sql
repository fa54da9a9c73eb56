-- newsingest dataset as Snowflake external tables over a stage.
--
-- Replace s3://BUCKET/PATH/ (the dataset root, `newsingest run --output`), the storage
-- integration NEWSINGEST_S3 and the database/schema, then run with SnowSQL:
--   snowsql -d NEWS -s PUBLIC -f deploy/warehouse/snowflake.sql
-- (For GCS use URL = 'gcs://BUCKET/PATH/', for Azure 'azure://ACCOUNT.blob.core.windows.net/C/P/'.)
--
-- Identify data by the run_id column, never by file name (compaction rewrites files of several
-- runs into one). External tables only see files after a refresh: AUTO_REFRESH needs event
-- notifications on the bucket; otherwise run ALTER EXTERNAL TABLE ... REFRESH after each run.

CREATE FILE FORMAT IF NOT EXISTS newsingest_parquet TYPE = PARQUET;

CREATE STAGE IF NOT EXISTS newsingest_stage
  URL = 's3://BUCKET/PATH/'
  STORAGE_INTEGRATION = NEWSINGEST_S3
  FILE_FORMAT = newsingest_parquet;

-- articles: the partition column `date` is parsed from the Hive folder in METADATA$FILENAME
-- (articles/date=2024-03-26/part-<run_id>-00000.parquet).
-- Null partition note: undated articles live under date=__HIVE_DEFAULT_PARTITION__; TRY_TO_DATE
-- turns that into NULL, so `date IS NULL` selects them (and published_date is NULL in the file).
CREATE OR REPLACE EXTERNAL TABLE articles (
  date DATE AS (
    TRY_TO_DATE(SPLIT_PART(SPLIT_PART(METADATA$FILENAME, 'date=', 2), '/', 1), 'YYYY-MM-DD')
  ),
  article_id VARCHAR AS (VALUE:article_id::VARCHAR),
  source_uri VARCHAR AS (VALUE:source_uri::VARCHAR),
  published_date DATE AS (VALUE:published_date::DATE),
  published_at TIMESTAMP_TZ AS (VALUE:published_at::TIMESTAMP_TZ),
  date_raw VARCHAR AS (VALUE:date_raw::VARCHAR),
  date_status VARCHAR AS (VALUE:date_status::VARCHAR),
  title VARCHAR AS (VALUE:title::VARCHAR),
  text VARCHAR AS (VALUE:text::VARCHAR),
  content_hash VARCHAR AS (VALUE:content_hash::VARCHAR),
  encoding VARCHAR AS (VALUE:encoding::VARCHAR),
  run_id VARCHAR AS (VALUE:run_id::VARCHAR),
  ingested_at TIMESTAMP_TZ AS (VALUE:ingested_at::TIMESTAMP_TZ)
)
PARTITION BY (date)
LOCATION = @newsingest_stage/articles/
FILE_FORMAT = newsingest_parquet
AUTO_REFRESH = FALSE;

CREATE OR REPLACE EXTERNAL TABLE duplicates (
  article_id VARCHAR AS (VALUE:article_id::VARCHAR),
  source_uri VARCHAR AS (VALUE:source_uri::VARCHAR),
  duplicate_of VARCHAR AS (VALUE:duplicate_of::VARCHAR),
  similarity FLOAT AS (VALUE:similarity::FLOAT),
  method VARCHAR AS (VALUE:method::VARCHAR),
  published_date DATE AS (VALUE:published_date::DATE),
  content_hash VARCHAR AS (VALUE:content_hash::VARCHAR),
  run_id VARCHAR AS (VALUE:run_id::VARCHAR),
  ingested_at TIMESTAMP_TZ AS (VALUE:ingested_at::TIMESTAMP_TZ)
)
LOCATION = @newsingest_stage/duplicates/
FILE_FORMAT = newsingest_parquet
AUTO_REFRESH = FALSE;

-- quarantine without raw_content (query the Parquet files directly if the bytes are needed).
CREATE OR REPLACE EXTERNAL TABLE quarantine (
  source_uri VARCHAR AS (VALUE:source_uri::VARCHAR),
  reason VARCHAR AS (VALUE:reason::VARCHAR),
  detail VARCHAR AS (VALUE:detail::VARCHAR),
  size_bytes NUMBER AS (VALUE:size_bytes::NUMBER),
  sha256 VARCHAR AS (VALUE:sha256::VARCHAR),
  run_id VARCHAR AS (VALUE:run_id::VARCHAR),
  ingested_at TIMESTAMP_TZ AS (VALUE:ingested_at::TIMESTAMP_TZ)
)
LOCATION = @newsingest_stage/quarantine/
FILE_FORMAT = newsingest_parquet
AUTO_REFRESH = FALSE;

-- After each `newsingest run` (when AUTO_REFRESH is off):
-- ALTER EXTERNAL TABLE articles REFRESH;
-- ALTER EXTERNAL TABLE duplicates REFRESH;
-- ALTER EXTERNAL TABLE quarantine REFRESH;
