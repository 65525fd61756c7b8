"""Provider metadata, read by Airflow through the ``apache_airflow_provider`` entry point.

Connection-form metadata is declared here as data: Airflow 3's api-server builds the "MiniMax Hailuo"
connection form from it without importing the hook (and without Flask/WTForms).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_hailuo import __version__
from airflow_provider_hailuo.regions import DEFAULT_HOST, INTERNATIONAL_HOST


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "airflow-provider-hailuo",
        "name": "MiniMax Hailuo",
        "description": "MiniMax Hailuo video generation (text, image and subject reference to video).",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "MiniMax Hailuo",
                "external-doc-url": "https://platform.minimax.io/docs/api-reference/video-generation-t2v",
                "tags": ["ai"],
            }
        ],
        "hooks": [
            {"integration-name": "MiniMax Hailuo", "python-modules": ["airflow_provider_hailuo.hooks.hailuo"]}
        ],
        "operators": [
            {
                "integration-name": "MiniMax Hailuo",
                "python-modules": [
                    "airflow_provider_hailuo.operators.hailuo",
                    "airflow_provider_hailuo.operators.h3_regeneration",
                    "airflow_provider_hailuo.operators.h3_context_ir",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "MiniMax Hailuo",
                "python-modules": ["airflow_provider_hailuo.sensors.hailuo"],
            }
        ],
        "triggers": [
            {
                "integration-name": "MiniMax Hailuo",
                "python-modules": [
                    "airflow_provider_hailuo.triggers.hailuo",
                    "airflow_provider_hailuo.triggers.capacity",
                ],
            }
        ],
        "transfers": [
            {
                "source-integration-name": "MiniMax Hailuo",
                "target-integration-name": "Amazon Simple Storage Service (S3)",
                "python-module": "airflow_provider_hailuo.transfers.hailuo_to_s3",
            }
        ],
        "extra-links": [
            "airflow_provider_hailuo.links.hailuo.HailuoS3ObjectLink",
        ],
        "config": {
            "hailuo": {
                "description": "MiniMax Hailuo callbacks received by the api-server (docs/callbacks.md).\n",
                "options": {
                    "callback_token": {
                        "description": "Secret token(s) MiniMax must present in the callback URL "
                        "/hailuo/callback/<token>; comma-separated to accept an old and a new token "
                        "during a rotation. At least 16 characters. Empty: use the connection's "
                        "callback_token extra.\n",
                        "version_added": None,
                        "type": "string",
                        "sensitive": True,
                        "example": None,
                        "default": "",
                    },
                    "callback_conn_id": {
                        "description": "Hailuo connection whose callback_token extra is used when "
                        "callback_token is not set.\n",
                        "version_added": None,
                        "type": "string",
                        "example": None,
                        "default": "hailuo_default",
                    },
                },
            }
        },
        "connection-types": [
            {
                "connection-type": "hailuo",
                "hook-class-name": "airflow_provider_hailuo.hooks.hailuo.HailuoHook",
                "hook-name": "MiniMax Hailuo",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "login", "extra"],
                    "relabeling": {"password": "API key", "host": "Base URL"},
                    "placeholders": {
                        "password": "your MiniMax API key",
                        "host": f"{DEFAULT_HOST} (mainland) or {INTERNATIONAL_HOST} (international)",
                    },
                },
                "conn-fields": {
                    "group_id": {
                        "label": "Group ID",
                        "description": "Optional. Sent as GroupId only when set (older accounts).",
                        "schema": {"type": ["string", "null"]},
                    },
                    "request_timeout": {
                        "label": "Request timeout (seconds)",
                        "description": "Timeout of each HTTP request to the API.",
                        "schema": {"type": ["number", "null"], "minimum": 1},
                    },
                    "callback_token": {
                        "label": "Callback token",
                        "description": "Optional. Secret in the callback URL /hailuo/callback/<token> "
                        "(see docs/callbacks.md); [hailuo] callback_token takes precedence.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                },
            }
        ],
    }
