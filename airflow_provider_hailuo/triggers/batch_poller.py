"""One status poller per connection per triggerer loop for MiniMax-H3 (v2) waits: list calls, not queries.

MiniMax allows about 300 requests a minute per account; a query per video per poll spends that on a
few dozen videos (1000 videos polled every 10 s are 6000 requests a minute). The v2 list call takes up
to 100 task ids (``filter.task_ids``), so the waits that come due together are answered by one list
call per 100 of them. Each wait keeps everything else of its own: its ``StatusWatcher``, deadline, log
lines, cancel-if-queued; the poller only answers "what is the status of task X now".

What never gets worse than one query per wait:

* an id the list does not return (outside the 7-day window, deleted, a filter the API ignored) is
  answered ``None`` and its wait queries it on its own, so a 2013 "invalid task_id" ends that wait
  exactly as before; an id missing from ``MISSES_BEFORE_QUERYING_ALONE`` lists in a row is not listed
  again while this poller lives;
* a list call that fails as an outage would (5xx, 429, gateway page, garbled body, timeout) is a failed
  poll of every wait in that batch, which sits it out like any failed poll;
* any other failed list call (a 400 for the filter's encoding, a bad key, a bug of ours) is not taken
  as the answer for the waits: they query on their own; the poller tries the other encoding of
  ``filter.task_ids`` (``ENCODINGS``, conflict C8), and when none is read it stops listing for
  ``LIST_PAUSE_SECONDS``;
* a malformed list item fails the poll of that one wait only.

The poller lives as long as waits use it (the lease pattern of the shared session): created by the
first v2 wait of a connection on a loop, closed when the last one leaves, so a short-lived loop
(``dag.test()``, the CLI, tests) leaves nothing behind. Set ``BATCH_POLLING = False`` to poll every
v2 video with its own query, as before (the benchmark's baseline does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence

from airflow_provider_hailuo.exceptions import HailuoError, HailuoMalformedResponseError
from airflow_provider_hailuo.hooks.hailuo import HailuoHook
from airflow_provider_hailuo.protocol import v2
from airflow_provider_hailuo.protocol.common import VideoGenerationStatus

log = logging.getLogger(__name__)

#: False: every v2 wait queries its own task each poll (the behaviour before batch polling).
BATCH_POLLING = True
#: Ids per list call. MiniMax documents no maximum; its clients cap ``filter.task_ids`` and
#: ``page_size`` at 100, and so does the sandbox (contract §2, Q12).
LIST_BATCH_SIZE = 100
#: How long the first poll due waits for others before the list call goes out. Waits on the aligned
#: grid wake in the same loop iteration anyway; this also gathers those a few ms apart.
BATCH_GATHER_SECONDS = 0.02
#: Poll wake-ups of batched waits move onto a grid coarse enough that about ``LIST_BATCH_SIZE`` waits
#: share each point, but never coarser than this, nor than a quarter of the poll interval: a poll
#: moves by at most half a step.
BATCH_ALIGNMENT_MAX_SECONDS = 1.0
BATCH_ALIGNMENT_MAX_FRACTION = 0.25
#: How ``filter.task_ids`` may be sent, in the order tried (contract C8: MiniMax's own CLI joins the
#: ids with commas; other clients repeat the parameter). The next is tried when a list answer shows
#: the filter was not read (a refusal, tasks not asked for, none of several asked for).
ENCODINGS = ("comma", "repeated")
#: After the list could not answer (no encoding read, a refusal), waits query on their own this long.
LIST_PAUSE_SECONDS = 600.0
#: An id missing from this many list answers in a row is queried on its own from then on.
MISSES_BEFORE_QUERYING_ALONE = 3
#: Bound on the ids remembered as missing (a triggerer's poller may live for weeks).
MAX_REMEMBERED_MISSES = 10_000


class V2StatusPoller:
    """Answers the polls of every v2 wait of one connection on one loop, one list call per batch."""

    def __init__(self, hailuo_conn_id: str) -> None:
        self.hailuo_conn_id = hailuo_conn_id
        self.hook = HailuoHook(hailuo_conn_id=hailuo_conn_id)
        self.leases = 0
        #: Loop time until which every wait queries on its own, after the list could not answer.
        self._paused_until = 0.0
        #: How ``filter.task_ids`` is sent (``ENCODINGS``); kept once a list answer named several of ours.
        self.encoding = ENCODINGS[0]
        self._encoding_confirmed = False
        self._due: dict[str, list[asyncio.Future[VideoGenerationStatus | None]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._calls: set[asyncio.Task[None]] = set()
        self._misses: dict[str, int] = {}

    async def status(self, video_task_id: str) -> VideoGenerationStatus | None:
        """The task's status from the next list call, or None: query it on its own.

        Raises what a failed list call raised (an outage for the waiting code to sit out).
        """
        task_id = str(video_task_id)
        loop = asyncio.get_running_loop()
        if loop.time() < self._paused_until or self._misses.get(task_id, 0) >= MISSES_BEFORE_QUERYING_ALONE:
            return None
        future: asyncio.Future[VideoGenerationStatus | None] = loop.create_future()
        self._due.setdefault(task_id, []).append(future)
        if self._timer is None:
            self._timer = loop.call_later(BATCH_GATHER_SECONDS, self._flush)
        return await future

    def alignment_step(self, poll_interval: float) -> float:
        """The grid step for the wake-ups of this poller's waits: ~``LIST_BATCH_SIZE`` waits per point."""
        step = LIST_BATCH_SIZE * poll_interval / max(1, self.leases)
        return min(step, BATCH_ALIGNMENT_MAX_SECONDS, poll_interval * BATCH_ALIGNMENT_MAX_FRACTION)

    def _flush(self) -> None:
        self._timer = None
        due, self._due = self._due, {}
        ids = list(due)
        loop = asyncio.get_running_loop()
        for start in range(0, len(ids), LIST_BATCH_SIZE):
            chunk = {task_id: due[task_id] for task_id in ids[start : start + LIST_BATCH_SIZE]}
            call = loop.create_task(self._answer(chunk))
            self._calls.add(call)
            call.add_done_callback(self._calls.discard)

    async def _answer(self, due: dict[str, list[asyncio.Future[VideoGenerationStatus | None]]]) -> None:
        """One list call for ``due``'s ids; every future gets its status, None, or the call's error."""
        ids, encoding = list(due), self.encoding
        try:
            found, unasked = await self._list(ids, encoding)
        except asyncio.CancelledError:
            for futures in due.values():
                for future in futures:
                    future.cancel()
            raise
        except Exception as err:
            if _outage(err):
                _settle(due, dict.fromkeys(ids, err))
            else:
                # Not an answer about the videos: a refusal of the list itself (the filter's encoding,
                # a limit, the key) or a bug here. Their own queries decide, as before batching.
                self._distrust_encoding(encoding, err)
                _settle(due, {})
            return
        if unasked:  # the API ignored filter.task_ids: what it did list of ours is still right
            self._distrust_encoding(encoding, f"the list answer held {len(unasked)} task(s) not asked for")
        elif len(found) > 1:  # several ids answered at once: the filter is read as sent
            self._encoding_confirmed = True
        elif len(ids) > 1 and not self._encoding_confirmed:
            # At most one of several ids: likely a filter read as one id ("a,b") or only its first
            # value, rather than the others all gone.
            self._distrust_encoding(
                encoding, f"the list answer held {len(found)} of {len(ids)} tasks asked for"
            )
        for task_id in ids:
            if task_id in found:
                self._misses.pop(task_id, None)
            elif len(self._misses) < MAX_REMEMBERED_MISSES:
                self._misses[task_id] = self._misses.get(task_id, 0) + 1
        _settle(due, found)

    async def _list(
        self, ids: Sequence[str], encoding: str
    ) -> tuple[dict[str, VideoGenerationStatus | HailuoError], set[str]]:
        settings = await self.hook.aget_settings()
        repeated = encoding == "repeated"
        call = v2.list_request(page_num=1, page_size=LIST_BATCH_SIZE, task_ids=ids, repeat_task_ids=repeated)
        raw = await self.hook._asend(call, settings)
        found, unasked = v2.parse_list_statuses(raw, ids)
        return dict(found), unasked

    def _distrust_encoding(self, sent: str, why: object) -> None:
        """The list did not read ``filter.task_ids`` as sent: try the other encoding, else stop listing."""
        if sent != self.encoding:
            return  # a call sent before the encoding last changed (or listing paused): already acted on
        following = ENCODINGS[ENCODINGS.index(self.encoding) + 1 :]
        if self._encoding_confirmed or not following:
            self._stop_listing(why)
            return
        log.info(
            "The MiniMax-H3 list of connection %s did not answer for filter.task_ids sent %s (%s); trying %s",
            self.hailuo_conn_id,
            self.encoding,
            why,
            following[0],
        )
        self.encoding = following[0]

    def _stop_listing(self, why: object) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() >= self._paused_until:
            log.warning(
                "Polling MiniMax-H3 videos of connection %s one query per video for the next %.0f s: the "
                "list call cannot answer for them (%s)",
                self.hailuo_conn_id,
                LIST_PAUSE_SECONDS,
                why,
            )
        # Later, from the first encoding again: what failed may have been passing (a 400 in a deploy).
        self._paused_until = loop.time() + LIST_PAUSE_SECONDS
        self.encoding, self._encoding_confirmed = ENCODINGS[0], False

    @property
    def listing(self) -> bool:
        """Whether the next poll due is listed (False while paused: every wait queries on its own)."""
        return asyncio.get_running_loop().time() >= self._paused_until

    async def aclose(self) -> None:
        """The last wait left: nothing is due any more; stop what is still in flight."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        calls = list(self._calls)
        for call in calls:
            call.cancel()
        if calls:
            await asyncio.gather(*calls, return_exceptions=True)


def _outage(err: Exception) -> bool:
    """A failed list call that a query would have failed alike: a failed poll to sit out, not a refusal.

    Transport errors, 5xx, 429, rate-limit codes, gateway pages and garbled bodies; querying every
    video of the batch instead would only multiply the requests into the outage.
    """
    return isinstance(err, HailuoMalformedResponseError) or (isinstance(err, HailuoError) and err.retryable)


def _settle(
    due: dict[str, list[asyncio.Future[VideoGenerationStatus | None]]],
    answers: Mapping[str, VideoGenerationStatus | BaseException],
) -> None:
    """Give each waiting future its answer: a status, an exception to raise in its wait, else None."""
    for task_id, futures in due.items():
        result = answers.get(task_id)
        for future in futures:
            if future.done():  # its wait was cancelled meanwhile
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)


# One poller per connection id per event loop, alive while waits lease it.
_POLLERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, V2StatusPoller]] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def v2_poller_lease(hailuo_conn_id: str) -> AsyncIterator[V2StatusPoller | None]:
    """The loop's poller for ``hailuo_conn_id`` while a v2 wait runs (None with ``BATCH_POLLING`` off)."""
    if not BATCH_POLLING:
        yield None
        return
    loop = asyncio.get_running_loop()
    pollers = _POLLERS.setdefault(loop, {})
    poller = pollers.get(hailuo_conn_id)
    if poller is None:
        poller = pollers[hailuo_conn_id] = V2StatusPoller(hailuo_conn_id)
    poller.leases += 1
    try:
        yield poller
    finally:
        poller.leases -= 1
        if poller.leases == 0:
            if pollers.get(hailuo_conn_id) is poller:
                del pollers[hailuo_conn_id]
            await poller.aclose()


def active_pollers(loop: asyncio.AbstractEventLoop) -> dict[str, V2StatusPoller]:
    """The pollers alive on ``loop`` by connection id (for tests and diagnostics)."""
    return dict(_POLLERS.get(loop, {}))
