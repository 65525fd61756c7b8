"""The generation operator: unit paths and full DAG runs through Airflow."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred

from airflow_provider_hailuo.exceptions import (
    HailuoAPIError,
    HailuoError,
    HailuoVideoGenerationFailedError,
    HailuoWaitTimeoutError,
)
from airflow_provider_hailuo.operators.hailuo import (
    DEFAULT_MAP_INDEX_TEMPLATE,
    STATE_KEY,
    HailuoVideoGenerationOperator,
)
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger
from tests.conftest import load_dag_file
from tests.helpers import FakeStore, airflow_has_task_state_store, context, op

DAG_FILE = os.path.join(os.path.dirname(__file__), "..", "dags", "generation_dags.py")


def test_sync_path_returns_small_result(sandbox: Any) -> None:
    store = FakeStore()
    ctx = context(store)
    result = op(resolution="1080P").execute(ctx)
    assert result["status"] == "Success" and result["file_id"]
    assert (result["video_width"], result["video_height"]) == (1920, 1080)
    assert (
        result["model"] == "MiniMax-Hailuo-02" and result["resolution"] == "1080P" and result["duration"] == 6
    )
    assert set(result) == {
        "video_task_id",
        "status",
        "file_id",
        "video_width",
        "video_height",
        "model",
        "resolution",
        "duration",
        "estimated_cost",
        "currency",
        "api_version",
        "ratio",
        "usage",
    }
    assert result["estimated_cost"] is None and result["currency"] is None  # no built-in v1 price
    assert (result["api_version"], result["ratio"], result["usage"]) == ("v1", None, None)
    saved = store.data[STATE_KEY]
    assert saved["video_task_id"] == result["video_task_id"]
    assert saved["summary"] == {
        "model": "MiniMax-Hailuo-02",
        "resolution": "1080P",
        "api_version": "v1",
        "estimated_cost": None,
        "currency": None,
    }
    assert len(saved["request"]) == 64 and "panda" not in json.dumps(saved)  # a hash, not the prompt
    ctx["ti"].xcom_push.assert_any_call(key="video_task_id", value=result["video_task_id"])


def test_deferrable_path_defers_with_trigger_and_backstop(sandbox: Any) -> None:
    operator = op(deferrable=True, timeout=120, poll_interval=5)
    with pytest.raises(TaskDeferred) as info:
        operator.execute(context(FakeStore()))
    trigger = info.value.trigger
    assert isinstance(trigger, HailuoVideoGenerationTrigger)
    assert info.value.method_name == "execute_complete"
    assert info.value.timeout is not None and info.value.timeout.total_seconds() == 120 + 5 + 60
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_hailuo.triggers.hailuo.HailuoVideoGenerationTrigger"
    assert all(isinstance(v, (str, int, float, type(None))) for v in kwargs.values())
    assert "sandbox-key" not in repr(kwargs)
    assert kwargs["end_time"] is not None


def test_already_finished_task_does_not_defer(sandbox: Any) -> None:
    store = FakeStore()
    first = op().execute(context(store))
    sandbox.reset_counters = None
    result = op(deferrable=True).execute(context(store))  # re-attaches to the finished task
    assert result["video_task_id"] == first["video_task_id"]
    assert sandbox.stats()["creates"] == 1


def test_cleared_task_with_changed_parameters_gets_a_new_video(sandbox: Any, capsys: Any) -> None:
    """The state store outlives a clear: an old video must not come back for a new prompt."""
    store = FakeStore()
    first = op(prompt="a red fox").execute(context(store))
    changed = op(prompt="a blue whale").execute(context(store))
    assert changed["video_task_id"] != first["video_task_id"]
    assert sandbox.stats()["creates"] == 2
    assert "with other parameters" in capsys.readouterr().out
    again = op(prompt="a blue whale").execute(context(store))  # a plain retry: the same video
    assert again["video_task_id"] == changed["video_task_id"] and sandbox.stats()["creates"] == 2


def test_bare_id_from_an_older_version_is_still_reattached(sandbox: Any) -> None:
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    store = FakeStore({STATE_KEY: submitted["video_task_id"]})
    result = op().execute(context(store))
    assert result["video_task_id"] == submitted["video_task_id"] and sandbox.stats()["creates"] == 1


def test_retry_reattaches_without_reading_inputs_again(sandbox: Any, tmp_path: Any) -> None:
    """The input image was cleaned up after the first try: the retry must still find its video."""
    from tests.helpers import png_bytes

    image = tmp_path / "frame.png"
    image.write_bytes(png_bytes(640, 360))
    store = FakeStore()
    first = op(model="I2V-01", first_frame_image=str(image), wait_for_completion=False).execute(
        context(store)
    )
    image.unlink()
    result = op(model="I2V-01", first_frame_image=str(image)).execute(context(store))
    assert result["video_task_id"] == first["video_task_id"] and result["status"] == "Success"
    assert result["model"] == "I2V-01" and sandbox.stats()["creates"] == 1


def test_unrecorded_submission_fails_without_retry_naming_the_task(sandbox: Any, capsys: Any) -> None:
    """If the id cannot be saved, a retry could not re-attach and would pay again: fail for good instead."""

    class BrokenStore(FakeStore):
        def set(self, key: str, value: Any, **_: Any) -> None:
            raise RuntimeError("API server unavailable")

    with pytest.raises(AirflowFailException) as info:
        op().execute(context(BrokenStore()))
    assert sandbox.stats()["creates"] == 1
    named = re.search(r"Hailuo video task (\d+) was submitted", str(info.value))
    assert named and "HailuoVideoGenerationSensor" in str(info.value)
    assert f"Submitted Hailuo video task {named.group(1)}" in capsys.readouterr().out


def test_no_wait_returns_at_once(sandbox: Any) -> None:
    result = op(wait_for_completion=False).execute(context(FakeStore()))
    assert result["status"] == "Submitted" and result["video_task_id"].isdigit() and result["file_id"] is None


def test_invalid_input_fails_without_retries_or_calls(sandbox: Any) -> None:
    with pytest.raises(AirflowFailException, match="resolution"):
        op(resolution="512P").execute(context(FakeStore()))
    assert sandbox.stats()["create_calls"] == 0


def test_moderation_fails_fast_with_advice(sandbox: Any) -> None:
    with pytest.raises(AirflowFailException) as info:
        op(prompt="SANDBOX_SENSITIVE please").execute(context(FakeStore()))
    assert "1026" in str(info.value) and "rephrase" in str(info.value)
    with pytest.raises(AirflowFailException, match="1027"):
        op(prompt="SANDBOX_SENSITIVE_OUTPUT").execute(context(FakeStore()))


def test_plain_failure_is_retryable(sandbox: Any) -> None:
    with pytest.raises(HailuoVideoGenerationFailedError) as info:
        op(prompt="SANDBOX_FAIL").execute(context(FakeStore()))
    assert info.value.video_task_id and info.value.video_task_id in str(info.value)


def test_bad_key_fails_fast(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_BAD",
        f'{{"conn_type": "hailuo", "host": "{sandbox.url}", "password": "nope-key"}}',
    )
    with pytest.raises(AirflowFailException) as info:
        op(hailuo_conn_id="hailuo_bad").execute(context(FakeStore()))
    assert "1004" in str(info.value) and "nope-key" not in str(info.value)


def test_timeout_keeps_id_and_is_retryable(sandbox: Any) -> None:
    sandbox.config.processing_seconds = 30
    with pytest.raises(HailuoWaitTimeoutError) as info:
        op(timeout=0.3).execute(context(FakeStore()))
    assert "HailuoVideoGenerationSensor" in str(info.value)


def test_reattach_running_task_instead_of_submitting(sandbox: Any) -> None:
    store = FakeStore()
    submitted = op(wait_for_completion=False).execute(context(store))
    result = op().execute(context(store))
    assert result["video_task_id"] == submitted["video_task_id"] and result["status"] == "Success"
    assert sandbox.stats()["creates"] == 1


def test_failed_stored_task_is_resubmitted(sandbox: Any) -> None:
    store = FakeStore()
    with pytest.raises(HailuoError):
        op(prompt="SANDBOX_FAIL").execute(context(store))
    result = op(prompt="now fine").execute(context(store))
    assert result["status"] == "Success" and sandbox.stats()["creates"] == 2


def test_without_state_store_warns(sandbox: Any, capsys: Any) -> None:
    op(wait_for_completion=False).execute(context(None))
    assert "task state store" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("event", "exc"),
    [
        (None, AirflowFailException),
        ({"status": "weird", "video_task_id": "1"}, AirflowFailException),
        ({"status": "success", "video_task_id": "1"}, AirflowFailException),
        ({"status": "timeout", "video_task_id": "1", "message": "late"}, HailuoWaitTimeoutError),
        ({"status": "error", "video_task_id": "1", "error_code": 1027, "message": "x"}, AirflowFailException),
        (
            {"status": "error", "video_task_id": "1", "error_code": None, "message": "x"},
            HailuoVideoGenerationFailedError,
        ),
    ],
)
def test_execute_complete_validates_event(event: Any, exc: type[BaseException]) -> None:
    with pytest.raises(exc):
        op().execute_complete(context(FakeStore()), event)


def test_polling_failure_is_not_reported_as_a_failed_video() -> None:
    event = {
        "status": "error",
        "reason": "polling_failed",
        "video_task_id": "7",
        "error_code": None,
        "message": "m",
    }
    with pytest.raises(HailuoError) as info:
        op().execute_complete(context(FakeStore()), event)
    assert not isinstance(info.value, HailuoVideoGenerationFailedError)
    assert info.value.retryable and "re-attaches" in str(info.value)


def test_execute_complete_success() -> None:
    event = {
        "status": "success",
        "video_task_id": "1",
        "file_id": "2",
        "video_width": 1366,
        "video_height": 768,
    }
    summary = {
        "model": "MiniMax-Hailuo-02",
        "resolution": "768P",
        "duration": 6,
        "estimated_cost": 0.28,  # estimated before deferring, carried through the trigger's return
        "currency": "USD",
    }
    result = op().execute_complete({}, event, payload_summary=summary)
    assert result == {
        "video_task_id": "1",
        "status": "Success",
        "file_id": "2",
        "video_width": 1366,
        "video_height": 768,
        "model": "MiniMax-Hailuo-02",
        "resolution": "768P",
        "duration": 6,
        "estimated_cost": 0.28,
        "currency": "USD",
        "api_version": "v1",
        "ratio": None,
        "usage": None,
    }


def test_rendered_fields_hide_base64(sandbox: Any) -> None:
    from tests.dags.generation_dags import FIRST

    operator = op(model="I2V-01-Director", first_frame_image=FIRST, prompt="[Pan left] hills")
    operator.render_template_fields({"ti": mock.MagicMock()}, jinja_env=None)
    assert "base64," in FIRST and FIRST not in str(operator.first_frame_image)
    assert "redacted" in str(operator.first_frame_image)
    result = operator.execute(context(FakeStore()))
    assert result["status"] == "Success"


def render_mapped(mapped: Any, dag: Any, *, map_index: int) -> Any:
    """Render one instance of a mapped task as Airflow does; return the unmapped operator it made."""
    ti = mock.MagicMock(map_index=map_index)
    ctx: dict[str, Any] = {
        "ti": ti,
        "task_instance": ti,
        "dag": dag,
        "dag_run": mock.MagicMock(conf={}),
        "params": {},
    }
    mapped.render_template_fields(ctx)
    return ctx["task"]


def test_mapped_instances_hide_base64_too(sandbox: Any) -> None:
    """A mapped task renders its unmapped copy through another path than render_template_fields."""
    from airflow.sdk import DAG

    from tests.dags.generation_dags import FIRST

    with DAG("hailuo_mapped_render", schedule=None) as dag:
        mapped = HailuoVideoGenerationOperator.partial(
            task_id="gen", model="I2V-01-Director", prompt="hills", poll_interval=0.05
        ).expand(first_frame_image=[FIRST, FIRST])
    unmapped = render_mapped(mapped, dag, map_index=1)
    assert isinstance(unmapped, HailuoVideoGenerationOperator)
    assert FIRST not in str(unmapped.first_frame_image) and "redacted" in str(unmapped.first_frame_image)
    # What is sent is still the image itself.
    assert unmapped._payload()["first_frame_image"] == FIRST


def test_boolean_request_fields_are_templated() -> None:
    operator = op(prompt="x", prompt_optimizer="{{ params.optimise }}", aigc_watermark="{{ 'true' }}")
    operator.render_template_fields({"ti": mock.MagicMock(), "params": {"optimise": False}}, jinja_env=None)
    payload = operator._payload()
    assert payload["prompt_optimizer"] is False and payload["aigc_watermark"] is True
    assert "duration" not in payload  # left to MiniMax's default (6 s) unless given


def test_map_index_template_default_reaches_partial() -> None:
    partial = HailuoVideoGenerationOperator.partial(task_id="m", poll_interval=1)
    assert partial.kwargs["map_index_template"] == DEFAULT_MAP_INDEX_TEMPLATE
    assert op(prompt="x" * 100).map_index_label.endswith("…")


# -- whole DAGs through Airflow --------------------------------------------------------------------
def _states(dag_run: Any) -> dict[str, Any]:
    return {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
def test_dag_all_modes(sandbox: Any, airflow_db: None, suffix: str) -> None:
    dag = load_dag_file(DAG_FILE, f"hailuo_modes_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    states = _states(dag_run)
    assert dag_run.state == "success", states
    assert len(states) == 8
    stats = sandbox.stats()
    assert stats["creates"] == 7
    models = sorted(t["model"] for t in stats["tasks"].values())
    assert models.count("S2V-01") == 1 and models.count("I2V-01-Director") == 1
    mapped = [ti for ti in dag_run.get_task_instances() if ti.task_id == "mapped"]
    assert sorted(ti.rendered_map_index for ti in mapped) == [
        "a lighthouse in a storm",
        "a red fox running through fresh snow at dawn, c…",
    ]


@pytest.mark.parametrize(
    "dag_id", ["hailuo_reattach_sync", "hailuo_reattach_deferrable", "hailuo_reattach_presigned"]
)
def test_dag_retry_reattaches_instead_of_paying_twice(sandbox: Any, airflow_db: None, dag_id: str) -> None:
    """The first try dies right after submitting; the retry finds the video. ``presigned``: the retry
    renders its first_frame_image as a URL signed anew, which must not count as another request."""
    dag = load_dag_file(DAG_FILE, dag_id)
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "success"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 2
    # Airflow 3.3+ re-attaches through the task state store; older versions have none and, as
    # documented, the retry pays for a second video.
    assert sandbox.stats()["creates"] == (1 if airflow_has_task_state_store() else 2)


def test_dag_permanent_error_uses_no_retries(sandbox: Any, airflow_db: None) -> None:
    dag = load_dag_file(DAG_FILE, "hailuo_failures")
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "failed"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 1
    assert sandbox.stats()["creates"] == 1


def test_create_answered_502_after_commit_fails_final(sandbox: Any, capsys: Any) -> None:
    """The gateway lost the answer of a create that made a task: one POST, one task, a final failure."""
    sandbox.config.create_gateway_error_after_commit = True
    with pytest.raises(AirflowFailException) as info:
        op().execute(context(FakeStore()))
    message = str(info.value)
    assert "HTTP 502" in message and "may exist and be billed" in message and "MiniMax console" in message
    assert "trace id" in message
    stats = sandbox.stats()
    assert stats["create_calls"] == 1 and stats["creates"] == 1


def test_dag_create_answered_502_is_never_retried(sandbox: Any, airflow_db: None, capsys: Any) -> None:
    """Through Airflow: retries=2 are not used, so the 502 that followed a created task costs one video."""
    dag = load_dag_file(DAG_FILE, "hailuo_create_ambiguous")
    sandbox.config.create_gateway_error_after_commit = True
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "failed"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 1 and ti.state == "failed"
    stats = sandbox.stats()
    assert stats["create_calls"] == 1 and stats["creates"] == 1
    out = capsys.readouterr()
    assert "may exist and be billed" in out.out + out.err


def test_hook_errors_never_show_the_key(sandbox: Any) -> None:
    with pytest.raises(HailuoAPIError) as info:
        from airflow_provider_hailuo.hooks.hailuo import HailuoConnectionSettings, HailuoHook

        HailuoHook(settings=HailuoConnectionSettings("secret-key-123", sandbox.url)).get_video_generation("1")
    assert "secret-key-123" not in str(info.value)


def test_sync_wait_outlasts_an_outage_of_every_transient_kind(sandbox: Any, capsys: Any) -> None:
    sandbox.config.outage_answer = "mixed"
    sandbox.config.outage_seconds = 3.0
    result = op(poll_interval=0.05, timeout=30).execute(context(FakeStore()))
    assert result["status"] == "Success" and result["file_id"]
    assert sandbox.stats()["creates"] == 1 and sandbox.stats()["injected_faults"]["outage"] > 10
    assert capsys.readouterr().out.count("MiniMax unreachable since") == 1


# -- Airflow before 3.3: no task state store, so a retry could not re-attach -----------------------
LOST_WAITS = [
    {
        "status": "timeout",
        "video_task_id": "7",
        "message": "Hailuo video task 7 did not finish before the deadline",
    },
    {"status": "error", "reason": "polling_failed", "video_task_id": "7", "error_code": None, "message": "m"},
]


@pytest.mark.parametrize("event", LOST_WAITS, ids=["timeout", "polling_failed"])
def test_a_lost_wait_without_state_store_is_final_and_names_the_sensor_call(event: dict[str, Any]) -> None:
    with pytest.raises(AirflowFailException) as info:
        op().execute_complete(context(None), dict(event))
    text = str(info.value)
    assert 'HailuoVideoGenerationSensor(video_task_id="7")' in text and "Not retrying" in text
    assert "re-attaches" not in text  # it cannot, here
    # With the store (Airflow 3.3+) the same event stays retryable: the retry re-attaches, paying nothing.
    with pytest.raises(HailuoError) as retryable:
        op().execute_complete(context(FakeStore()), dict(event))
    assert not isinstance(retryable.value, AirflowFailException) and retryable.value.retryable


def test_a_failed_video_without_state_store_stays_retryable() -> None:
    """MiniMax failed the video itself (no reason): a retry paying for a new one is what the user wants."""
    event = {
        "status": "error",
        "reason": "task_failed",
        "video_task_id": "7",
        "error_code": None,
        "message": "x",
    }
    with pytest.raises(HailuoVideoGenerationFailedError):
        op().execute_complete(context(None), event)


def test_sync_wait_timeout_without_state_store_is_final(sandbox: Any) -> None:
    sandbox.config.processing_seconds = 30
    with pytest.raises(AirflowFailException) as info:
        op(timeout=0.3).execute(context(None))
    (task_id,) = sandbox.stats()["tasks"]
    assert f'HailuoVideoGenerationSensor(video_task_id="{task_id}")' in str(info.value)
    assert "did not finish before the deadline" in str(info.value)


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
@pytest.mark.parametrize("store", ["with_store", "without_store"])
def test_dag_timed_out_wait_is_never_followed_by_a_paid_resubmission(
    sandbox: Any, airflow_db: None, suffix: str, store: str
) -> None:
    """The first try's wait times out with the video still processing. With a task state store the
    retry re-attaches and succeeds; without one (Airflow 3.0-3.2) the task fails for good, naming the
    video. Either way MiniMax sees one create."""
    sandbox.config.processing_seconds = 2.0
    dag = load_dag_file(DAG_FILE, f"hailuo_lost_wait_{store}_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    (ti,) = dag_run.get_task_instances()
    assert sandbox.stats()["creates"] == 1
    if store == "with_store" and airflow_has_task_state_store():
        assert dag_run.state == "success" and ti.try_number == 2
    else:
        assert dag_run.state == "failed" and ti.try_number == 1


# -- re-attach holds when nothing that decides the video changed ------------------------------------
def test_presigned_image_url_with_a_new_signature_re_attaches(sandbox: Any) -> None:
    """A presigned URL is signed anew at every try: the signature does not decide the video."""
    store = FakeStore()
    url = "https://frames.s3.amazonaws.com/fox/first.png?X-Amz-Date=20261201T100000Z&X-Amz-Signature={}"
    first = op(model="I2V-01", first_frame_image=url.format("aa11"), wait_for_completion=False).execute(
        context(store)
    )
    again = op(model="I2V-01", first_frame_image=url.format("bb22")).execute(context(store))
    assert again["video_task_id"] == first["video_task_id"] and sandbox.stats()["creates"] == 1
    s3 = op(model="I2V-01", first_frame_image="s3://frames/fox/first.png?versionId=1")
    assert (
        s3._request_fingerprint()
        == op(
            model="I2V-01", first_frame_image="s3://frames/fox/first.png?versionId=2"
        )._request_fingerprint()
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("https://frames.example.com/fox/first.png?sig=1", "https://frames.example.com/fox/other.png?sig=1"),
        ("https://frames.example.com/fox/first.png", "https://cdn.example.com/fox/first.png"),
        ("https://frames.example.com/fox/first.png", "http://frames.example.com/fox/first.png"),
        ("s3://frames/fox/first.png", "s3://other-bucket/fox/first.png"),
        ("s3://frames/fox/first.png", "s3://frames/fox/second.png"),
    ],
)
def test_another_image_location_is_another_video(before: str, after: str) -> None:
    assert (
        op(model="I2V-01", first_frame_image=before)._request_fingerprint()
        != op(model="I2V-01", first_frame_image=after)._request_fingerprint()
    )


def test_the_presigned_dag_signs_anew_at_every_try() -> None:
    """What ``hailuo_reattach_presigned`` (in the re-attach DAG test above) relies on."""
    dag = load_dag_file(DAG_FILE, "hailuo_reattach_presigned")
    presign = dag.user_defined_macros["presign"]  # type: ignore[attr-defined]
    assert presign(1) != presign(2) and presign(1).split("?")[0] == presign(2).split("?")[0]


# -- callback_url may hold a token ------------------------------------------------------------------
def test_callback_url_token_is_masked_in_rendered_fields_and_logs(sandbox: Any, capsys: Any) -> None:
    token = "tok-5f1d2c9a8b7e6f30-secret"
    url = f"{sandbox.url}/sandbox/callback_sink?token={token}"
    operator = op(callback_url="{{ params.callback }}")
    operator.render_template_fields({"ti": mock.MagicMock(), "params": {"callback": url}}, jinja_env=None)
    assert token not in str(operator.callback_url) and operator.callback_url.startswith(sandbox.url)
    result = operator.execute(context(FakeStore()))
    assert result["status"] == "Success"
    assert sandbox.stats()["callback_checks"] == 1  # what was sent is the real URL, token included
    assert token not in capsys.readouterr().out


def test_callback_url_token_is_masked_for_mapped_instances_and_in_errors() -> None:
    from airflow.sdk import DAG

    token = "tok-5f1d2c9a8b7e6f30-secret"
    with DAG("hailuo_mapped_callback", schedule=None) as dag:
        mapped = HailuoVideoGenerationOperator.partial(
            task_id="gen", prompt="hills", poll_interval=0.05
        ).expand(callback_url=[f"https://hooks.example.com/hailuo/callback/{token}"])
    unmapped = render_mapped(mapped, dag, map_index=0)
    assert token not in str(unmapped.callback_url) and "hooks.example.com" in unmapped.callback_url
    assert unmapped._payload()["callback_url"].endswith(token)
    with pytest.raises(AirflowFailException) as info:
        op(callback_url=f"ftp://hooks.example.com/hailuo/callback/{token}")._payload()
    assert "callback_url" in str(info.value) and token not in str(info.value)
