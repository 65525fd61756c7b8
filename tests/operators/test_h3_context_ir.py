"""HailuoPromptEnhancementOperator: MiniMax-H3 Context-IR returns the enhanced prompt, paid once.

The sandbox's v2 counters prove how many calls reached the endpoint: ``context_ir_calls`` (POSTs) and
``context_ir_creates`` (tasks made).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred

from airflow_provider_hailuo.exceptions import HailuoError, HailuoWaitTimeoutError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.operators.h3_context_ir import HailuoPromptEnhancementOperator
from airflow_provider_hailuo.protocol import VideoStatus
from tests.conftest import API_KEY, load_dag_file
from tests.helpers import FakeStore, context, png_data_url

DAG_FILE = "tests/dags/h3_task_dags.py"
LONG_PROMPT = "A red kite climbs over a windy sea cliff at dawn, gulls calling. " * 10


def enhance(**kwargs: Any) -> HailuoPromptEnhancementOperator:
    kwargs.setdefault("task_id", "enhance")
    kwargs.setdefault("prompt", LONG_PROMPT)
    kwargs.setdefault("ratio", "16:9")
    kwargs.setdefault("duration", 10)
    kwargs.setdefault("poll_interval", 0.05)
    kwargs.setdefault("timeout", 30)
    return HailuoPromptEnhancementOperator(**kwargs)


def _v2(sandbox: Any) -> dict[str, Any]:
    return sandbox.stats()["v2"]  # type: ignore[no-any-return]


def test_returns_the_enhanced_prompt_and_pushes_the_task_id(
    sandbox: Any, capsys: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the HTTP client's lines (caplog); the task's own log (stdout)
    ctx = context(FakeStore())
    prompt = enhance().execute(ctx)
    ((task_id, task),) = _v2(sandbox)["tasks"].items()
    assert task["task_type"] == "h3_context_ir" and task["duration"] == 10
    status = HailuoHook().get_video_generation(task_id, api_version="v2")
    assert status.status is VideoStatus.SUCCESS and prompt == status.prompt
    assert prompt.startswith("integrated_multimodal_description: [Shot 1]") and "[Shot 2]" in prompt
    ctx["ti"].xcom_push.assert_any_call(key="video_task_id", value=task_id)
    logged = capsys.readouterr().out + caplog.text
    assert f"{len(prompt)} characters" in logged and prompt[:60] in logged
    assert prompt[:400] not in logged  # only its start is logged
    assert (_v2(sandbox)["context_ir_calls"], _v2(sandbox)["context_ir_creates"]) == (1, 1)
    assert API_KEY not in logged and API_KEY not in json.dumps(prompt)


def test_references_and_frames_follow_the_create_rules(sandbox: Any) -> None:
    enhance(reference_images=[png_data_url(512, 512)], ratio=None).execute(context(FakeStore()))
    enhance(first_frame_image=png_data_url(640, 360), ratio=None).execute(context(FakeStore()))
    assert _v2(sandbox)["context_ir_creates"] == 2


INVALID = [
    ({"model": "MiniMax-H3-Max"}, "model: prompt enhancement (Context-IR) accepts only MiniMax-H3"),
    ({"duration": 3}, "duration: 3 s is not allowed for MiniMax-H3; allowed: 4 to 15 s"),
    ({"duration": 16}, "duration: 16 s is not allowed"),
    ({"ratio": "adaptive"}, "ratio: text-to-video needs a concrete ratio"),
    ({"ratio": "2:1"}, "ratio: expected one of"),
    ({"prompt": "x" * 7001}, "prompt: 7001 characters; at most 7000"),
    ({"prompt": ""}, "prompt: required"),
    ({"reference_audios": ["https://example.com/a.mp3"], "ratio": None}, "reference_audios: audio needs"),
    (
        {"first_frame_image": png_data_url(640, 360), "reference_images": [png_data_url(640, 360)]},
        "cannot be combined with first_frame_image",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), INVALID)
def test_invalid_request_is_refused_before_any_request(
    sandbox: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(AirflowFailException, match="Invalid Hailuo h3_context_ir request") as info:
        enhance(**kwargs).execute(context(FakeStore()))
    assert message in str(info.value)
    v2 = _v2(sandbox)
    assert (v2["context_ir_calls"], v2["lists"], v2["queries"], v2["create_calls"]) == (0, 0, 0, 0)


def test_resolution_and_watermark_are_not_parameters() -> None:
    for name in ("resolution", "aigc_watermark"):
        with pytest.raises(TypeError, match=name):
            enhance(**{name: "2K" if name == "resolution" else True})


def test_retry_reattaches_instead_of_paying_twice(sandbox: Any) -> None:
    store = FakeStore()
    first = enhance().execute(context(store))
    again = enhance().execute(context(store))
    assert again == first and _v2(sandbox)["context_ir_creates"] == 1


def test_ambiguous_create_is_adopted_from_the_task_list(sandbox: Any) -> None:
    sandbox.config.v2_create_502_after_commit_rate = 1.0
    prompt = enhance().execute(context(FakeStore()))
    v2 = _v2(sandbox)
    assert (v2["context_ir_calls"], v2["context_ir_creates"]) == (1, 1) and v2["lists"] >= 1
    assert prompt.startswith("integrated_multimodal_description:")


def test_failed_enhancement_gives_the_tasks_error(sandbox: Any) -> None:
    with pytest.raises(HailuoError, match="failed with code 1000"):
        enhance(prompt="SANDBOX_FAIL a prompt").execute(context(FakeStore()))


def test_deferral_carries_no_prompt_and_execute_complete_reads_it(sandbox: Any) -> None:
    sandbox.config.processing_seconds = 0.5  # still queued at the operator's first look
    operator = enhance(deferrable=True)
    with pytest.raises(TaskDeferred) as info:
        operator.execute(context(FakeStore()))
    _path, kwargs = info.value.trigger.serialize()
    assert kwargs["api_version"] == "v2" and LONG_PROMPT[:20] not in json.dumps([kwargs, info.value.kwargs])
    (task_id,) = _v2(sandbox)["tasks"]
    HailuoHook().wait_for_video_generation(task_id, api_version="v2", poll_interval=0.05)
    event = {"status": "success", "video_task_id": task_id, "message": "ok", "api_version": "v2"}
    prompt = operator.execute_complete(context(FakeStore()), event, info.value.kwargs["payload_summary"])
    assert prompt.startswith("integrated_multimodal_description:") and _v2(sandbox)["context_ir_creates"] == 1


@pytest.mark.parametrize("suffix", ["sync", "deferrable"])
def test_dag_context_ir_crash_after_submit_is_paid_once(sandbox: Any, airflow_db: None, suffix: str) -> None:
    dag = load_dag_file(DAG_FILE, f"hailuo_h3_context_ir_{suffix}")
    dag_run = dag.test()  # type: ignore[attr-defined]
    (ti,) = dag_run.get_task_instances()
    assert dag_run.state == "success" and ti.try_number == 2  # the retry re-attached
    assert (_v2(sandbox)["context_ir_calls"], _v2(sandbox)["context_ir_creates"]) == (1, 1)


def test_deadline_cancels_a_still_queued_enhancement(sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 30
    with pytest.raises(HailuoWaitTimeoutError):
        enhance(timeout=0.3).execute(context(FakeStore()))
    assert (_v2(sandbox)["context_ir_creates"], _v2(sandbox)["cancelled"]) == (1, 1)
