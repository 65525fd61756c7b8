"""MiniMax's regional API hosts. An API key works only on its own region's host.

Kept free of imports: provider metadata (``get_provider_info``), which Airflow loads while the
provider's other modules may still be importing, names them in the connection form.
"""

from __future__ import annotations

DEFAULT_HOST = "https://api.minimaxi.com"
INTERNATIONAL_HOST = "https://api.minimax.io"

#: The other region's host, for telling "wrong region" from "bad key" when testing a connection.
REGION_COUNTERPARTS: dict[str, str] = {
    DEFAULT_HOST: INTERNATIONAL_HOST,
    INTERNATIONAL_HOST: DEFAULT_HOST,
    "https://api.minimax.chat": "https://api.minimaxi.chat",
    "https://api.minimaxi.chat": "https://api.minimax.chat",
}
