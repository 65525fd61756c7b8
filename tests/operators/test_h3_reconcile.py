"""A MiniMax-H3 create whose answer was lost is found in the v2 task list, never paid for twice.

Everything runs against the sandbox over HTTP; its counters prove how many create calls reached the
API (``create_calls``), how many tasks they made (``creates``) and how many list calls were made.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hailuo.exceptions import HailuoWaitTimeoutError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from tests.conftest import load_dag_file
from tests.helpers import FakeStore, context, op

DAG_FILE = "tests/dags/generation_dags.py"
H3 = {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, "ratio": "16:9"}


def _v2(sandbox: Any) -> dict[str, Any]:
    return sandbox.stats()["v2"]  # type: ignore[no-any-return]


def _retry_context(try_number: int, started: datetime) -> dict[str, Any]:
    """A try's context on Airflow 3.0-3.2: no task state store; the DAG run's start is known."""
    ctx = context(None)
    ctx["ti"].try_number = try_number
    ctx["dag_run"] = mock.MagicMock(start_date=started)
    return ctx


def test_create_answered_502_after_the_task_exists_adopts_the_listed_task(sandbox: Any) -> None:
    sandbox.config.v2_create_502_after_commit_rate = 1.0
    result = op(prompt="a lost answer", **H3).execute(context(FakeStore()))
    v2 = _v2(sandbox)
    assert (v2["create_calls"], v2["creates"]) == (1, 1)  # one POST, no second one after the 502
    assert v2["lists"] >= 1
    (task_id,) = v2["tasks"]
    assert result["video_task_id"] == task_id and result["status"] == "Success"


def test_create_refused_by_a_gateway_before_any_task_fails_final_naming_what_to_check(sandbox: Any) -> None:
    sandbox.config.gateway_error_rate = 1.0
    sandbox.config.gateway_error_methods = ("POST",)  # the list (a GET) still answers
    with pytest.raises(AirflowFailException, match="shows no task it may have made") as info:
        op(prompt="nothing made", **H3).execute(context(FakeStore()))
    message = str(info.value)
    assert "model MiniMax-H3, 4 s, 768P, created between" in message
    assert "clear this task to submit again only if none was" in message
    v2 = _v2(sandbox)
    assert (v2["create_calls"], v2["creates"]) == (1, 0) and v2["lists"] >= 1


def test_two_tasks_that_fit_the_lost_answer_are_not_guessed_between(sandbox: Any) -> None:
    twin = HailuoHook().create_video_generation(prompt="a twin with the same settings", **H3)
    sandbox.config.v2_create_502_after_commit_rate = 1.0
    with pytest.raises(AirflowFailException, match="shows 2 tasks that it may have made") as info:
        op(prompt="which one is mine", **H3).execute(context(FakeStore()))
    assert twin in str(info.value) and 'video_task_id="v2:<task id>"' in str(info.value)
    assert (_v2(sandbox)["create_calls"], _v2(sandbox)["creates"]) == (2, 2)


def test_other_settings_in_the_list_do_not_match(sandbox: Any) -> None:
    HailuoHook().create_video_generation(prompt="another duration", **{**H3, "duration": 6})
    HailuoHook().create_video_generation(prompt="another resolution", **{**H3, "resolution": "2K"})
    sandbox.config.v2_create_502_after_commit_rate = 1.0
    result = op(prompt="mine", **H3).execute(context(FakeStore()))
    assert result["status"] == "Success" and _v2(sandbox)["creates"] == 3
    assert sandbox.stats()["v2"]["tasks"][result["video_task_id"]]["duration"] == 4


def test_retry_without_state_store_finds_the_earlier_video_in_the_list(sandbox: Any) -> None:
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    first = op(prompt="paid once", wait_for_completion=False, **H3).execute(_retry_context(1, started))
    again = op(prompt="paid once", **H3).execute(_retry_context(2, started))
    assert again["video_task_id"] == first["video_task_id"] and again["status"] == "Success"
    assert _v2(sandbox)["creates"] == 1


def test_retry_without_state_store_submits_when_the_earlier_video_failed(sandbox: Any) -> None:
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    failed = op(prompt="SANDBOX_FAIL a doomed video", wait_for_completion=False, **H3).execute(
        _retry_context(1, started)
    )
    HailuoHook().wait_for_video_generation(failed["video_task_id"], api_version="v2", poll_interval=0.05)
    # The list matches on model, duration and resolution, not the prompt (MiniMax does not list it).
    again = op(prompt="a video that works", **H3).execute(_retry_context(2, started))
    assert again["video_task_id"] != failed["video_task_id"] and _v2(sandbox)["creates"] == 2


def test_retry_without_state_store_refuses_to_guess_between_two_earlier_videos(sandbox: Any) -> None:
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    for _ in range(2):
        op(prompt="twins", wait_for_completion=False, **H3).execute(_retry_context(1, started))
    with pytest.raises(AirflowFailException, match="shows 2 videos an earlier try may have submitted"):
        op(prompt="twins", **H3).execute(_retry_context(2, started))
    assert _v2(sandbox)["creates"] == 2


def test_timed_out_wait_without_state_store_is_left_to_retries(sandbox: Any) -> None:
    """The retry finds the video in the list, so the timeout is not made final as it is for v1."""
    sandbox.config.preparing_seconds = sandbox.config.queueing_seconds = 0
    sandbox.config.processing_seconds = 60
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    with pytest.raises(HailuoWaitTimeoutError):
        op(prompt="slow", timeout=0.3, **H3).execute(_retry_context(1, started))
    assert _v2(sandbox)["creates"] == 1


def test_deferred_timeout_without_state_store_is_left_to_retries() -> None:
    event = {"status": "timeout", "video_task_id": "42", "message": "Hailuo video task 42 did not finish"}
    with pytest.raises(HailuoWaitTimeoutError):
        op(**H3).execute_complete(context(None), event, {"model": "MiniMax-H3", "api_version": "v2"})


def test_first_try_without_state_store_does_not_search(sandbox: Any) -> None:
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    op(prompt="a", wait_for_completion=False, **H3).execute(_retry_context(1, started))
    op(prompt="b", wait_for_completion=False, **H3).execute(_retry_context(1, started))
    assert (_v2(sandbox)["creates"], _v2(sandbox)["lists"]) == (2, 0)


def test_dag_h3_create_answered_502_is_adopted_not_retried(sandbox: Any, airflow_db: None) -> None:
    sandbox.config.v2_create_502_after_commit_rate = 1.0
    dag = load_dag_file(DAG_FILE, "hailuo_h3_create_ambiguous")
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "success"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 1  # retries=2 were not needed, and not used
    assert (_v2(sandbox)["create_calls"], _v2(sandbox)["creates"]) == (1, 1)


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
def test_dag_h3_retry_without_state_store_pays_once(sandbox: Any, airflow_db: None, suffix: str) -> None:
    dag = load_dag_file(DAG_FILE, f"hailuo_h3_reattach_nostore_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    assert dag_run.state == "success"
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 2
    assert _v2(sandbox)["creates"] == 1
