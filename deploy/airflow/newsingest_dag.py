"""Airflow DAG: one newsingest batch per hour, through Beam's Airflow operator.

Needs ``apache-airflow-providers-apache-beam`` (and ``apache-airflow-providers-google`` for
Dataflow). The task runs ``deploy/dataflow/main.py`` (a thin wrapper over ``newsingest run``)
with the interpreter of a virtualenv where newsingest is installed. Each run ingests the landing
folder of its data interval as a glob, ``<landing>/YYYY/MM/DD/HH/**`` (an hour without files then
commits an empty run instead of failing the input check), under ``run_id`` = the interval start,
so a retried task reuses its run id.

Environment of the scheduler and workers:
    NEWSINGEST_RUNNER     DirectRunner (default) or DataflowRunner
    NEWSINGEST_MAIN_PY    path of deploy/dataflow/main.py on the workers
    NEWSINGEST_PYTHON     python of the newsingest virtualenv
    NEWSINGEST_GCP_PROJECT, NEWSINGEST_GCP_REGION, NEWSINGEST_BUCKET, NEWSINGEST_IMAGE
                          used only with DataflowRunner
"""

from __future__ import annotations

import datetime as dt
import os

from airflow import DAG
from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator

RUNNER = os.environ.get("NEWSINGEST_RUNNER", "DirectRunner")
MAIN_PY = os.environ.get("NEWSINGEST_MAIN_PY", "/opt/newsingest/deploy/dataflow/main.py")
PYTHON = os.environ.get("NEWSINGEST_PYTHON", "/opt/newsingest/venv/bin/python")
INTERVAL = "{{ data_interval_start.strftime('%Y/%m/%d/%H') }}"
RUN_ID = "{{ data_interval_start.strftime('%Y%m%dT%H%M%SZ') }}"

DIRECT_OPTIONS = {
    "input": f"/srv/news/landing/{INTERVAL}/**",
    "output": "/srv/news/dataset",
    "run_id": RUN_ID,
    "num_shards": 16,
}


def _dataflow_setup() -> tuple[dict, object]:
    """Pipeline options and DataflowConfiguration for DataflowRunner."""
    from airflow.providers.google.cloud.operators.dataflow import DataflowConfiguration

    bucket = os.environ.get("NEWSINGEST_BUCKET", "news-lake")
    options = {
        "input": f"gs://{bucket}/landing/{INTERVAL}/**",
        "output": f"gs://{bucket}/dataset",
        "run_id": RUN_ID,
        "num_shards": 128,
        "temp_location": f"gs://{bucket}/tmp",
        "staging_location": f"gs://{bucket}/staging",
        "sdk_container_image": os.environ.get(
            "NEWSINGEST_IMAGE", "europe-docker.pkg.dev/my-project/newsingest/newsingest:0.1.0"
        ),
        "sdk_location": "container",
        "max_num_workers": 20,
    }
    config = DataflowConfiguration(
        job_name="newsingest",
        append_job_name=True,
        project_id=os.environ.get("NEWSINGEST_GCP_PROJECT"),
        location=os.environ.get("NEWSINGEST_GCP_REGION", "europe-west1"),
        wait_until_finished=True,
    )
    return options, config


if RUNNER == "DataflowRunner":
    PIPELINE_OPTIONS, DATAFLOW_CONFIG = _dataflow_setup()
elif RUNNER == "DirectRunner":
    PIPELINE_OPTIONS, DATAFLOW_CONFIG = DIRECT_OPTIONS, None
else:
    raise ValueError(f"NEWSINGEST_RUNNER must be DirectRunner or DataflowRunner, got {RUNNER!r}")


with DAG(
    dag_id="newsingest_hourly",
    description="Ingest the hour's landed news articles into the deduplicated Parquet dataset",
    schedule="@hourly",
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=10)},
    tags=["newsingest", "beam"],
) as dag:
    ingest = BeamRunPythonPipelineOperator(
        task_id="newsingest_run",
        py_file=MAIN_PY,
        py_interpreter=PYTHON,
        runner=RUNNER,
        pipeline_options=PIPELINE_OPTIONS,
        dataflow_config=DATAFLOW_CONFIG,
    )
