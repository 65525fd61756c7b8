"""``hailuo enhance`` and ``hailuo regenerate`` against the sandbox: validated first, paid once, the result
printed or downloaded. Sandbox counters prove what reached each v2 endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_provider_hailuo.cli import ExitCode
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from tests.cli.test_cli import FAST, Hailuo, file_sha256, hailuo, sandbox_sha256

__all__ = ["hailuo"]  # the fixture, shared with test_cli.py

H3_768 = {"model": "MiniMax-H3", "resolution": "768P", "duration": 4, "ratio": "16:9"}


def _v2(sandbox: Any) -> dict[str, Any]:
    return sandbox.stats()["v2"]  # type: ignore[no-any-return]


def test_enhance_prints_the_enhanced_prompt(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo(
        "enhance", "--prompt", "a kite over a cliff", "--duration", "5", "--ratio", "9:16", *FAST, "--json"
    )
    assert run.code == 0, run.err
    doc = run.json()
    (task_id,) = _v2(sandbox)["tasks"]
    assert doc["task_id"] == f"v2:{task_id}" and doc["prompt"].startswith(
        "integrated_multimodal_description:"
    )
    assert doc["prompt"] == HailuoHook().get_video_generation(task_id, api_version="v2").prompt
    assert (_v2(sandbox)["context_ir_calls"], _v2(sandbox)["context_ir_creates"]) == (1, 1)


def test_enhance_refuses_bad_input_before_any_call(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo("enhance", "--prompt", "text only", "--ratio", "adaptive", *FAST)
    assert run.code == ExitCode.USAGE and "ratio: text-to-video needs a concrete ratio" in run.err
    assert _v2(sandbox)["context_ir_calls"] == 0


def test_regenerate_downloads_the_2k_video(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    hook = HailuoHook()
    draft = hook.create_video_generation(prompt="a draft", **H3_768)
    hook.wait_for_video_generation(draft, api_version="v2", poll_interval=0.05)
    run = hailuo("regenerate", f"v2:{draft}", *FAST, "-o", "final.mp4")
    assert run.code == 0, run.err
    (final,) = [t for t in _v2(sandbox)["tasks"].values() if t["task_type"] == "regeneration"]
    assert final["source_task_id"] == draft and final["resolution"] == "2K"
    assert file_sha256(tmp_path / "final.mp4") == sandbox_sha256(sandbox, final["file_id"])
    assert (_v2(sandbox)["regeneration_calls"], _v2(sandbox)["regeneration_creates"]) == (1, 1)


def test_regenerate_refuses_a_source_that_is_not_768p_before_paying(hailuo: Hailuo, sandbox: Any) -> None:
    hook = HailuoHook()
    big = hook.create_video_generation(prompt="already 2K", **{**H3_768, "resolution": "2K"})
    hook.wait_for_video_generation(big, api_version="v2", poll_interval=0.05)
    run = hailuo("regenerate", big, *FAST)
    assert run.code == ExitCode.USAGE and "only 768P videos can be regenerated" in run.err
    both = hailuo("regenerate", big, "--base-video", "https://example.com/v.mp4", *FAST)
    assert both.code == ExitCode.USAGE and "give exactly one" in both.err
    assert _v2(sandbox)["regeneration_calls"] == 0


def test_enhance_timeout_exits_8_and_status_reads_the_prompt_later(hailuo: Hailuo, sandbox: Any) -> None:
    sandbox.config.processing_seconds = 60
    run = hailuo(
        "enhance", "--prompt", "a slow tide", "--duration", "5", "--ratio", "16:9", *FAST, "--timeout", "0.2"
    )
    assert run.code == ExitCode.TIMEOUT == 8
    (task_id,) = _v2(sandbox)["tasks"]
    assert f"Context-IR task v2:{task_id} was not ready after" in run.err
    assert f"hailuo status v2:{task_id}" in run.err
    for task in sandbox._state.v2.tasks.values():
        task.running_seconds = 0.0  # it finishes at MiniMax meanwhile
    later = hailuo("status", f"v2:{task_id}", "--json")
    assert later.code == 0, later.err
    prompt = later.json()["prompt"]
    assert prompt.startswith("integrated_multimodal_description:")
    assert prompt == HailuoHook().get_video_generation(task_id, api_version="v2").prompt
    shown = hailuo("status", f"v2:{task_id}")
    assert f"prompt: {prompt}" in shown.out
    assert _v2(sandbox)["context_ir_creates"] == 1  # read later, never paid again
