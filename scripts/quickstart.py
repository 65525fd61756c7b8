"""Run the text-to-video example DAG end to end, offline: sandbox API -> Airflow -> moto S3.

Everything runs on 127.0.0.1 and is stopped at the end; the Airflow home is a temporary directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUCKET = "hailuo-videos"
API_KEY = "sandbox-key"


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="hailuo-quickstart-"))
    dags = home / "dags"
    dags.mkdir()
    shutil.copy(REPO / "dags_examples" / "hailuo_text_to_video.py", dags)
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("QUICKSTART_LOG_LEVEL", "WARNING"),
            # Airflow warns "AssetModel ... not found; cannot create asset event" and "Emitting event
            # for inactive AssetModel" whenever an alias announces an asset it has not seen before (each
            # video is a new S3 object), then creates the asset and records the event: in a deployment
            # these lines go to the api-server's log; here they would read as a failure. The event is
            # checked below instead (Airflow 3.2+ reads this; older ones get the logger level below).
            "AIRFLOW__LOGGING__NAMESPACE_LEVELS": os.environ.get(
                "QUICKSTART_NAMESPACE_LEVELS", "airflow.assets.manager=ERROR"
            ),
            "HAILUO_EXAMPLE_BUCKET": BUCKET,
            "HAILUO_EXAMPLE_POLL_INTERVAL": "1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    )
    print(f"== Airflow home: {home}")
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)

    import logging

    import boto3
    import requests
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    logging.getLogger("airflow.assets.manager").setLevel(logging.ERROR)  # see NAMESPACE_LEVELS above

    from airflow_provider_hailuo.sandbox import SandboxConfig, SandboxServer

    sandbox = SandboxServer(
        SandboxConfig(
            preparing_seconds=1, queueing_seconds=1, processing_seconds=3, video_bytes=8 * 1024 * 1024
        )
    ).start()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        s3_url = f"http://{host}:{port}"
        print(f"== sandbox API at {sandbox.url}, local S3 (moto) at {s3_url}")
        os.environ["AIRFLOW_CONN_HAILUO_DEFAULT"] = json.dumps(
            {"conn_type": "hailuo", "host": sandbox.url, "password": API_KEY}
        )
        os.environ["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": s3_url, "region_name": "us-east-1"},
            }
        )
        s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)

        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "hailuo_text_to_video", dags / "hailuo_text_to_video.py"
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print("== running DAG hailuo_text_to_video through Airflow (generate -> wait deferred -> S3)")
        dag_run = module.dag.test()
        if dag_run.state != "success":
            print(f"!! DAG run ended {dag_run.state}", file=sys.stderr)
            return 1
        objects = [o for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
        if len(objects) != 1:
            print(f"!! expected one video in s3://{BUCKET}, found {len(objects)}", file=sys.stderr)
            return 1
        key = objects[0]["Key"]
        head = s3.head_object(Bucket=BUCKET, Key=key)
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        digest = hashlib.sha256(body).hexdigest()
        file_id = head["Metadata"].get("hailuo-file-id")
        served = requests.get(f"{sandbox.url}/sandbox/files/{file_id}/sha256", timeout=60).json()
        matches = served.get("sha256") == digest and served.get("bytes") == len(body)
        print()
        print(f"Video:    s3://{BUCKET}/{key}")
        print(f"Size:     {len(body):,} bytes ({head.get('ContentType')})")
        print(f"SHA-256:  {digest}")
        print(f"Hailuo:   task {head['Metadata'].get('hailuo-video-task-id')}, file {file_id}")
        print(f"Matches what the API served: {'yes' if matches else 'NO'}")
        announced = _asset_events(f"s3://{BUCKET}/{key}")
        print(f"Asset event: {', '.join(announced) if announced else 'NONE'} (for downstream DAGs)")
        return 0 if matches and announced else 1
    finally:
        moto.stop()
        sandbox.stop()
        if not os.environ.get("QUICKSTART_KEEP_HOME"):
            shutil.rmtree(home, ignore_errors=True)


def _asset_events(uri: str) -> list[str]:
    """The asset events Airflow recorded for ``uri``, as "through <aliases>", read from its own models."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
            .where(AssetModel.uri == uri)
        ).all()
        return [
            "through " + (", ".join(alias.name for alias in event.source_aliases) or "the task's outlets")
            for event in events
        ]


if __name__ == "__main__":
    sys.exit(main())
