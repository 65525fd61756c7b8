"""What only the v2 API (MiniMax-H3) can do with tasks: list them, cancel a queued one, find one by
what it was made from. Mixed into :class:`~airflow_provider_hailuo.hooks.hailuo.HailuoHook`.

v1 has none of these calls, so they live apart from the calls both generations share; requests and
answers are built and parsed in :mod:`airflow_provider_hailuo.protocol.v2`, like every other call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from airflow_provider_hailuo.exceptions import HailuoError, HailuoMalformedResponseError
from airflow_provider_hailuo.protocol import VideoStatus, v2
from airflow_provider_hailuo.validation_h3_tasks import H3_TASK_MODEL, SOURCE_RESOLUTION

if TYPE_CHECKING:
    from airflow_provider_hailuo.hooks.hailuo import HailuoHook

#: Page size of every list call (MiniMax documents no maximum; clients cap it at 100).
LIST_PAGE_SIZE = 100
#: At most this many pages are read in one search (5,000 tasks); a longer list is refused rather than
#: guessed at. The search normally stops at the first page older than what it looks for.
MAX_SEARCH_PAGES = 50


def _log_cancel_outcome(log: Any, task_id: str, seen: str | None) -> None:
    if seen == "cancelled":
        log.warning("Cancelled MiniMax-H3 video task %s while it was still queued: it is not billed", task_id)
    elif seen == "running":
        log.warning(
            "MiniMax-H3 video task %s is already running and cannot be cancelled: it will finish and be billed",
            task_id,
        )


class V2TaskCalls:
    """List, cancel and search calls of the v2 API; ``self`` is a :class:`HailuoHook`."""

    def list_video_generations(
        self,
        *,
        page_num: int = 1,
        page_size: int = 20,
        task_ids: Sequence[str] = (),
        status: str | None = None,
        model: str | None = None,
        task_type: str | None = None,
    ) -> tuple[list[v2.ListedTask], int]:
        """One page of the account's v2 tasks of the last 7 days, and how many match in all."""
        hook = cast("HailuoHook", self)
        call = v2.list_request(
            page_num=page_num,
            page_size=page_size,
            task_ids=task_ids,
            status=status,
            model=model,
            task_type=task_type,
        )
        return hook._call(call, v2.parse_list_response)  # type: ignore[no-any-return]

    def find_video_generations(
        self, payload: Mapping[str, Any], *, since: float, until: float
    ) -> list[v2.ListedTask]:
        """Every listed task that a create with ``payload`` may have made between ``since`` and ``until``.

        Pages through the list filtered by model (and by ``payload["task_type"]`` when it names the kind
        of task, :func:`~airflow_provider_hailuo.protocol.v2.made_from`). The order of the list is not documented (newest
        first in practice): paging stops early only while the pages seen are newest first and the
        last one is already older than ``since``.
        """
        hook = cast("HailuoHook", self)
        found: list[v2.ListedTask] = []
        newest_first, previous = True, None
        for page in range(1, MAX_SEARCH_PAGES + 1):
            items, total = hook.list_video_generations(
                page_num=page,
                page_size=LIST_PAGE_SIZE,
                model=str(payload.get("model")),
                task_type=payload.get("task_type"),
            )
            found += [t for t in items if v2.made_from(t, payload, since=since, until=until)]
            for item in items:
                if previous is not None and item.created_at is not None and item.created_at > previous:
                    newest_first = False
                previous = item.created_at if item.created_at is not None else previous
            if not items or page * LIST_PAGE_SIZE >= total:
                return found
            if newest_first and previous is not None and previous < since:
                return found
        raise HailuoMalformedResponseError(
            f"the v2 list did not end after {MAX_SEARCH_PAGES} pages of {LIST_PAGE_SIZE}: cannot tell which "
            "task a create made"
        )

    def submit_v2_task(self, task_type: str, payload: Mapping[str, Any]) -> str:
        """POST a validated Context-IR (``h3_context_ir``) or regeneration body; returns the task id.

        Paid and not idempotent: sent once (an ambiguous answer is reconciled by the caller, never
        repeated). Video generations go through ``create_video_generation_from_payload``.
        """
        hook = cast("HailuoHook", self)
        return str(hook._call(v2.submit_request(task_type, payload), v2.parse_create_response))

    def get_v2_task(self, video_task_id: str) -> v2.ListedTask | None:
        """One v2 task with what it was made with (model, resolution, duration, kind), via the list; None
        when MiniMax does not list it (unknown, another account's, or older than the 7-day window)."""
        hook = cast("HailuoHook", self)
        items, _total = hook.list_video_generations(task_ids=[str(video_task_id)], page_size=1)
        return next((t for t in items if t.video_task_id == str(video_task_id)), None)

    def regeneration_source(self, video_task_id: str) -> v2.ListedTask:
        """The task a regeneration by ``source_task_id`` would remake, checked before paying (§4.2 form A):
        this account's succeeded 768P MiniMax-H3 generation of the last 7 days.

        ``ValueError`` (naming the task and what is wrong) for a task that can never be regenerated;
        :class:`HailuoError` (retryable) for one that has not finished yet.
        """
        hook = cast("HailuoHook", self)
        listed = hook.get_v2_task(video_task_id)
        where = f"source_task_id {video_task_id}"
        if listed is None:
            raise ValueError(
                f"{where}: MiniMax does not list this task (unknown, another account's, or older than the "
                "7-day query window): it cannot be regenerated by id; give base_video and its inputs instead"
            )
        if listed.task_type not in (None, "generation") or listed.model != H3_TASK_MODEL:
            raise ValueError(
                f"{where} is a {listed.task_type or 'task'} of {listed.model}; only a {H3_TASK_MODEL} video "
                "generation can be regenerated"
            )
        status = listed.status
        if status.status is VideoStatus.FAIL:
            raise ValueError(f"{where} {status.raw_status}: there is no 768P video to regenerate")
        if status.status is not VideoStatus.SUCCESS:
            raise HailuoError(
                f"{where} is still {status.raw_status}; it can be regenerated once it has succeeded"
            )
        if (listed.resolution or "").upper() != SOURCE_RESOLUTION:
            raise ValueError(
                f"{where} is {listed.resolution}; only {SOURCE_RESOLUTION} videos can be regenerated to 2K"
            )
        return listed

    def cancel_video_generation(self, video_task_id: str) -> str:
        """DELETE a v2 task: ``cancelled`` if it was still queued (MiniMax does not bill it), else an error."""
        hook = cast("HailuoHook", self)
        task_id = str(video_task_id)
        raw = hook._send(v2.delete_request(task_id), hook.settings)
        return v2.parse_delete_response(raw, task_id)

    async def acancel_video_generation(self, video_task_id: str) -> str:
        """The trigger's DELETE of a v2 task (see :meth:`cancel_video_generation`)."""
        hook = cast("HailuoHook", self)
        task_id = str(video_task_id)
        raw = await hook._asend(v2.delete_request(task_id), await hook.aget_settings())
        return v2.parse_delete_response(raw, task_id)

    def cancel_if_queued(self, video_task_id: str) -> str | None:
        """Stop paying for a v2 video nobody waits for: DELETE it if still ``queued`` (not billed).

        Returns the status seen (``cancelled`` once cancelled). A ``running`` video cannot be cancelled
        and will be billed: that is logged. Best effort: a failure is logged, never raised, since this
        runs on kill and timeout paths that already end the task.
        """
        hook = cast("HailuoHook", self)
        task_id = str(video_task_id)
        try:
            seen = hook.get_video_generation_once(task_id, api_version="v2").raw_status
            if seen == "queued":
                seen = hook.cancel_video_generation(task_id)
        except HailuoError as err:
            hook.log.warning("Could not cancel MiniMax-H3 video task %s: %s", task_id, err)
            return None
        _log_cancel_outcome(hook.log, task_id, seen)
        return seen

    async def acancel_if_queued(self, video_task_id: str) -> str | None:
        """The trigger's :meth:`cancel_if_queued` (same rule, without blocking the event loop)."""
        hook = cast("HailuoHook", self)
        task_id = str(video_task_id)
        try:
            seen = (await hook.aget_video_generation_once(task_id, api_version="v2")).raw_status
            if seen == "queued":
                seen = await hook.acancel_video_generation(task_id)
        except HailuoError as err:
            hook.log.warning("Could not cancel MiniMax-H3 video task %s: %s", task_id, err)
            return None
        _log_cancel_outcome(hook.log, task_id, seen)
        return seen
