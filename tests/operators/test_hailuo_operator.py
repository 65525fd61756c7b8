"""The generation operator, trigger and sensor: unit paths and full DAG runs through Airflow."""

from __future__ import annotations

import asyncio
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
from airflow_provider_hailuo.hooks.hailuo import close_shared_client_session
from airflow_provider_hailuo.operators.hailuo import (
    DEFAULT_MAP_INDEX_TEMPLATE,
    STATE_KEY,
    HailuoVideoGenerationOperator,
)
from airflow_provider_hailuo.sensors.hailuo import HailuoVideoGenerationSensor
from airflow_provider_hailuo.triggers.hailuo import HailuoVideoGenerationTrigger, validate_event
from tests.conftest import load_dag_file

DAG_FILE = os.path.join(os.path.dirname(__file__), "..", "dags", "generation_dags.py")


class FakeStore:
    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = dict(data or {})

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any, **_: Any) -> None:
        self.data[key] = value


def context(store: FakeStore | None = None) -> dict[str, Any]:
    ti = mock.MagicMock()
    ctx: dict[str, Any] = {"ti": ti}
    if store is not None:
        ctx["task_state_store"] = store
    return ctx


def op(**kwargs: Any) -> HailuoVideoGenerationOperator:
    kwargs.setdefault("task_id", "gen")
    kwargs.setdefault("prompt", "a panda in a bamboo forest")
    kwargs.setdefault("poll_interval", 0.05)
    kwargs.setdefault("timeout", 30)
    return HailuoVideoGenerationOperator(**kwargs)


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
    }
    saved = store.data[STATE_KEY]
    assert saved["video_task_id"] == result["video_task_id"]
    assert saved["summary"] == {"model": "MiniMax-Hailuo-02", "resolution": "1080P"}
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
        op().execute_complete({}, event)


def test_polling_failure_is_not_reported_as_a_failed_video() -> None:
    event = {
        "status": "error",
        "reason": "polling_failed",
        "video_task_id": "7",
        "error_code": None,
        "message": "m",
    }
    with pytest.raises(HailuoError) as info:
        op().execute_complete({}, event)
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
    result = op().execute_complete(
        {}, event, payload_summary={"model": "MiniMax-Hailuo-02", "resolution": "768P", "duration": 6}
    )
    assert result == {
        "video_task_id": "1",
        "status": "Success",
        "file_id": "2",
        "video_width": 1366,
        "video_height": 768,
        "model": "MiniMax-Hailuo-02",
        "resolution": "768P",
        "duration": 6,
    }


def test_rendered_fields_hide_base64(sandbox: Any) -> None:
    from tests.dags.generation_dags import FIRST

    operator = op(model="I2V-01-Director", first_frame_image=FIRST, prompt="[Pan left] hills")
    operator.render_template_fields({"ti": mock.MagicMock()}, jinja_env=None)
    assert "base64," in FIRST and FIRST not in str(operator.first_frame_image)
    assert "redacted" in str(operator.first_frame_image)
    result = operator.execute(context(FakeStore()))
    assert result["status"] == "Success"


def test_mapped_instances_hide_base64_too(sandbox: Any) -> None:
    """A mapped task renders its unmapped copy through another path than render_template_fields."""
    from airflow.sdk import DAG

    from tests.dags.generation_dags import FIRST

    with DAG("hailuo_mapped_render", schedule=None) as dag:
        mapped = HailuoVideoGenerationOperator.partial(
            task_id="gen", model="I2V-01-Director", prompt="hills", poll_interval=0.05
        ).expand(first_frame_image=[FIRST, FIRST])
    ti = mock.MagicMock(map_index=1)
    ctx: dict[str, Any] = {
        "ti": ti,
        "task_instance": ti,
        "dag": dag,
        "dag_run": mock.MagicMock(conf={}),
        "params": {},
    }
    mapped.render_template_fields(ctx)
    unmapped = ctx["task"]
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


