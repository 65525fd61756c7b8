"""What a generation is expected to cost, from a price table kept as data (``prices.json``).

MiniMax bills after the fact and publishes its prices on web pages that change; the provider can only
*estimate*. The table says where every figure comes from and when it was read, and users override it
(the ``[hailuo] price_table`` option or the ``price_table`` extra of the Hailuo connection) because
their contract, region or the list price may differ. This module is pure: no Airflow, no I/O besides
reading the packaged table, so the operator, the CLI's ``--dry-run`` and the UI compute the same
figure the same way.

A row prices one model in one region, at one resolution (or any), either per output second or per
video of one duration. MiniMax-H3 style rows also charge reference images beyond a free allowance
(first and last frames count towards it) and reference video by its whole seconds at the output rate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

INTERNATIONAL = "international"
MAINLAND = "mainland"
REGIONS = (INTERNATIONAL, MAINLAND)

_TABLE_PATH = Path(__file__).with_name("prices.json")
_MAINLAND_HOSTS = ("minimaxi.com", "minimaxi.chat", "minimax.cn")


class PricingConfigError(ValueError):
    """A price row that cannot be used; the message names the row, the field and what is allowed."""


@dataclass(frozen=True)
class PriceRow:
    model: str
    region: str
    currency: str
    resolution: str | None = None  # None: any resolution
    per_second: Decimal | None = None
    per_video: Decimal | None = None
    duration: int | None = None  # the video length a per_video price is for
    free_images: int = 0
    per_image: Decimal | None = None
    reference_video: str | None = None  # "per_second": billed at the output rate, whole seconds
    source: str = ""
    date: str = ""

    def matches(self, model: str, region: str, resolution: str | None, duration: float | None) -> bool:
        if self.model != model or self.region != region:
            return False
        if self.resolution is not None and self.resolution != resolution:
            return False
        return self.per_video is None or (duration is not None and self.duration == duration)

    @property
    def specificity(self) -> int:
        return (self.resolution is not None) + (self.per_video is not None)


@dataclass(frozen=True)
class CostEstimate:
    """One estimate; ``amount`` is rounded to the cent-fraction MiniMax quotes (4 places)."""

    amount: Decimal
    currency: str
    basis: str
    source: str
    date: str
    region: str

    def as_dict(self) -> dict[str, Any]:
        """JSON primitives, for XCom and logs."""
        return {
            "estimated_cost": float(self.amount),
            "currency": self.currency,
            "price_basis": self.basis,
            "price_source": self.source,
            "price_date": self.date,
        }

    def __str__(self) -> str:
        return f"{format_money(self.amount, self.currency)} ({self.basis}; prices of {self.date or 'unknown date'})"


def format_money(amount: Decimal | float, currency: str) -> str:
    symbol = {"USD": "$", "CNY": "¥"}.get(currency)
    value = Decimal(str(amount)).quantize(Decimal("0.0001")).normalize()
    exponent = value.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    text = f"{value:.{places}f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def _decimal(row: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise PricingConfigError(f"{where}: {key} must be a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PricingConfigError(f"{where}: {key} must be a number, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise PricingConfigError(f"{where}: {key} must be a finite number >= 0, got {value!r}")
    return number


_FIELDS = {
    "model",
    "region",
    "currency",
    "resolution",
    "per_second",
    "per_video",
    "duration",
    "free_images",
    "per_image",
    "reference_video",
    "source",
    "date",
}


def parse_row(row: Any, where: str, default_source: str = "") -> PriceRow:
    """One row of a price table (packaged or user-given), checked field by field."""
    if not isinstance(row, Mapping):
        raise PricingConfigError(f"{where}: a price row must be an object, got {type(row).__name__}")
    unknown = sorted(set(row) - _FIELDS)
    if unknown:
        raise PricingConfigError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(_FIELDS)}")
    model = row.get("model")
    if not isinstance(model, str) or not model:
        raise PricingConfigError(f"{where}: model must be a non-empty string")
    region = row.get("region", INTERNATIONAL)
    if region not in REGIONS:
        raise PricingConfigError(f"{where}: region must be one of {list(REGIONS)}, got {region!r}")
    currency = row.get("currency", "USD" if region == INTERNATIONAL else "CNY")
    if not isinstance(currency, str) or not currency.isalpha():
        raise PricingConfigError(f"{where}: currency must be a code such as USD or CNY, got {currency!r}")
    resolution = row.get("resolution")
    if resolution is not None and not isinstance(resolution, str):
        raise PricingConfigError(f"{where}: resolution must be a string such as 768P, got {resolution!r}")
    per_second = _decimal(row, "per_second", where)
    per_video = _decimal(row, "per_video", where)
    if (per_second is None) == (per_video is None):
        raise PricingConfigError(f"{where}: give exactly one of per_second or per_video")
    duration = row.get("duration")
    if per_video is not None and (
        not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0
    ):
        raise PricingConfigError(f"{where}: per_video needs duration, the video length in seconds it prices")
    free_images = row.get("free_images", 0)
    if not isinstance(free_images, int) or isinstance(free_images, bool) or free_images < 0:
        raise PricingConfigError(f"{where}: free_images must be an integer >= 0, got {free_images!r}")
    reference_video = row.get("reference_video")
    if reference_video not in (None, "per_second"):
        raise PricingConfigError(f"{where}: reference_video must be 'per_second' or absent")
    return PriceRow(
        model=model,
        region=region,
        currency=currency.upper(),
        resolution=resolution.upper() if resolution else None,
        per_second=per_second,
        per_video=per_video,
        duration=duration if per_video is not None else None,
        free_images=free_images,
        per_image=_decimal(row, "per_image", where),
        reference_video=reference_video,
        source=str(row.get("source") or default_source),
        date=str(row.get("date") or ""),
    )


def parse_rows(raw: Any, origin: str) -> list[PriceRow]:
    """User rows from a JSON text, a list of rows, or ``{"rows": [...]}``; ``origin`` names where they
    came from in every error and becomes each row's source unless the row gives one."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise PricingConfigError(f"{origin}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if isinstance(raw, Mapping):
        raw = raw.get("rows")
    if not isinstance(raw, list):
        raise PricingConfigError(f"{origin}: expected a list of price rows or {{'rows': [...]}}")
    return [parse_row(row, f"{origin} row {i + 1}", default_source=origin) for i, row in enumerate(raw)]


