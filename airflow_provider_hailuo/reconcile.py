"""Finding the video a MiniMax-H3 create made when its answer was lost, through the v2 list endpoint.

A create that answered a 5xx or a gateway page, timed out after sending, or came back garbled may
have created (and billed) a task; sending it again could pay twice. v1 has no way to look, so such a
create fails as final there. v2 lists the account's tasks, and although it has no idempotency key or
client reference, a task's model, duration, resolution and creation time narrow it down
(:func:`~airflow_provider_hailuo.protocol.v2.made_from`): exactly one match is the video, adopted
instead of paid for again; none or several is a question only a person can settle, so the task fails
as final and says what to check. The same search lets a retry on Airflow before 3.3 (no task state
store to remember the task id) find the video an earlier try submitted.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_hailuo.catalogue import api_version_for
from airflow_provider_hailuo.error_codes import ExitCode
from airflow_provider_hailuo.exceptions import HailuoError
from airflow_provider_hailuo.protocol import VideoStatus
from airflow_provider_hailuo.retry import ambiguous_create_message

if TYPE_CHECKING:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook
    from airflow_provider_hailuo.protocol.v2 import ListedTask

#: MiniMax's clock and ours may differ a little, and ``created_at`` is in whole seconds.
CLOCK_SLACK_SECONDS = 10.0


class UnresolvedCreateError(HailuoError):
    """Which task a create made (if any) cannot be told from here; a person must check. Never retried."""

    exit_code = ExitCode.NETWORK


def lists_tasks(model: object) -> bool:
    """Whether the model's API can list tasks, and so reconcile a lost create answer (v2 only)."""
    return api_version_for(model) == "v2"


def _clock(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _describe(payload: Mapping[str, Any], since: float, until: float) -> str:
    return (
        f"model {payload.get('model')}, {payload.get('duration')} s, {payload.get('resolution')}, created "
        f"between {_clock(since)} and {_clock(until)}"
    )


def adopt_ambiguous_create(
    hook: HailuoHook, payload: Mapping[str, Any], err: HailuoError, *, sent_at: float, then: str
) -> str:
    """The id of the one task an ambiguous create made; :class:`UnresolvedCreateError` otherwise.

    ``sent_at`` is when the create was sent (epoch seconds); ``then`` tells the user how to submit
    again once they have made sure no task was created (clear the Airflow task, rerun the command).
    """
    if not lists_tasks(payload.get("model")):
        raise UnresolvedCreateError(
            ambiguous_create_message(err, sent_at=sent_at, then=then), video_task_id=err.video_task_id
        ) from err
    since, until = sent_at - CLOCK_SLACK_SECONDS, time.time() + CLOCK_SLACK_SECONDS
    try:
        found = hook.find_video_generations(payload, since=since, until=until)
    except HailuoError as list_err:
        raise UnresolvedCreateError(
            ambiguous_create_message(err, sent_at=sent_at, then=then)
            + f" Looking for it in the v2 task list failed too: {list_err}"
        ) from err
    if len(found) == 1:
        hook.log.warning(
            "The create call failed ambiguously (%s); the v2 task list shows the one task it made, %s "
            "(%s): adopting it instead of paying for another",
            err,
            found[0].video_task_id,
            _describe(payload, since, until),
        )
        return found[0].video_task_id
    if found:
        ids = ", ".join(t.video_task_id for t in found)
        raise UnresolvedCreateError(
            f"The create call failed ambiguously ({err}) and the v2 task list shows {len(found)} tasks that it "
            f"may have made ({_describe(payload, since, until)}): {ids}. Not submitting again, and not "
            f"guessing which one is this request's: check them in the MiniMax console (the prompt tells them "
            f'apart), pick the right one up with HailuoVideoGenerationSensor(video_task_id="v2:<task id>"), '
            f"and {then} only if none of them is it."
        ) from err
    raise UnresolvedCreateError(
        f"The create call failed ambiguously ({err}) and the v2 task list shows no task it may have made "
        f"({_describe(payload, since, until)}). Not submitting again, as the list may lag behind: check the "
        f"MiniMax console for a video task created around {_clock(sent_at)}, and {then} only if none was."
    ) from err


def find_earlier_video(
    hook: HailuoHook, payload: Mapping[str, Any], *, since: float, until: float
) -> ListedTask | None:
    """The video an earlier try of this request submitted (not failed), found in the v2 task list.

    For a retry on Airflow before 3.3, which has no task state store to remember the task id. None
    when the list shows no such video (the earlier try did not get as far as paying, or its video
    failed: submitting is right); :class:`UnresolvedCreateError` when several could be it.
    """
    found = [
        t
        for t in hook.find_video_generations(payload, since=since, until=until)
        if t.status.status is not VideoStatus.FAIL
    ]
    if len(found) > 1:
        ids = ", ".join(t.video_task_id for t in found)
        raise UnresolvedCreateError(
            f"This is a retry, and the v2 task list shows {len(found)} videos an earlier try may have "
            f"submitted ({_describe(payload, since, until)}): {ids}. This Airflow has no task state store "
            "(it arrived in 3.3) to tell which one is this task's, so nothing is submitted: pick the right one "
            'up with HailuoVideoGenerationSensor(video_task_id="v2:<task id>"), or clear this task once '
            "you have made sure none of them is its video."
        )
    return found[0] if found else None