# -- trigger -------------------------------------------------------------------------------------
def test_trigger_serialization_round_trip() -> None:
    trigger = HailuoVideoGenerationTrigger("123", "hailuo_default", 5.0, 1_800_000_000.0, 1_700_000_000.0)
    path, kwargs = trigger.serialize()
    again = HailuoVideoGenerationTrigger(**kwargs)
    assert again.serialize() == (path, kwargs)


async def _run(trigger: HailuoVideoGenerationTrigger) -> dict[str, Any]:
    events = [event async for event in trigger.run()]
    assert len(events) == 1
    return (
        validate_event(events[0].payload)
        if events[0].payload.get("status") == "success"
        else events[0].payload
    )


async def test_trigger_success_with_faults_mixed_in(sandbox: Any, capsys: Any) -> None:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})
    sandbox.config.gateway_error_rate = 0.2
    sandbox.config.rate_limit_error_rate = 0.1
    sandbox.config.slow_seconds = 0.05
    sandbox.config.fault_seed = 11
    import time

    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, end_time=time.time() + 60))
    assert event["status"] == "success" and event["file_id"] and event["video_task_id"] == task_id
    assert capsys.readouterr().out.count("is Success after") == 1
    await close_shared_client_session()


async def test_trigger_timeout_and_permanent_errors(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook, clear_connection_cache

    sandbox.config.processing_seconds = 60
    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05, end_time=time.time() + 0.3))
    assert event["status"] == "timeout" and task_id in event["message"]
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_DEFAULT",
        f'{{"conn_type": "hailuo", "host": "{sandbox.url}", "password": "bad"}}',
    )
    clear_connection_cache()
    before = sandbox.stats()["queries"]
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05))
    assert event["status"] == "error" and event["error_code"] == 1004
    assert sandbox.stats()["queries"] - before == 1
    await close_shared_client_session()


