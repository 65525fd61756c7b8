"""The v2 protocol for Context-IR and regeneration tasks: their create paths, a succeeded Context-IR task
(``content.prompt``, no URL), list filters and matching by task type. No I/O."""

from __future__ import annotations

import pytest

from airflow_provider_hailuo.exceptions import HailuoMalformedResponseError
from airflow_provider_hailuo.protocol import VideoStatus, v2
from tests.unit.test_protocol_v2 import raw


def test_each_kind_of_task_posts_to_its_own_path_and_is_never_repeated_blindly() -> None:
    paths = {kind: v2.submit_request(kind, {"model": "MiniMax-H3"}) for kind in v2.TASK_TYPE_PATHS}
    assert {k: r.path for k, r in paths.items()} == {
        "generation": "/v2/video_generation",
        "h3_context_ir": "/v2/h3_context_ir",
        "regeneration": "/v2/video_regeneration",
    }
    assert not any(r.idempotent for r in paths.values())
    with pytest.raises(ValueError, match="task_type"):
        v2.submit_request("upscale", {})


def test_succeeded_context_ir_task_carries_its_prompt_and_no_url() -> None:
    body = {
        "task": {
            "id": "7",
            "status": "succeeded",
            "task_type": "h3_context_ir",
            "content": {"prompt": "[Shot 1] x"},
        }
    }
    status = v2.parse_query_response(raw(body), "7")
    assert status.status is VideoStatus.SUCCESS and status.prompt == "[Shot 1] x" and status.video_url is None
    for content in ({}, {"prompt": ""}, {"prompt": 3}):
        bad = {"task": {"id": "7", "status": "succeeded", "content": content}}
        with pytest.raises(HailuoMalformedResponseError, match=r"no content\.url"):
            v2.parse_query_response(raw(bad), "7")


def test_list_filters_and_matching_by_task_type() -> None:
    assert v2.list_request(task_type="regeneration").params["filter.task_type"] == "regeneration"
    assert "filter.task_type" not in v2.list_request().params
    item = {"id": "9", "status": "queued", "model": "MiniMax-H3", "resolution": "2K", "duration": 5}
    (regen,), _ = v2.parse_list_response(
        raw({"items": [{**item, "created_at": 100, "task_type": "regeneration"}], "total": 1})
    )
    match = {"model": "MiniMax-H3", "task_type": "regeneration", "resolution": "2K"}
    assert v2.made_from(regen, match, since=90, until=110)  # no duration asked: not matched on
    assert not v2.made_from(regen, {**match, "duration": 6}, since=90, until=110)
    assert not v2.made_from(regen, {**match, "task_type": "h3_context_ir"}, since=90, until=110)
    assert not v2.made_from(
        regen, {"model": "MiniMax-H3", "resolution": "2K", "duration": 5}, since=90, until=110
    )