@dataclass(frozen=True)
class PriceTable:
    rows: tuple[PriceRow, ...]

    def with_overrides(self, rows: Iterable[PriceRow]) -> PriceTable:
        """User rows first: among equally specific matches the first row wins."""
        return PriceTable((*rows, *self.rows))

    def find(
        self, model: str, region: str, resolution: str | None, duration: float | None
    ) -> PriceRow | None:
        best: PriceRow | None = None
        for row in self.rows:
            if row.matches(model, region, resolution, duration) and (
                best is None or row.specificity > best.specificity
            ):
                best = row
        return best


@lru_cache(maxsize=1)
def builtin_table() -> PriceTable:
    data = json.loads(_TABLE_PATH.read_text(encoding="utf-8"))
    return PriceTable(tuple(parse_rows(data, "prices.json")))


def price_table(overrides: Sequence[tuple[Any, str]] = ()) -> PriceTable:
    """The built-in table under user rows; ``overrides`` are (raw rows, origin), highest priority first."""
    table = builtin_table()
    for raw, origin in reversed(overrides):
        table = table.with_overrides(parse_rows(raw, origin))
    return table


def region_for_host(host: str | None) -> str:
    """MiniMax bills mainland keys (api.minimaxi.com, the default host) in CNY and international ones in USD."""
    if not host:
        return MAINLAND
    name = urlparse(host if "://" in host else f"https://{host}").hostname or ""
    return MAINLAND if any(name == h or name.endswith("." + h) for h in _MAINLAND_HOSTS) else INTERNATIONAL


def estimate_cost(
    model: str,
    resolution: str | None,
    duration: float | None,
    *,
    region: str = INTERNATIONAL,
    images: int = 0,
    reference_video_seconds: float = 0.0,
    table: PriceTable | None = None,
) -> CostEstimate | None:
    """The expected bill of one generation, or None when the table has no price for it.

    ``images`` counts every input image (first and last frames included); ``reference_video_seconds``
    is the length of reference videos, rounded up to whole seconds as MiniMax bills them.
    """
    if region not in REGIONS:
        raise ValueError(f"region must be one of {list(REGIONS)}, got {region!r}")
    if images < 0 or reference_video_seconds < 0:
        raise ValueError("images and reference_video_seconds must be >= 0")
    resolution = resolution.upper() if resolution else None
    row = (table or builtin_table()).find(model, region, resolution, duration)
    if row is None:
        return None
    parts: list[str] = []
    if row.per_video is not None:
        amount = row.per_video
        parts.append(f"{row.duration} s video at {format_money(row.per_video, row.currency)}")
    else:
        if duration is None or duration <= 0:
            return None
        assert row.per_second is not None
        seconds = Decimal(str(duration))
        amount = seconds * row.per_second
        parts.append(f"{seconds.normalize():f} s × {format_money(row.per_second, row.currency)}/s")
    if reference_video_seconds and row.reference_video == "per_second" and row.per_second is not None:
        ref = math.ceil(reference_video_seconds)
        amount += ref * row.per_second
        parts.append(f"{ref} s reference video × {format_money(row.per_second, row.currency)}/s")
    charged_images = max(0, images - row.free_images)
    if charged_images and row.per_image is not None:
        amount += charged_images * row.per_image
        parts.append(
            f"{charged_images} image(s) beyond {row.free_images} free × {format_money(row.per_image, row.currency)}"
        )
    label = f"{model} {resolution or ''}".strip()
    return CostEstimate(
        amount=amount.quantize(Decimal("0.0001")),
        currency=row.currency,
        basis=f"{label}: " + " + ".join(parts),
        source=row.source,
        date=row.date,
        region=region,
    )


def images_in_payload(payload: Mapping[str, Any]) -> int:
    """Input images of a v1 create body: first and last frames, and every subject reference image."""
    count = sum(1 for name in ("first_frame_image", "last_frame_image") if payload.get(name))
    for ref in payload.get("subject_reference") or ():
        images = ref.get("image") if isinstance(ref, Mapping) else None
        count += len(images) if isinstance(images, list) else (1 if images else 0)
    return count


def estimate_request(
    payload: Mapping[str, Any], *, region: str, table: PriceTable | None = None
) -> CostEstimate | None:
    """The estimate of a validated create body; MiniMax's defaults fill what the body leaves out
    (the model's default resolution, 6 seconds)."""
    from airflow_provider_hailuo.catalogue import get_model

    model = str(payload.get("model") or "")
    spec = get_model(model)
    resolution = payload.get("resolution") or (spec.default_resolution if spec else None)
    duration = payload.get("duration") or 6
    return estimate_cost(
        model,
        str(resolution) if resolution else None,
        float(duration),
        region=region,
        images=images_in_payload(payload),
        table=table,
    )
