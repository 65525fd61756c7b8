"""The base of the operators for MiniMax-H3's other paid v2 calls (Context-IR, regeneration).

They are v2 tasks like a generation: created once, polled through the same query endpoint and
trigger, cancellable while queued, listed by kind (``filter.task_type``). So they inherit the
generation operator's whole never-pay-twice machinery (the id recorded the moment it exists, re-attach
on retry, an ambiguous create adopted from the task list, cancel-if-queued on kill and deadline, the
deferral) and change only what differs: which endpoint is paid, what body, which fields identify the
request, and what a listed task must match.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hailuo.fingerprint import request_fingerprint
from airflow_provider_hailuo.operators.hailuo import HailuoVideoGenerationOperator
from airflow_provider_hailuo.validation_h3_tasks import CONTENT_FIELDS, H3_TASK_MODEL

if TYPE_CHECKING:
    from airflow_provider_hailuo.protocol.v2 import ListedTask

#: Media parameters of these operators (masked in rendered fields, fingerprinted by identity).
MEDIA_FIELDS: tuple[str, ...] = tuple(name for name in CONTENT_FIELDS if name != "prompt")


#: Parameters of the generation operator; those a subclass does not take are refused by name.
_GENERATION_PARAMS = frozenset(inspect.signature(HailuoVideoGenerationOperator.__init__).parameters) - {
    "self",
    "kwargs",
}


def refuse_generation_params(operator: str, kwargs: Mapping[str, Any]) -> None:
    """A generation parameter this operator has no use for (a resolution on Context-IR, say) is an error,
    not silently ignored: it would not do what its name says."""
    wrong = sorted(set(kwargs) & _GENERATION_PARAMS)
    if wrong:
        raise TypeError(f"{operator}: {', '.join(wrong)} is not a parameter of this operator")


class H3TaskOperator(HailuoVideoGenerationOperator):
    """A MiniMax-H3 v2 task other than a generation; see the module docstring. Not used directly."""

    #: ``task_type`` of the task made (``protocol.v2.TASK_TYPE_PATHS``).
    task_type: ClassVar[str]
    #: What decides the result; a re-attached task must have been made from the same.
    request_fields: ClassVar[tuple[str, ...]]
    media_fields: ClassVar[tuple[str, ...]] = MEDIA_FIELDS

    def __init__(self, *, model: str = H3_TASK_MODEL, **kwargs: Any) -> None:
        super().__init__(model=model, **kwargs)

    def _build(self) -> dict[str, Any]:
        """The validated body (media resolved); raises ValueError naming the field."""
        raise NotImplementedError

    def _payload(self) -> dict[str, Any]:
        try:
            return self._build()
        except (ValueError, TypeError) as err:
            # Bad input is not fixed by a retry: fail now, before any money is spent.
            raise AirflowFailException(f"Invalid Hailuo {self.task_type} request: {err}") from err

    def _create(self, payload: Mapping[str, Any]) -> str:
        return self.hook.submit_v2_task(self.task_type, payload)

    def _listing_match(self, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        return {"model": payload.get("model"), "task_type": self.task_type}

    def _fingerprint_fields(self) -> dict[str, Any]:
        return {name: self._unmasked(name) for name in self.request_fields}

    def _request_fingerprint(self) -> str:
        return request_fingerprint(
            self._fingerprint_fields(), image_fields=(*self.media_fields, "base_video")
        )

    def _estimate(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return {"estimated_cost": None, "currency": None}

    def _summary(self, payload: Mapping[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        summary = HailuoVideoGenerationOperator._summary(payload)
        summary["task_type"] = self.task_type
        return summary

    def _listed(self, video_task_id: str) -> ListedTask | None:
        """What the task list says about a task (model, resolution, duration, kind)."""
        return self.hook.get_v2_task(video_task_id)
