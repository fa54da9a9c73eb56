-- newsingest dataset as BigQuery external tables over Cloud Storage.
--
-- Replace PROJECT, DATASET and gs://BUCKET/PATH (the dataset root, i.e. `newsingest run --output`)
-- and run with:  bq query --use_legacy_sql=false < deploy/warehouse/bigquery.sql
--
-- The files are read in place: every committed run is visible as soon as its files are renamed
-- into articles/, duplicates/ and quarantine/ (staging lives under _staging/, which no table
-- below covers). Identify data by the run_id column, never by file name (compaction rewrites
-- files of several runs into one).

-- articles: Hive-partitioned by date=YYYY-MM-DD. The partition key `date` is declared STRING
-- because undated articles sit under date=__HIVE_DEFAULT_PARTITION__, which is not a DATE
-- literal. Use the typed column published_date (DATE, NULL when undated; stored in the files and
-- always equal to the folder) in queries; filter on `date` (e.g. date = '2024-03-26' or
-- date >= '2024-03-01') only to prune files.
CREATE OR REPLACE EXTERNAL TABLE `PROJECT.DATASET.articles`
WITH PARTITION COLUMNS (
  date STRING
)
OPTIONS (
  format = 'PARQUET',
  uris = ['gs://BUCKET/PATH/articles/*'],
  hive_partition_uri_prefix = 'gs://BUCKET/PATH/articles',
  require_hive_partition_filter = false
);

-- duplicates: flat folder, one row per dropped duplicate (duplicate_of = kept article_id).
CREATE OR REPLACE EXTERNAL TABLE `PROJECT.DATASET.duplicates`
OPTIONS (
  format = 'PARQUET',
  uris = ['gs://BUCKET/PATH/duplicates/*.parquet']
);

-- quarantine: flat folder, rejected inputs with reason/detail (raw_content is BYTES; select
-- only the columns you need so the raw bytes are not scanned).
CREATE OR REPLACE EXTERNAL TABLE `PROJECT.DATASET.quarantine`
OPTIONS (
  format = 'PARQUET',
  uris = ['gs://BUCKET/PATH/quarantine/*.parquet']
);

-- Check: rows per run and date (compare with `newsingest runs` / _runs/<run_id>.json counts).
-- SELECT run_id, published_date, COUNT(*) AS articles
-- FROM `PROJECT.DATASET.articles` GROUP BY run_id, published_date ORDER BY run_id, published_date;
