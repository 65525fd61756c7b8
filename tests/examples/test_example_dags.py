"""Every example DAG parses cleanly, and runs under dag.test() against the sandbox and a moto S3."""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.media_probe import probe_video
from tests.conftest import load_dag_file
from tests.helpers import moto_s3_server, png_bytes
from tests.sandbox.media_files import wav

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "dags_examples")
BUCKET = "hailuo-videos"


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_s3_server() as url:
        yield url


@pytest.fixture
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch, sandbox: Any) -> Any:
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        '{"conn_type": "aws", "login": "testing", "password": "testing", '
        f'"extra": {{"endpoint_url": "{moto_url}", "region_name": "us-east-1"}}}}',
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("HAILUO_EXAMPLE_BUCKET", BUCKET)
    monkeypatch.setenv("HAILUO_EXAMPLE_POLL_INTERVAL", "0.1")
    monkeypatch.setenv("HAILUO_EXAMPLE_POOL", "default_pool")
    client = boto3.client(
        "s3", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    existing = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    if BUCKET not in existing:
        client.create_bucket(Bucket=BUCKET)
    for key, body in (
        ("inputs/landscape.png", png_bytes(1280, 720)),
        ("inputs/landscape_dusk.png", png_bytes(1280, 720, 0x30)),
        ("inputs/face.png", png_bytes(512, 640)),
        ("inputs/theme.wav", wav(4.0)),
    ):
        client.put_object(Bucket=BUCKET, Key=key, Body=body)
    return client


def test_example_dags_parse_without_errors() -> None:
    from tests.conftest import dagbag_for

    bag: Any = dagbag_for(EXAMPLES)
    assert not bag.import_errors, bag.import_errors
    files = {os.path.basename(p) for p in glob.glob(os.path.join(EXAMPLES, "*.py"))}
    assert len(bag.dags) >= len(files) >= 6


def _objects(client: Any, sandbox_url: str, skip: set[str]) -> list[dict[str, Any]]:
    """The new video objects in the bucket, with their bytes checked against what the sandbox served."""
    found = []
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        if obj["Key"].startswith("inputs/") or obj["Key"] in skip:
            continue
        head = client.head_object(Bucket=BUCKET, Key=obj["Key"])
        body = client.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
        file_id = head["Metadata"].get("hailuo-file-id")
        digest = hashlib.sha256(body).hexdigest()
        found.append(
            {
                "key": obj["Key"],
                "sha256": digest,
                "meta": head["Metadata"],
                "file_id": file_id,
                "has_audio": probe_video(body).has_audio,
            }
        )
        if file_id and file_id.isdigit():  # a v1 file; an H3 video ("v2:<task id>") is checked by its test
            served = requests.get(f"{sandbox_url}/sandbox/files/{file_id}/sha256", timeout=30).json()
            assert served["sha256"] == digest and served["bytes"] == len(body)
    return found


@pytest.mark.parametrize(
    ("filename", "dag_id", "videos", "model"),
    [
        ("hailuo_text_to_video.py", "hailuo_text_to_video", 1, "MiniMax-Hailuo-02"),
        ("hailuo_image_to_video.py", "hailuo_image_to_video", 1, "I2V-01-Director"),
        ("hailuo_subject_reference.py", "hailuo_subject_reference", 1, "S2V-01"),
        ("hailuo_first_last_frame.py", "hailuo_first_last_frame", 1, "MiniMax-Hailuo-02"),
        ("hailuo_batch_prompts.py", "hailuo_batch_prompts", 3, "MiniMax-Hailuo-02"),
        ("hailuo_submit_then_wait.py", "hailuo_submit_then_wait", 1, "MiniMax-Hailuo-02"),
    ],
)
def test_example_dag_runs_end_to_end(
    sandbox: Any, s3: Any, airflow_db: None, filename: str, dag_id: str, videos: int, model: str
) -> None:
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    dag = load_dag_file(os.path.join(EXAMPLES, filename), dag_id)
    dag_run = dag.test()  # type: ignore[attr-defined]
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    stats = sandbox.stats()
    assert stats["creates"] == videos
    assert {t["model"] for t in stats["tasks"].values()} == {model}
    new = _objects(s3, sandbox.url, before)
    assert len(new) == videos
    assert all(o["file_id"] and not o["has_audio"] for o in new)  # v1 videos are video-only


def test_h3_example_dag_runs_end_to_end(sandbox: Any, s3: Any, airflow_db: None) -> None:
    """Text-to-video with a ratio, and reference-to-video from S3 images and an S3 soundtrack, both on the
    v2 API, into S3."""
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    dag = load_dag_file(
        os.path.join(EXAMPLES, "hailuo_h3_text_and_references.py"), "hailuo_h3_text_and_references"
    )
    dag_run = dag.test()  # type: ignore[attr-defined]
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    v2 = sandbox.stats()["v2"]
    assert (v2["creates"], sandbox.stats()["creates"]) == (2, 0)
    tasks = sorted(v2["tasks"].values(), key=lambda t: t["mode"])
    assert [(t["model"], t["mode"], t["ratio"]) for t in tasks] == [
        ("MiniMax-H3", "r2va", "16:9"),
        ("MiniMax-H3", "t2va", "9:16"),
    ]
    (references_id,) = [task_id for task_id, t in v2["tasks"].items() if t["mode"] == "r2va"]
    usage = HailuoHook().get_video_generation(references_id, api_version="v2").usage or {}
    assert (usage.get("input_image_count"), usage.get("input_audio_seconds")) == (2, 4)  # read from S3
    served = {
        requests.get(f"{sandbox.url}/sandbox/files/{t['file_id']}/sha256", timeout=30).json()["sha256"]
        for t in tasks
    }
    new = _objects(s3, sandbox.url, before)
    assert {o["key"].split("/")[1] for o in new} == {"h3-text", "h3-references"}
    assert {o["sha256"] for o in new} == served  # the bytes MiniMax served, in S3
    assert all(o["has_audio"] for o in new)  # H3 videos carry stereo sound


def test_h3_regeneration_example_dag_stores_the_2k_video(sandbox: Any, s3: Any, airflow_db: None) -> None:
    """768P draft -> 2K regeneration by source task -> S3: one create per endpoint, the 2K bytes in S3."""
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    dag = load_dag_file(os.path.join(EXAMPLES, "hailuo_h3_regeneration.py"), "hailuo_h3_regeneration")
    dag_run = dag.test()  # type: ignore[attr-defined]
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    v2 = sandbox.stats()["v2"]
    assert (v2["creates"], v2["regeneration_creates"], v2["context_ir_creates"]) == (1, 1, 0)
    assert (v2["create_calls"], v2["regeneration_calls"]) == (1, 1)
    (final,) = [t for t in v2["tasks"].values() if t["task_type"] == "regeneration"]
    (draft,) = [t for t in v2["tasks"].values() if t["task_type"] == "generation"]
    assert (draft["resolution"], final["resolution"], final["width"]) == ("768P", "2K", 2560)
    served = requests.get(f"{sandbox.url}/sandbox/files/{final['file_id']}/sha256", timeout=30).json()
    (stored,) = _objects(s3, sandbox.url, before)
    assert stored["key"].startswith("hailuo/h3-2k/") and stored["sha256"] == served["sha256"]
    assert stored["has_audio"]


def test_h3_prompt_enhancement_example_dag_generates_from_the_enhanced_prompt(
    sandbox: Any, s3: Any, airflow_db: None
) -> None:
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    dag = load_dag_file(
        os.path.join(EXAMPLES, "hailuo_h3_prompt_enhancement.py"), "hailuo_h3_prompt_enhancement"
    )
    dag_run = dag.test()  # type: ignore[attr-defined]
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    v2 = sandbox.stats()["v2"]
    assert (v2["context_ir_calls"], v2["context_ir_creates"], v2["create_calls"], v2["creates"]) == (
        1,
        1,
        1,
        1,
    )
    ((ir_id, _ir),) = [(i, t) for i, t in v2["tasks"].items() if t["task_type"] == "h3_context_ir"]
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    enhanced = HailuoHook().get_video_generation(ir_id, api_version="v2").prompt
    (video,) = [t for t in v2["tasks"].values() if t["task_type"] == "generation"]
    assert enhanced and video["prompt"] == enhanced and "[Shot 1]" in video["prompt"]
    (stored,) = _objects(s3, sandbox.url, before)
    served = requests.get(f"{sandbox.url}/sandbox/files/{video['file_id']}/sha256", timeout=30).json()
    assert stored["sha256"] == served["sha256"]


def test_h3_batch_under_cap_example_waits_for_room(
    sandbox: Any, s3: Any, airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four mapped H3 prompts against a full in-flight cap of 2: refused, they wait, then each is made once."""
    from tests.helpers import fill_in_flight, freed_once_refused, with_capacity_extra

    with_capacity_extra(
        sandbox, monkeypatch, max_in_flight=2, requests_per_minute=6000, capacity_check_interval=0.05
    )
    sandbox.config.v2_in_flight_cap = 2
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    fillers = fill_in_flight(sandbox, 2)
    with freed_once_refused(sandbox, fillers):
        dag = load_dag_file(
            os.path.join(EXAMPLES, "hailuo_h3_batch_under_cap.py"), "hailuo_h3_batch_under_cap"
        )
        dag_run = dag.test()  # type: ignore[attr-defined]
    states = {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    v2 = sandbox.stats()["v2"]
    assert v2["in_flight_refusals"] >= 1 and v2["max_in_flight"] <= 2
    assert (v2["creates"], v2["duplicate_creates"]) == (2 + 4, 0)
    assert len(_objects(s3, sandbox.url, before)) == 4
