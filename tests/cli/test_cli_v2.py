"""``hailuo`` with MiniMax-H3 (v2) tasks against the sandbox: ``v2:<id>`` refs, ``list`` and ``cancel``.

Sandbox counters prove what reached the v2 API (creates, queries, lists, DELETEs).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from airflow_provider_hailuo.cli import ExitCode
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from tests.cli.test_cli import FAST, Hailuo, file_sha256, hailuo, sandbox_sha256

__all__ = ["hailuo"]  # the fixture, shared with test_cli.py

H3 = ("--model", "MiniMax-H3", "--resolution", "768P", "--duration", "4")
H3_PARAMS = {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, "ratio": "16:9"}


def _v2(sandbox: Any) -> dict[str, Any]:
    return sandbox.stats()["v2"]  # type: ignore[no-any-return]


def _submit(prompt: str = "a kite") -> str:
    return HailuoHook().create_video_generation(prompt=prompt, **H3_PARAMS)


def _finished(sandbox: Any, task_id: str) -> None:
    HailuoHook().wait_for_video_generation(task_id, api_version="v2", poll_interval=0.05, timeout=20)


def test_generate_h3_end_to_end_names_the_task_v2(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    run = hailuo("generate", "--prompt", "a red kite", *H3, "--ratio", "9:16", *FAST, "-o", "kite.mp4")
    assert run.code == 0, run.err
    (task_id,) = _v2(sandbox)["tasks"]
    assert run.out.splitlines()[0] == f"task id: v2:{task_id}"
    file_id = _v2(sandbox)["tasks"][task_id]["file_id"]
    assert file_sha256(tmp_path / "kite.mp4") == sandbox_sha256(sandbox, file_id)
    assert (_v2(sandbox)["creates"], sandbox.stats()["create_calls"]) == (1, 0)


def test_generate_h3_adopts_the_listed_task_after_a_lost_answer(hailuo: Hailuo, sandbox: Any) -> None:
    sandbox.config.v2_create_502_after_commit_rate = 1.0
    run = hailuo("generate", "--prompt", "a lost answer", *H3, *FAST, "-o", "lost.mp4")
    assert run.code == 0, run.err
    assert "adopting it instead of paying for another" in run.err
    assert (_v2(sandbox)["create_calls"], _v2(sandbox)["creates"]) == (1, 1)


def test_generate_h3_with_no_listed_task_exits_9_naming_what_to_check(hailuo: Hailuo, sandbox: Any) -> None:
    sandbox.config.gateway_error_rate = 1.0
    sandbox.config.gateway_error_methods = ("POST",)
    run = hailuo("generate", "--prompt", "nothing made", *H3, *FAST)
    assert run.code == ExitCode.NETWORK
    assert "shows no task it may have made" in run.err and "run 'hailuo generate' again only if" in run.err
    assert (_v2(sandbox)["create_calls"], _v2(sandbox)["creates"]) == (1, 0)


def test_status_and_resume_of_an_h3_task(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    task_id = _submit()
    v1_queries = sandbox.stats()["queries"]
    resumed = hailuo("resume", f"v2:{task_id}", *FAST, "-o", "resumed.mp4")
    assert resumed.code == 0, resumed.err
    file_id = _v2(sandbox)["tasks"][task_id]["file_id"]
    assert file_sha256(tmp_path / "resumed.mp4") == sandbox_sha256(sandbox, file_id)
    status = hailuo("status", f"v2:{task_id}")
    assert status.code == 0 and f"task v2:{task_id}: Success (succeeded)" in status.out
    assert f"hailuo download v2:{task_id}" in status.err
    doc = hailuo("status", f"v2:{task_id}", "--json").json()
    assert (doc["task_id"], doc["status"], doc["file_id"]) == (task_id, "Success", None)
    got = hailuo("download", f"v2:{task_id}", "--json")
    assert got.code == 0, got.err
    assert got.json()["sha256"] == sandbox_sha256(sandbox, file_id)
    assert (tmp_path / f"hailuo-v2-{task_id}.mp4").exists()
    assert sandbox.stats()["queries"] == v1_queries  # nothing went to v1


def test_status_of_a_failed_h3_task_exits_7(hailuo: Hailuo, sandbox: Any) -> None:
    task_id = _submit("SANDBOX_FAIL")
    _finished(sandbox, task_id)
    run = hailuo("status", f"v2:{task_id}")
    assert run.code == ExitCode.GENERATION_FAILED and "Fail (failed)" in run.out


def test_bad_v2_ref_exits_2(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo("status", "v2:abc")
    assert run.code == ExitCode.USAGE and "v2:<digits>" in run.err


def test_list_pages_and_filters_h3_tasks(hailuo: Hailuo, sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 60
    first, second = _submit("one"), _submit("two")
    doc = hailuo("list", "--json").json()
    assert doc["total"] == 2
    assert {i["task_id"] for i in doc["items"]} == {f"v2:{first}", f"v2:{second}"}
    assert {i["status"] for i in doc["items"]} == {"queued"}
    assert doc["items"][0]["model"] == "MiniMax-H3" and doc["items"][0]["duration"] == 4
    page = hailuo("list", "--page-size", "1")
    assert page.code == 0 and len(page.out.splitlines()) == 1 and "--page for more" in page.err
    assert hailuo("list", "--status", "succeeded", "--json").json()["total"] == 0
    assert _v2(sandbox)["lists"] == 3


def test_cancel_a_queued_h3_task_is_not_billed(hailuo: Hailuo, sandbox: Any) -> None:
    sandbox.config.queueing_seconds = 60
    task_id = _submit()
    run = hailuo("cancel", f"v2:{task_id}")
    assert run.code == 0, run.err
    assert "cancelled while still queued; MiniMax does not bill it" in run.out
    assert (_v2(sandbox)["delete_calls"], _v2(sandbox)["cancelled"]) == (1, 1)


def test_cancel_refuses_a_running_or_finished_task_without_sending_delete(
    hailuo: Hailuo, sandbox: Any
) -> None:
    sandbox.config.preparing_seconds = sandbox.config.queueing_seconds = 0
    sandbox.config.processing_seconds = 60
    running = _submit()
    time.sleep(0.05)
    run = hailuo("cancel", f"v2:{running}")
    assert run.code == ExitCode.ERROR and "will finish and be billed" in run.err
    sandbox.config.processing_seconds = 0
    done = _submit()
    _finished(sandbox, done)
    run = hailuo("cancel", done)  # a bare id: only v2 tasks can be cancelled
    assert run.code == ExitCode.ERROR and "nothing left to cancel" in run.err
    assert _v2(sandbox)["delete_calls"] == 0  # a finished task's record is never deleted


def test_generate_h3_from_reference_images_and_audio(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    """Reference-to-video from the command line: local images are sent inline, audio beside them."""
    from tests.sandbox.media_files import data_url, png, wav

    (tmp_path / "face.png").write_bytes(png(512, 640))
    (tmp_path / "shore.png").write_bytes(png(1280, 720))
    run = hailuo(
        "generate",
        "--prompt",
        "the woman walks along the shore, humming",
        *H3,
        "--reference-image",
        "face.png",
        "--reference-image",
        "shore.png",
        "--reference-audio",
        data_url("audio/wav", wav(3.0)),
        *FAST,
        "-o",
        "shore.mp4",
    )
    assert run.code == 0, run.err
    ((task_id, task),) = _v2(sandbox)["tasks"].items()
    assert (task["mode"], task["model"]) == ("r2va", "MiniMax-H3")
    usage = HailuoHook().get_video_generation(task_id, api_version="v2").usage or {}
    assert usage.get("input_image_count") == 2 and usage.get("input_audio_seconds") == 3
    assert file_sha256(tmp_path / "shore.mp4") == sandbox_sha256(sandbox, task["file_id"])
    assert "base64" not in run.out + run.err  # media never echoed


def test_generate_h3_refuses_bad_references_before_sending(
    hailuo: Hailuo, sandbox: Any, tmp_path: Path
) -> None:
    from tests.sandbox.media_files import data_url, png, wav

    (tmp_path / "face.png").write_bytes(png(512, 640))
    alone = hailuo(
        "generate", "--prompt", "a song", *H3, "--reference-audio", data_url("audio/wav", wav(2.0))
    )
    assert alone.code == ExitCode.USAGE and "reference_audios" in alone.err
    v1 = hailuo(
        "generate", "--prompt", "a face", "--model", "MiniMax-Hailuo-02", "--reference-image", "face.png"
    )
    assert v1.code == ExitCode.USAGE and "reference_images" in v1.err and "MiniMax-H3" in v1.err
    expand = hailuo("generate", "--prompt", "x", *H3, "--prompt-expansion", "quality")
    assert expand.code == ExitCode.USAGE and "prompt_expansion_mode" in expand.err
    assert (_v2(sandbox)["create_calls"], sandbox.stats()["create_calls"]) == (0, 0)
