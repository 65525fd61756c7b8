"""The ``hailuo`` command against a real sandbox server over HTTP.

Most tests call ``main([...])`` in-process (fast, output captured with capsys); one runs the installed
console script in a subprocess, the way users do. Every captured output is checked for the API key and
for base64 image data, which must never be printed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

# Imported up front so Airflow is configured by the test session, not by the CLI's first call.
import airflow_provider_hailuo.hooks.hailuo as hailuo_hooks
from airflow_provider_hailuo import cli
from airflow_provider_hailuo.camera import CAMERA_COMMANDS
from airflow_provider_hailuo.catalogue import MODELS
from airflow_provider_hailuo.cli import EXIT_CODES, ExitCode, main
from tests.helpers import png_bytes

API_KEY = "sandbox-key"
FAST = ("--poll-interval", "0.05")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{120,}")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Hailuo = Callable[..., Run]


@pytest.fixture
def hailuo(
    sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Hailuo:
    """``hailuo(*argv)`` runs the CLI against the sandbox (``--host`` appended) in a scratch directory."""
    monkeypatch.setenv("MINIMAX_API_KEY", API_KEY)
    for name in ("MINIMAX_API_HOST", "MINIMAX_GROUP_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*argv: str, host: bool = True) -> Run:
        args = [*argv, "--host", sandbox.url] if host else list(argv)
        capsys.readouterr()  # drop what the test itself printed (moto, boto3) before this call
        code = main(args)
        captured = capsys.readouterr()
        secrets = {API_KEY, os.environ.get("MINIMAX_API_KEY") or API_KEY}
        for text in (captured.out, captured.err):
            for secret in secrets:
                assert secret not in text, f"API key printed: {text!r}"
            assert not _BASE64_RUN.search(text), f"base64 data printed: {text!r}"
            assert "/sandbox/download/" not in text or "?" not in text.split("/sandbox/download/", 1)[1][:80]
        return Run(code, captured.out, captured.err)

    return run


def sandbox_sha256(sandbox: Any, file_id: str) -> str:
    answer = requests.get(f"{sandbox.url}/sandbox/files/{file_id}/sha256", timeout=10)
    answer.raise_for_status()
    return str(answer.json()["sha256"])


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def submitted_task(hailuo: Hailuo, prompt: str = "a panda walks in a bamboo forest") -> str:
    run = hailuo("generate", "--prompt", prompt, "--no-wait", "--json")
    assert run.code == 0, run.err
    return str(run.json()["task_id"])


def finished_task(hailuo: Hailuo) -> tuple[str, str]:
    task_id = submitted_task(hailuo)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        run = hailuo("status", task_id, "--json")
        if run.json()["status"] == "Success":
            return task_id, str(run.json()["file_id"])
        time.sleep(0.05)
    raise AssertionError("the sandbox task did not finish")


# -- generate ----------------------------------------------------------------------------------------


def test_generate_end_to_end_to_a_file(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    run = hailuo(
        "generate", "--prompt", "a panda walks in a bamboo forest [Push in]", *FAST, "-o", "panda.mp4"
    )
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith("task id: ")
    file_id = re.search(r"video ready: file id (\d+)", run.out).group(1)  # type: ignore[union-attr]
    path = tmp_path / "panda.mp4"
    assert f"saved: {path}" in run.out
    assert f"size: 256.0 KiB ({path.stat().st_size} bytes)" in run.out
    assert f"sha256: {file_sha256(path)}" in run.out
    assert file_sha256(path) == sandbox_sha256(sandbox, file_id)
    # Not a TTY: one status line per change, a final progress line with bytes, percent and rate.
    assert "status: Success (elapsed " in run.err
    assert re.search(r"download: 100% \(256\.0 KiB / 256\.0 KiB\) at [\d.]+ [KMG]?i?B/s", run.err)
    assert "\r" not in run.err
    assert sandbox.stats()["create_calls"] == 1


def test_generate_json_and_default_file_name(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    run = hailuo("generate", "--prompt", "a red kite over the sea", *FAST, "--resolution", "1080P", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert set(doc) >= {
        "task_id",
        "status",
        "file_id",
        "video_width",
        "video_height",
        "model",
        "resolution",
        "output",
        "bytes",
        "sha256",
        "elapsed_seconds",
    }
    assert doc["status"] == "Success"
    assert (doc["model"], doc["resolution"]) == ("MiniMax-Hailuo-02", "1080P")
    assert (doc["video_width"], doc["video_height"]) == (1920, 1080)
    path = tmp_path / f"hailuo-{doc['task_id']}.mp4"
    assert doc["output"] == str(path)
    assert doc["bytes"] == path.stat().st_size
    assert doc["sha256"] == file_sha256(path) == sandbox_sha256(sandbox, doc["file_id"])
    assert "task id: " in run.err  # announced at once, on stderr since stdout is the JSON document


def test_generate_image_to_video_never_prints_the_image(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    image = tmp_path / "frame.png"
    image.write_bytes(png_bytes(640, 360))
    dry = hailuo(
        "generate", "--first-frame", str(image), "--prompt", "[Truck right] the hills", "--dry-run", "--json"
    )
    assert dry.code == 0, dry.err
    assert dry.json()["payload"]["first_frame_image"].startswith("data:image/png;base64,<")
    assert sandbox.stats()["create_calls"] == 0
    run = hailuo(
        "generate", "--first-frame", str(image), "--prompt", "[Truck right] the hills", *FAST, "--json"
    )
    assert run.code == 0, run.err
    assert run.json()["status"] == "Success"


def test_no_wait_prints_the_task_id_and_exits(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo("generate", "--prompt", "a cat on a windowsill", "--no-wait")
    assert run.code == 0
    assert re.fullmatch(r"task id: \d+\n", run.out)
    assert "hailuo status" in run.err
    stats = sandbox.stats()
    assert (stats["create_calls"], stats["queries"]) == (1, 0)
    doc = hailuo("generate", "--prompt", "a cat", "--no-wait", "--json").json()
    assert doc == {"task_id": doc["task_id"], "status": "Submitted", "model": "MiniMax-Hailuo-02"}


def test_live_status_and_progress_on_a_terminal(hailuo: Hailuo, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    run = hailuo("generate", "--prompt", "a lighthouse at dusk", *FAST)
    assert run.code == 0
    shown = terminal.getvalue()
    assert "\rstatus: Processing" in shown
    assert "\rstatus: Success" in shown
    assert re.search(r"\rdownload \[#{24}\] 100\.0%  256\.0 KiB / 256\.0 KiB  [\d.]+ [KMG]?i?B/s", shown)


def test_dry_run_and_quiet(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo("generate", "--prompt", "a fox", "--duration", "10", "--dry-run")
    assert run.code == 0
    assert '"duration": 10' in run.out
    quiet = hailuo("generate", "--prompt", "a fox", *FAST, "-q")
    assert quiet.code == 0
    assert quiet.err == ""
    assert "sha256: " in quiet.out


# -- validation: exit 2 before any call --------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (("--prompt", "a cat", "--resolution", "4K"), "resolution"),
        (("--prompt", "a cat", "--duration", "10", "--resolution", "1080P"), "duration"),
        (("--prompt", "a cat [Pan lfet]"), "prompt"),
        (("--prompt", "a harbour [Zoom sideways]"), "prompt"),
        (("--prompt", "港口[推进一点点]", "--model", "T2V-01-Director"), "prompt"),
        (("--prompt", "a cat", "--first-frame", "missing.jpg"), "first_frame_image"),
        (("--prompt", "a cat", "--model", "S2V-01"), "subject_reference"),
        (("--prompt", "a cat", "--model", "t2v-01-director"), "model"),
    ],
)
def test_validation_error_exits_2_naming_the_field_and_creates_nothing(
    hailuo: Hailuo, sandbox: Any, extra: tuple[str, ...], field: str
) -> None:
    run = hailuo("generate", *extra)
    assert run.code == ExitCode.USAGE == 2
    assert run.err.startswith(f"error: invalid request: {field}: ")
    assert len(run.err.splitlines()) == 1
    assert "Traceback" not in run.err
    assert sandbox.stats()["create_calls"] == 0


def test_validation_error_as_json(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo("generate", "--prompt", "x", "--resolution", "4K", "--json")
    assert run.code == 2
    error = run.json()["error"]
    assert error["exit_code"] == 2
    assert error["kind"] == "usage"
    assert error["message"].startswith("invalid request: resolution: ")
    assert sandbox.stats()["create_calls"] == 0


def test_argparse_errors_and_bad_ids_exit_2(hailuo: Hailuo, sandbox: Any) -> None:
    assert hailuo("generate", "--prompt", "x", "--poll-interval", "soon").code == 2
    bad = hailuo("status", "12ab")
    assert bad.code == 2
    assert "TASK_ID" in bad.err
    unknown = hailuo("status", "424242")
    assert unknown.code == 2
    assert "knows no video task 424242" in unknown.err


def test_existing_output_is_refused_before_submitting(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    (tmp_path / "taken.mp4").write_bytes(b"mine")
    run = hailuo("generate", "--prompt", "a cat", "-o", "taken.mp4")
    assert run.code == 2
    assert "--force" in run.err
    assert sandbox.stats()["create_calls"] == 0
    assert (tmp_path / "taken.mp4").read_bytes() == b"mine"


# -- API failures, one exit code each ----------------------------------------------------------------


def test_bad_key_missing_key_and_wrong_region_exit_3(
    hailuo: Hailuo, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", "not-the-sandbox-key")
    run = hailuo("status", "1", "--debug")  # --debug prints a traceback: still no key in it
    assert run.code == ExitCode.AUTH == 3
    assert "1004" in run.err
    monkeypatch.setenv("MINIMAX_API_KEY", "sandbox-other-region-key")
    wrong_region = hailuo("test-connection")
    assert wrong_region.code == 3
    assert "2049" in wrong_region.err
    monkeypatch.delenv("MINIMAX_API_KEY")
    missing = hailuo("generate", "--prompt", "a cat")
    assert missing.code == 3
    assert missing.err == (
        "error: no API key: set the MINIMAX_API_KEY environment variable, or use --conn-id ID for an "
        "Airflow connection\n"
    )
    assert sandbox.stats()["create_calls"] == 0


@pytest.mark.parametrize(
    ("status", "body"),
    [(504, "<html><body>504 Gateway Time-out</body></html>"), (200, "<html>maintenance</html>")],
    ids=["gateway-timeout", "garbled-200"],
)
def test_ambiguous_create_failure_warns_that_a_task_may_be_billed(
    hailuo: Hailuo, sandbox: Any, status: int, body: str
) -> None:
    """After a 504 or a garbled answer the task may exist: the user must not just run it again."""
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.add(responses.POST, f"{sandbox.url}/v1/video_generation", status=status, body=body)
        run = hailuo("generate", "--prompt", "a panda", *FAST)
        assert len(mocked.calls) == 1  # never repeated: a second call could bill a second video
    assert run.code == ExitCode.NETWORK
    assert "may exist and be billed" in run.err and "MiniMax console" in run.err


def test_moderated_prompt_exits_5(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo("generate", "--prompt", "a SANDBOX_SENSITIVE scene", *FAST, "--json")
    assert run.code == ExitCode.MODERATION == 5
    assert run.json()["error"]["api_code"] == 1026
    assert run.err.startswith("error: MiniMax API error 1026")
    output = hailuo("generate", "--prompt", "a SANDBOX_SENSITIVE_OUTPUT scene", *FAST)
    assert output.code == 5
    assert "1027" in output.err


def test_failed_generation_exits_7(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo("generate", "--prompt", "a SANDBOX_FAIL scene", *FAST, "--json")
    assert run.code == ExitCode.GENERATION_FAILED == 7
    error = run.json()["error"]
    assert error["kind"] == "generation_failed"
    task_id = error["task_id"]
    assert f"video task {task_id} failed" in run.err
    status = hailuo("status", task_id)
    assert status.code == 7
    assert f"task {task_id}: Fail" in status.out


def test_timeout_exits_8_and_resume_finishes_the_job(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    run = hailuo("generate", "--prompt", "a slow sunrise", *FAST, "--timeout", "0.1")
    assert run.code == ExitCode.TIMEOUT == 8
    task_id = run.out.split("task id: ", 1)[1].split()[0]
    assert f"hailuo resume {task_id}" in run.err
    resumed = hailuo("resume", task_id, *FAST, "--json")
    assert resumed.code == 0, resumed.err
    doc = resumed.json()
    assert doc["task_id"] == task_id
    assert (
        doc["sha256"]
        == file_sha256(tmp_path / f"hailuo-{task_id}.mp4")
        == sandbox_sha256(sandbox, doc["file_id"])
    )
    assert sandbox.stats()["create_calls"] == 1


def test_rate_limit_after_retries_exits_6(hailuo: Hailuo, sandbox: Any) -> None:
    sandbox.config.rate_limit_error_rate = 1.0
    run = hailuo("status", "1", "--retries", "1")
    assert run.code == ExitCode.RATE_LIMIT == 6
    assert "1002" in run.err


def test_unreachable_host_exits_9_after_retries_shown_as_warnings(hailuo: Hailuo) -> None:
    run = hailuo("status", "1", "--retries", "2", "--host", "http://127.0.0.1:9", host=False)
    assert run.code == ExitCode.NETWORK == 9
    lines = run.err.splitlines()
    assert lines[0].startswith("warning: Hailuo call failed (attempt 1 of 2), retrying in ")
    assert lines[-1].startswith("error: GET /v1/query/video_generation failed: ConnectionError")
    assert len(lines) == 2
    assert run.out == ""


def test_validation_warnings_go_to_stderr(hailuo: Hailuo) -> None:
    run = hailuo("generate", "--model", "MiniMax-Hailuo-09", "--prompt", "x", "--dry-run", "--json")
    assert run.code == 0
    assert run.json()["payload"]["model"] == "MiniMax-Hailuo-09"
    assert run.err.startswith("warning: model: 'MiniMax-Hailuo-09' is not in this provider's catalogue")


def test_failed_download_exits_10_with_the_file_id(hailuo: Hailuo, sandbox: Any) -> None:
    _, file_id = finished_task(hailuo)
    sandbox.config.download_url_ttl_seconds = 0  # every signed URL is already expired
    run = hailuo("download", file_id, "--json")
    assert run.code == ExitCode.DOWNLOAD == 10
    assert run.json()["error"]["file_id"] == file_id
    assert f"hailuo download {file_id}" in run.err


def test_ctrl_c_while_waiting_tells_how_to_resume(hailuo: Hailuo, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(hailuo_hooks.HailuoHook, "wait_for_video_generation", interrupted)
    run = hailuo("generate", "--prompt", "a cat")
    assert run.code == ExitCode.INTERRUPTED == 130
    task_id = run.out.split("task id: ", 1)[1].split()[0]
    assert f"hailuo resume {task_id}" in run.err


def test_ctrl_c_during_the_create_call_warns_of_a_billed_task(
    hailuo: Hailuo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(hailuo_hooks.HailuoHook, "create_video_generation_from_payload", interrupted)
    run = hailuo("generate", "--prompt", "a cat")
    assert run.code == ExitCode.INTERRUPTED
    assert "may exist and be billed" in run.err


# -- status and download -----------------------------------------------------------------------------


def test_status_and_download(hailuo: Hailuo, sandbox: Any, tmp_path: Path) -> None:
    task_id = submitted_task(hailuo)
    early = hailuo("status", task_id)
    assert early.code == 0
    assert re.match(rf"task {task_id}: (Preparing|Queueing|Processing)\n", early.out)
    task_id, file_id = finished_task(hailuo)
    doc = hailuo("status", task_id, "--json").json()
    assert doc == {
        "task_id": task_id,
        "status": "Success",
        "file_id": file_id,
        "video_width": 1366,
        "video_height": 768,
        "error_code": None,
        "error_message": None,
        "trace_id": doc["trace_id"],
    }
    human = hailuo("status", task_id)
    assert f"file id: {file_id} (1366x768)" in human.out

    (tmp_path / "videos").mkdir()
    got = hailuo("download", file_id, "-o", "videos", "--json")
    assert got.code == 0, got.err
    path = tmp_path / "videos" / f"hailuo-{file_id}.mp4"
    assert got.json() == {
        "file_id": file_id,
        "output": str(path),
        "bytes": 262144,
        "sha256": sandbox_sha256(sandbox, file_id),
        "filename": got.json()["filename"],
    }
    assert file_sha256(path) == got.json()["sha256"]
    again = hailuo("download", file_id, "-o", "videos")
    assert again.code == 2  # exists: refused without --force
    forced = hailuo("download", file_id, "-o", "videos", "--force")
    assert forced.code == 0
    assert f"saved: {path}" in forced.out


def test_download_to_stdout(
    sandbox: Any, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIMAX_API_KEY", API_KEY)
    host = ("--host", sandbox.url)
    assert main(["generate", "--prompt", "a heron", *FAST, "--no-wait", "--json", *host]) == 0
    task_id = json.loads(capsysbinary.readouterr().out)["task_id"]
    assert main(["resume", task_id, *FAST, "-o", "-", *host]) == 0
    captured = capsysbinary.readouterr()
    file_id = re.search(rb"file id (\d+)", captured.err).group(1).decode()  # type: ignore[union-attr]
    assert len(captured.out) == 262144
    assert hashlib.sha256(captured.out).hexdigest() == sandbox_sha256(sandbox, file_id)
    assert b"task id: " not in captured.out  # answers moved to stderr: stdout is the video
    assert b"sha256: " in captured.err


def test_download_to_s3(hailuo: Hailuo, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3
    import moto

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    _, file_id = finished_task(hailuo)
    with moto.mock_aws():
        boto3.client("s3").create_bucket(Bucket="videos")
        run = hailuo("download", file_id, "--s3", "s3://videos/hailuo/", "--json")
        assert run.code == 0, run.err
        key = f"hailuo/hailuo-{file_id}.mp4"
        assert run.json()["output"] == f"s3://videos/{key}"
        body = boto3.client("s3").get_object(Bucket="videos", Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == run.json()["sha256"] == sandbox_sha256(sandbox, file_id)
        assert "upload " in run.err
        taken = hailuo("generate", "--prompt", "a heron", *FAST, "--s3", f"s3://videos/{key}")
        assert taken.code == 2  # the key is taken: refused before anything is submitted
        no_bucket = hailuo("generate", "--prompt", "a heron", *FAST, "--s3", "s3://no-such-bucket/")
        assert no_bucket.code == ExitCode.DOWNLOAD == 10
        assert sandbox.stats()["create_calls"] == 1
        generated = hailuo("generate", "--prompt", "a heron", *FAST, "--s3", "s3://videos/new/", "--json")
        assert generated.code == 0, generated.err
        doc = generated.json()
        assert doc["output"] == f"s3://videos/new/hailuo-{doc['task_id']}.mp4"
        assert doc["sha256"] == sandbox_sha256(sandbox, doc["file_id"])


# -- credentials -------------------------------------------------------------------------------------


def test_airflow_connection_from_env(hailuo: Hailuo, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    task_id = submitted_task(hailuo)
    monkeypatch.delenv("MINIMAX_API_KEY")
    monkeypatch.setenv(
        "AIRFLOW_CONN_CLI_SANDBOX",
        json.dumps({"conn_type": "hailuo", "host": sandbox.url, "password": API_KEY}),
    )
    run = hailuo("status", task_id, "--conn-id", "cli_sandbox", "--json", host=False)
    assert run.code == 0, run.err
    assert run.json()["task_id"] == task_id
    ok = hailuo("--conn-id", "cli_sandbox", "test-connection", host=False)
    assert ok.code == 0
    assert "the API key is valid" in ok.out
    missing = hailuo("status", task_id, "--conn-id", "no_such_conn", host=False)
    assert missing.code == 3
    assert "AIRFLOW_CONN_NO_SUCH_CONN" in missing.err
    both = hailuo("status", task_id, "--conn-id", "cli_sandbox")
    assert both.code == 2


def test_region_and_key_env(hailuo: Hailuo, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINIMAX_API_KEY")
    monkeypatch.setenv("MY_KEY", API_KEY)
    monkeypatch.setenv("MINIMAX_API_HOST", sandbox.url)
    assert hailuo("test-connection", "--api-key-env", "MY_KEY", host=False).code == 0
    assert hailuo("test-connection", "--region", "intl").code == 2  # --host and --region


# -- catalogue listings ------------------------------------------------------------------------------


def test_models_table_and_json(hailuo: Hailuo) -> None:
    run = hailuo("models", host=False)
    assert run.code == 0
    assert run.out.startswith("MODEL ")
    for name in MODELS:
        assert name in run.out
    assert "MiniMax-Hailuo-02 *" in run.out
    assert "768P (6/10s), 1080P (6s)" in run.out
    doc = hailuo("models", "--json", host=False).json()
    assert [m["name"] for m in doc] == list(MODELS)
    hailuo_02 = next(m for m in doc if m["name"] == "MiniMax-Hailuo-02")
    assert hailuo_02["default"] is True
    assert hailuo_02["modes"]["text-to-video"] == {"768P": [6, 10], "1080P": [6]}


def test_camera_table_and_json(hailuo: Hailuo) -> None:
    run = hailuo("camera", host=False)
    assert run.code == 0
    for command in CAMERA_COMMANDS:
        assert command.english in run.out
        assert command.chinese in run.out
    doc = hailuo("camera", "--json", host=False).json()
    assert len(doc["commands"]) == 15
    assert doc["max_per_bracket"] == 3


# -- documentation and helpers -----------------------------------------------------------------------


def test_every_exit_code_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    help_text = capsys.readouterr().out
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    assert [code for code, _ in EXIT_CODES] == list(ExitCode)
    for code in ExitCode:
        assert re.search(rf"^\s+{int(code)}\s", cli.__doc__ or "", re.MULTILINE), code
        assert re.search(rf"^  {int(code)}\s", help_text, re.MULTILINE), code
        assert f"| {int(code)} |" in docs, code


def test_console_script(sandbox: Any, hailuo: Hailuo) -> None:
    script = Path(sys.executable).parent / "hailuo"
    assert script.exists(), "the hailuo console script is not installed (pip install -e .)"
    task_id = submitted_task(hailuo)
    env = {**os.environ, "MINIMAX_API_KEY": API_KEY}
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert helped.returncode == 0
    assert "exit codes:" in helped.stdout
    status = subprocess.run(
        [str(script), "status", task_id, "--host", sandbox.url, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["task_id"] == task_id  # stdout is only the JSON: no Airflow log lines
    assert API_KEY not in status.stdout + status.stderr


# -- generate --dry-run prices the request (docs/costs.md) ---------------------------------------------

ROWS = json.dumps(
    [{"model": "MiniMax-Hailuo-02", "resolution": "1080P", "per_second": 0.08, "date": "2026-11-01"}]
)


def test_dry_run_prints_the_estimate_and_sends_nothing(
    hailuo: Hailuo,
    sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIRFLOW__HAILUO__PRICE_TABLE", ROWS)
    run = hailuo("generate", "--prompt", "a fox", "--resolution", "1080P", "--dry-run")
    assert run.code == 0, run.err
    assert "estimated cost: $0.48 (MiniMax-Hailuo-02 1080P: 6 s × $0.08/s; prices of 2026-11-01)" in run.out
    as_json = hailuo("generate", "--prompt", "a fox", "--resolution", "1080P", "--dry-run", "--json").json()
    assert (as_json["estimated_cost"], as_json["currency"], as_json["dry_run"]) == (0.48, "USD", True)
    assert sandbox.stats()["create_calls"] == 0


def test_dry_run_says_when_no_price_is_known(hailuo: Hailuo, sandbox: Any) -> None:
    run = hailuo("generate", "--prompt", "a fox", "--dry-run")
    assert run.code == 0
    assert "estimated cost: unknown (no price for MiniMax-Hailuo-02" in run.out
    assert hailuo("generate", "--prompt", "a fox", "--dry-run", "--json").json()["estimated_cost"] is None


def test_mainland_hosts_are_priced_in_cny(hailuo: Hailuo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW__HAILUO__PRICE_TABLE",
        json.dumps([{"model": "MiniMax-Hailuo-02", "region": "mainland", "per_second": 0.5}]),
    )
    run = hailuo("generate", "--prompt", "a fox", "--dry-run", "--json", host=False)  # default host: mainland
    assert run.code == 0, run.err
    assert (run.json()["estimated_cost"], run.json()["currency"]) == (3.0, "CNY")


def test_a_bad_price_table_is_a_usage_error(hailuo: Hailuo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__HAILUO__PRICE_TABLE", '[{"model": "MiniMax-Hailuo-02", "per_second": "x"}]')
    run = hailuo("generate", "--prompt", "a fox", "--dry-run")
    assert run.code == 2 and "row 1: per_second must be a number" in run.err


def test_resume_waits_through_an_outage_with_one_line_for_it(hailuo: Hailuo, sandbox: Any) -> None:
    """The CLI waits with the provider's one waiting policy: an outage of every transient kind (more
    failed polls than the ten that used to end a wait) is sat out and reported once, not per poll."""
    task_id = submitted_task(hailuo)
    sandbox.config.outage_answer = "mixed"
    sandbox.config.outage_seconds = 3.0
    run = hailuo("resume", task_id, *FAST, "-o", "video.mp4")
    assert run.code == 0, run.err
    assert sandbox.stats()["injected_faults"]["outage"] > 10
    assert run.err.count("MiniMax unreachable since") == 1