async def test_unexpected_trigger_error_is_a_failed_wait_not_a_failed_video(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug or an odd exception while polling must not read as "MiniMax failed the video"."""
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook
    from airflow_provider_hailuo.operators.hailuo import failure_for_event

    task_id = HailuoHook().create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": "x"})

    async def broken(self: Any, video_task_id: str) -> Any:
        raise LookupError("connection backend hiccup")

    monkeypatch.setattr(HailuoHook, "aget_video_generation_once", broken)
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05))
    assert event["status"] == "error" and event["reason"] == "polling_failed"
    err = failure_for_event(event)
    assert err.retryable and not err.permanent
    assert "re-attaches" in str(err) and "new (paid) video" not in str(err)
    sensor = HailuoVideoGenerationSensor(task_id="s", video_task_id=task_id)
    with pytest.raises(Exception) as info:
        sensor.execute_complete({}, event)
    assert not isinstance(info.value, AirflowFailException)  # the sensor's retries still apply
    await close_shared_client_session()


async def test_trigger_reports_output_moderation(sandbox: Any) -> None:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    task_id = HailuoHook().create_video_generation_from_payload(
        {"model": "MiniMax-Hailuo-02", "prompt": "SANDBOX_SENSITIVE_OUTPUT"}
    )
    event = await _run(HailuoVideoGenerationTrigger(task_id, poll_interval=0.05))
    assert event["status"] == "error" and event["error_code"] == 1027
    await close_shared_client_session()


async def test_many_triggers_share_one_session(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import aiohttp

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    created: list[aiohttp.ClientSession] = []

    class CountingSession(aiohttp.ClientSession):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(aiohttp, "ClientSession", CountingSession)
    hook = HailuoHook()
    ids = [
        hook.create_video_generation_from_payload({"model": "MiniMax-Hailuo-02", "prompt": f"v{i}"})
        for i in range(30)
    ]
    events = await asyncio.gather(*(_run(HailuoVideoGenerationTrigger(i, poll_interval=0.05)) for i in ids))
    assert {e["video_task_id"] for e in events} == set(ids)
    assert all(e["status"] == "success" for e in events)
    assert len(created) == 1  # 30 triggers, many polls each, one session
    assert created[0].closed  # the last trigger out closed it: nothing leaks into loop shutdown


async def test_trigger_on_kill_says_no_cancel(capsys: Any) -> None:
    await HailuoVideoGenerationTrigger("42").on_kill()
    assert "no cancel endpoint" in capsys.readouterr().out


# -- sensor --------------------------------------------------------------------------------------
def test_sensor_poke_and_dict_input(sandbox: Any) -> None:
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sensor = HailuoVideoGenerationSensor(task_id="s", video_task_id=submitted, poke_interval=0.05, timeout=30)
    result = sensor.execute(context())
    assert result["status"] == "Success" and result["video_task_id"] == submitted["video_task_id"]


def test_sensor_fails_clearly_on_fail(sandbox: Any) -> None:
    submitted = op(prompt="SANDBOX_FAIL", wait_for_completion=False).execute(context(FakeStore()))
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted["video_task_id"], poke_interval=0.05
    )
    with pytest.raises(AirflowFailException, match=submitted["video_task_id"]):
        sensor.execute(context())


def test_deferrable_sensor_soft_fail_and_final_timeout(sandbox: Any) -> None:
    from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException

    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

    failed = op(prompt="SANDBOX_FAIL", wait_for_completion=False).execute(context(FakeStore()))
    HailuoHook().wait_for_video_generation(failed["video_task_id"], poll_interval=0.05, timeout=20)
    soft = HailuoVideoGenerationSensor(
        task_id="s",
        video_task_id=failed["video_task_id"],
        deferrable=True,
        soft_fail=True,
        poke_interval=0.05,
    )
    with pytest.raises(AirflowSkipException):
        soft.execute(context())
    # A timeout reported by the trigger is final, as in poke mode: no retry with a fresh clock.
    sensor = HailuoVideoGenerationSensor(task_id="s", video_task_id="123", deferrable=True)
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute_complete(
            {}, {"status": "timeout", "video_task_id": "123", "message": "not ready in 5s"}
        )


def test_sensor_deferrable(sandbox: Any) -> None:
    sandbox.config.processing_seconds = 30
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted["video_task_id"], deferrable=True, poke_interval=1, timeout=100
    )
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context())
    assert isinstance(info.value.trigger, HailuoVideoGenerationTrigger)


def test_sensor_reschedule_mode_frees_the_slot_between_pokes(sandbox: Any) -> None:
    from airflow.exceptions import AirflowRescheduleException

    sandbox.config.processing_seconds = 30
    submitted = op(wait_for_completion=False).execute(context(FakeStore()))
    sensor = HailuoVideoGenerationSensor(
        task_id="s", video_task_id=submitted["video_task_id"], mode="reschedule", poke_interval=5, timeout=100
    )
    ctx = context()
    ctx["ti"].get_first_reschedule_date.return_value = None  # the first poke
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(ctx)


def test_sensor_rejects_bad_id() -> None:
    with pytest.raises(AirflowFailException, match="video_task_id"):
        HailuoVideoGenerationSensor(task_id="s", video_task_id="not-an-id").poke(context())


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


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
def test_dag_retry_reattaches_instead_of_paying_twice(sandbox: Any, airflow_db: None, suffix: str) -> None:
    dag = load_dag_file(DAG_FILE, f"hailuo_reattach_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "success"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 2
    from airflow_provider_hailuo.version_compat import AIRFLOW_V_3_3_PLUS

    # Airflow 3.3+ re-attaches through the task state store; older versions have none and, as
    # documented, the retry pays for a second video.
    assert sandbox.stats()["creates"] == (1 if AIRFLOW_V_3_3_PLUS else 2)


def test_dag_permanent_error_uses_no_retries(sandbox: Any, airflow_db: None) -> None:
    dag = load_dag_file(DAG_FILE, "hailuo_failures")
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "failed"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 1
    assert sandbox.stats()["creates"] == 1


def test_hook_errors_never_show_the_key(sandbox: Any) -> None:
    with pytest.raises(HailuoAPIError) as info:
        from airflow_provider_hailuo.hooks.hailuo import HailuoConnectionSettings, HailuoHook

        HailuoHook(settings=HailuoConnectionSettings("secret-key-123", sandbox.url)).get_video_generation("1")
    assert "secret-key-123" not in str(info.value)
