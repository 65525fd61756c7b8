"""The ``hailuo`` command's exit codes and create classification come from the one error declaration."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_hailuo.cli import EXIT_CODES, ExitCode
from airflow_provider_hailuo.cli.exit_codes import classify, failure_of
from airflow_provider_hailuo.error_codes import ERROR_CODES, HTTP_STATUSES, codes_with_exit
from airflow_provider_hailuo.exceptions import HailuoHTTPError, api_error_from_code
from airflow_provider_hailuo.protocol import VideoGenerationStatus, VideoStatus
from tests.cli.test_cli import FAST, Hailuo, hailuo  # noqa: F401 - the fixture


@pytest.mark.parametrize("row", ERROR_CODES, ids=lambda r: f"{r.code}-{r.exception}")
def test_every_code_exits_as_declared(row: Any) -> None:
    failure = classify(api_error_from_code(row.code, row.message_contains or "message"))
    assert failure.exit_code == row.exit_code and failure.api_code == row.code


@pytest.mark.parametrize("row", HTTP_STATUSES, ids=lambda r: str(r.status))
def test_every_http_status_exits_as_declared(row: Any) -> None:
    assert classify(HailuoHTTPError("x", http_status=row.status)).exit_code == row.exit_code


def test_help_text_lists_the_declared_codes() -> None:
    described = dict(EXIT_CODES)
    for code in ExitCode:
        for api_code in codes_with_exit(code):
            assert str(api_code) in described[code], (code, api_code)


@pytest.mark.parametrize(
    "row", [r for r in ERROR_CODES if r.message_contains is None], ids=lambda r: str(r.code)
)
def test_a_failed_task_exits_by_its_row(row: Any) -> None:
    status = VideoGenerationStatus("1", VideoStatus.FAIL, error_code=row.code, error_message="m")
    failure = failure_of(status)
    assert failure.exit_code == (row.exit_code if row.task_failure else ExitCode.GENERATION_FAILED)


def test_502_after_the_task_was_created_is_not_resubmitted(hailuo: Hailuo, sandbox: Any) -> None:  # noqa: F811
    sandbox.config.create_gateway_error_after_commit = True
    run = hailuo("generate", "--prompt", "a panda", *FAST)
    assert run.code == ExitCode.NETWORK
    assert "may exist and be billed" in run.err and "MiniMax console" in run.err and "trace id" in run.err
    stats = sandbox.stats()
    assert stats["create_calls"] == 1 and stats["creates"] == 1


def test_a_refused_create_never_reads_as_billed(hailuo: Hailuo, sandbox: Any) -> None:  # noqa: F811
    """A 401 page from a gateway refused the request: exit 3, and no "may be billed" scare."""
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.add(responses.POST, f"{sandbox.url}/v1/video_generation", status=401, body="<html>401</html>")
        run = hailuo("generate", "--prompt", "a panda", *FAST)
    assert run.code == ExitCode.AUTH
    assert "billed" not in run.err


def test_connection_key_with_a_trailing_newline_works(
    hailuo: Hailuo,  # noqa: F811
    sandbox: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_HAILUO_PASTED",
        json.dumps({"conn_type": "hailuo", "host": sandbox.url, "password": "sandbox-key\n"}),
    )
    monkeypatch.setenv("MINIMAX_API_KEY", "sandbox-key\r\n")
    by_env = hailuo("generate", "--prompt", "a panda", "--no-wait")
    assert by_env.code == 0, by_env.err
    task_id = by_env.out.split("task id: ", 1)[1].split()[0]
    by_conn = hailuo("status", task_id, "--conn-id", "hailuo_pasted", host=False)
    assert by_conn.code == 0, by_conn.err
    assert f"task {task_id}:" in by_conn.out
