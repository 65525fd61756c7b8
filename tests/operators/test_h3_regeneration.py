"""HailuoVideoRegenerationOperator: a 768P MiniMax-H3 video remade at 2K, paid once (sandbox, dag.test()).

The sandbox's v2 counters prove how many calls reached each endpoint: ``regeneration_calls`` (POSTs),
``regeneration_creates`` (tasks made), ``lists`` and ``queries``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, TaskDeferred

from airflow_provider_hailuo.exceptions import HailuoError, HailuoWaitTimeoutError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.operators.h3_regeneration import HailuoVideoRegenerationOperator
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from tests.conftest import API_KEY, load_dag_file
from tests.helpers import FakeStore, context, op
from tests.sandbox.media_files import mp4

DAG_FILE = "tests/dags/h3_task_dags.py"
H3_768 = {"model": "MiniMax-H3", "resolution": "768P", "duration": 5, "ratio": "16:9"}
#: A 768P H3-like base video: audio track, 24 fps, 1344x768, 124 frames (17n+5).
BASE_VIDEO = mp4(1344, 768, frames=124)


def regen(**kwargs: Any) -> HailuoVideoRegenerationOperator:
    kwargs.setdefault("task_id", "to_2k")
    kwargs.setdefault("poll_interval", 0.05)
    kwargs.setdefault("timeout", 30)
    return HailuoVideoRegenerationOperator(**kwargs)


def _v2(sandbox: Any) -> dict[str, Any]:
    return sandbox.stats()["v2"]  # type: ignore[no-any-return]


def _draft(sandbox: Any, **overrides: Any) -> dict[str, Any]:
    """A finished 768P H3 video, made through the generation operator."""
    result: dict[str, Any] = op(prompt="a draft", **{**H3_768, **overrides}).execute(context(FakeStore()))
    return result


@pytest.mark.parametrize("form", ["result", "ref", "digits"])
def test_source_task_id_in_every_form_gives_a_2k_result_shaped_like_a_generation(
    sandbox: Any, capsys: Any, caplog: pytest.LogCaptureFixture, form: str
) -> None:
    caplog.set_level(logging.DEBUG)  # the HTTP client's lines (caplog); the task's own log (stdout)
    draft = _draft(sandbox)
    source = {"result": draft, "ref": f"v2:{draft['video_task_id']}", "digits": draft["video_task_id"]}[form]
    ctx = context(FakeStore())
    result = regen(source_task_id=source).execute(ctx)
    assert result["status"] == "Success" and result["api_version"] == "v2"
    assert (result["model"], result["resolution"], result["duration"]) == ("MiniMax-H3", "2K", 5)
    assert result["usage"] and result["usage"]["output_seconds"] == 5
    task = _v2(sandbox)["tasks"][result["video_task_id"]]
    assert (task["task_type"], task["resolution"], task["source_task_id"]) == (
        "regeneration",
        "2K",
        draft["video_task_id"],
    )
    assert task["width"] == 2560 and task["height"] == 1440
    assert (_v2(sandbox)["regeneration_calls"], _v2(sandbox)["regeneration_creates"]) == (1, 1)
    ctx["ti"].xcom_push.assert_any_call(key="video_task_id", value=result["video_task_id"])
    logged = capsys.readouterr().out + caplog.text
    assert f"Submitted Hailuo video task {result['video_task_id']}" in logged
    assert API_KEY not in json.dumps(result) and API_KEY not in logged


def test_base_video_with_its_inputs_is_form_b(sandbox: Any) -> None:
    result = regen(base_video=BASE_VIDEO, prompt="x" * 30_000).execute(context(FakeStore()))
    assert (result["status"], result["resolution"], result["duration"]) == ("Success", "2K", 5)
    (created,) = _v2(sandbox)["created_tasks"]
    assert created["task_type"] == "regeneration" and len(created["prompt"]) == 30_000  # above create's 7000
    assert "base64" not in json.dumps(result)


INVALID = [
    ({"source_task_id": "1", "base_video": BASE_VIDEO}, "source_task_id and base_video: give exactly one"),
    ({}, "source_task_id or base_video: one is required"),
    ({"source_task_id": "1", "resolution": "768P"}, "resolution: a regeneration makes 2K only"),
    ({"source_task_id": "1", "model": "MiniMax-H3-Max"}, "model: regeneration accepts only MiniMax-H3"),
    ({"source_task_id": "1", "prompt": "p"}, "prompt: only with base_video"),
    ({"source_task_id": "abc"}, "source_task_id: expected a numeric task id"),
    ({"source_task_id": {"video_task_id": "1", "api_version": "v1"}}, "is a v1 video"),
    ({"source_task_id": {"video_task_id": "1", "status": "Fail"}}, "it must have succeeded"),
    ({"base_video": BASE_VIDEO}, "prompt: required by every MiniMax-H3 request"),
    ({"base_video": BASE_VIDEO, "prompt": "x" * 40_001}, "prompt: 40001 characters; at most 40000"),
    ({"base_video": [BASE_VIDEO, BASE_VIDEO], "prompt": "p"}, "base_video: exactly one video"),
    ({"base_video": b"not a video", "prompt": "p"}, "base_video: bytes is not an MP4 or MOV file"),
    ({"base_video": "ftp://x/y.mp4", "prompt": "p"}, "base_video: unsupported URL"),
    (
        {"base_video": "https://x/v.mp4", "prompt": "p", "reference_audios": ["https://x/a.mp3"]},
        "reference_audios",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), INVALID)
def test_invalid_request_is_refused_before_any_request(
    sandbox: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(AirflowFailException, match="Invalid Hailuo regeneration request") as info:
        regen(**kwargs).execute(context(FakeStore()))
    assert message in str(info.value)
    v2 = _v2(sandbox)
    assert (v2["regeneration_calls"], v2["lists"], v2["queries"], v2["create_calls"]) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prompt": "SANDBOX_FAIL a draft"}, "failed: there is no 768P video to regenerate"),
        ({"resolution": "2K"}, "is 2K; only 768P videos can be regenerated"),
    ],
)
def test_a_source_that_cannot_be_regenerated_is_refused_before_paying(
    sandbox: Any, overrides: dict[str, Any], message: str
) -> None:
    hook = HailuoHook()
    task_id = hook.create_video_generation(**{**H3_768, "prompt": "a draft", **overrides})
    hook.wait_for_video_generation(task_id, api_version="v2", poll_interval=0.05)
    with pytest.raises(AirflowFailException, match=message):
        regen(source_task_id=task_id).execute(context(FakeStore()))
    assert _v2(sandbox)["regeneration_calls"] == 0


def test_an_unknown_or_unfinished_source_is_refused_before_paying(sandbox: Any) -> None:
    with pytest.raises(AirflowFailException, match="MiniMax does not list this task"):
        regen(source_task_id="123456").execute(context(FakeStore()))
    sandbox.config.processing_seconds = 30
    running = HailuoHook().create_video_generation(prompt="still going", **H3_768)
    with pytest.raises(AirflowException, match="once it has succeeded"):  # retryable: it may still succeed
        regen(source_task_id=running).execute(context(FakeStore()))
    assert _v2(sandbox)["regeneration_calls"] == 0


def test_retry_reattaches_instead_of_paying_twice(sandbox: Any) -> None:
    draft, store = _draft(sandbox), FakeStore()
    first = regen(source_task_id=draft, wait_for_completion=False).execute(context(store))
    assert first["status"] == "Submitted"
    again = regen(source_task_id=draft).execute(context(store))
    assert again["video_task_id"] == first["video_task_id"] and again["status"] == "Success"
    assert _v2(sandbox)["regeneration_creates"] == 1


def test_ambiguous_create_is_adopted_from_the_task_list(sandbox: Any) -> None:
    draft = _draft(sandbox)
    sandbox.config.v2_create_502_after_commit_rate = 1.0
    result = regen(source_task_id=draft).execute(context(FakeStore()))
    v2 = _v2(sandbox)
    assert (v2["regeneration_calls"], v2["regeneration_creates"]) == (1, 1)
    regenerated = [t for t, s in v2["tasks"].items() if s["task_type"] == "regeneration"]
    assert regenerated == [result["video_task_id"]] and result["status"] == "Success"


def test_deferrable_hands_the_task_to_the_video_trigger(sandbox: Any) -> None:
    draft = _draft(sandbox)
    sandbox.config.processing_seconds = 30
    with pytest.raises(TaskDeferred) as info:
        regen(source_task_id=draft, deferrable=True).execute(context(FakeStore()))
    trigger = info.value.trigger
    assert isinstance(trigger, HailuoVideoGenerationTrigger)
    _path, kwargs = trigger.serialize()
    assert kwargs["api_version"] == "v2" and API_KEY not in json.dumps(kwargs)
    assert info.value.kwargs["payload_summary"]["resolution"] == "2K"


def test_failed_regeneration_gives_the_tasks_error(sandbox: Any) -> None:
    with pytest.raises(HailuoError, match="failed with code 1000: video generation failed"):
        regen(base_video=BASE_VIDEO, prompt="SANDBOX_FAIL moderated").execute(context(FakeStore()))


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
def test_dag_regeneration_crash_after_submit_is_paid_once(
    sandbox: Any, airflow_db: None, suffix: str
) -> None:
    dag = load_dag_file(DAG_FILE, f"hailuo_h3_regeneration_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    states = {ti.task_id: (ti.state, ti.try_number) for ti in dag_run.get_task_instances()}
    assert dag_run.state == "success", states
    assert states["to_2k"] == ("success", 2)  # the retry re-attached
    v2 = _v2(sandbox)
    assert (v2["creates"], v2["regeneration_calls"], v2["regeneration_creates"]) == (1, 1, 1)


def test_generation_parameters_without_meaning_here_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="duration, ratio is not a parameter of this operator"):
        regen(source_task_id="1", duration=6, ratio="16:9")


def test_deadline_cancels_a_still_queued_regeneration(sandbox: Any) -> None:
    draft = _draft(sandbox)
    sandbox.config.queueing_seconds = 30
    with pytest.raises(HailuoWaitTimeoutError):
        regen(source_task_id=draft, timeout=0.3).execute(context(FakeStore()))
    v2 = _v2(sandbox)
    assert (v2["regeneration_creates"], v2["cancelled"]) == (1, 1)  # DELETE while queued: not billed


def test_estimate_and_max_estimated_cost_before_paying(sandbox: Any) -> None:
    draft = _draft(sandbox)  # 5 s at 768P: its 2K remake is 5 s at $0.05/s
    result = regen(source_task_id=draft).execute(context(FakeStore()))
    assert (result["estimated_cost"], result["currency"]) == (0.25, "USD")
    with pytest.raises(AirflowFailException, match=r"Estimated cost \$0.25 is above max_estimated_cost=0.2"):
        regen(source_task_id=draft, max_estimated_cost=0.2).execute(context(FakeStore()))
    with pytest.raises(AirflowFailException, match="cannot be priced before MiniMax measures"):
        regen(base_video=BASE_VIDEO, prompt="p", max_estimated_cost=1).execute(context(FakeStore()))
    assert _v2(sandbox)["regeneration_calls"] == 1


def test_base_video_from_a_local_path_or_s3(
    sandbox: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from tests.helpers import moto_s3_server

    (tmp_path / "draft.mp4").write_bytes(BASE_VIDEO)
    regen(base_video=str(tmp_path / "draft.mp4"), prompt="from a file").execute(context(FakeStore()))
    with moto_s3_server() as url:
        monkeypatch.setenv(
            "AIRFLOW_CONN_AWS_DEFAULT",
            json.dumps({"conn_type": "aws", "login": "t", "password": "t", "extra": {"endpoint_url": url}}),
        )
        client = boto3.client(
            "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        client.create_bucket(Bucket="drafts")
        client.put_object(Bucket="drafts", Key="draft.mp4", Body=BASE_VIDEO)
        regen(base_video="s3://drafts/draft.mp4", prompt="from S3").execute(context(FakeStore()))
    assert [t["prompt"] for t in _v2(sandbox)["created_tasks"]] == ["from a file", "from S3"]


def test_a_sandbox_768p_output_downloaded_by_the_hook_is_a_valid_local_base_video(
    sandbox: Any, tmp_path: Any
) -> None:
    """The round trip users make: generate at 768P, keep the file, remake it at 2K from the file (form B).

    The operator's local check (§4.2: audio track, 24 fps, sides divisible by 32, 107-362 frames in steps
    of 17) accepts the sandbox's own H3 output, as it must accept MiniMax's.
    """
    from airflow_provider_hailuo.media_probe import probe_video

    draft = _draft(sandbox)
    hook = HailuoHook()
    path = tmp_path / "draft.mp4"
    hook.download_file(f"v2:{draft['video_task_id']}", path)
    assert probe_video(path.read_bytes()).has_audio
    result = regen(base_video=str(path), prompt="a draft").execute(context(FakeStore()))
    assert (result["status"], result["resolution"], result["duration"]) == ("Success", "2K", 5)
    task = _v2(sandbox)["tasks"][result["video_task_id"]]
    assert (task["task_type"], task["source_task_id"]) == ("regeneration", None)  # form B: the file
    assert (task["width"], task["height"], task["frames"]) == (2560, 1440, 124)
    hook.download_file(f"v2:{result['video_task_id']}", tmp_path / "2k.mp4")
    remade = probe_video((tmp_path / "2k.mp4").read_bytes())
    assert (remade.width, remade.height, remade.frames, remade.has_audio) == (2560, 1440, 124, True)
