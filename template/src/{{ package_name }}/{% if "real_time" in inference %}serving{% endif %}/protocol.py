"""The scoring protocol of MLflow and Databricks Model Serving, so every client of either works unchanged.

A request is JSON with exactly one of ``dataframe_split``, ``dataframe_records``, ``instances`` or
``inputs`` (plus, optionally, ``params`` and ``client_request_id``), or CSV with a header row; UTF-8 only.
The answer is ``{"predictions": [...]}``; a mistake in the request gets a 4xx with MLflow's error JSON,
``{"error_code": "BAD_REQUEST", "message": ...}``. The local server and the unpacking of logged requests read
requests with the same functions here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

JSON = "application/json"
CSV = "text/csv"
INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
OPTIONAL_KEYS = ("params", "client_request_id")


class PayloadError(Exception):
    """A request the protocol or the model's input contract refuses: the client's mistake, never a 500."""

    def __init__(self, message: str, status: int = 400, error_code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


@dataclass(frozen=True)
class Payload:
    frame: pd.DataFrame
    """The records to score, one row each."""
    typed: bool
    """Whether the values carry their types (JSON), or are text to read as numbers where they can (CSV)."""
    params: Mapping[str, Any] = field(default_factory=dict)
    client_request_id: str | None = None


def media_type(content_type: str | None) -> str:
    """The request's media type: JSON or CSV, in UTF-8. Anything else is refused (415)."""
    mime, *parameters = [part.strip() for part in (content_type or "").split(";")]
    pairs = (parameter.partition("=") for parameter in parameters)
    options = {key.strip().lower(): value.strip().strip('"') for key, _, value in pairs}
    if mime.lower() not in (JSON, CSV):
        raise PayloadError(
            f"content type '{content_type or ''}' is not supported: send {JSON} or {CSV}", status=415
        )
    charset = options.pop("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise PayloadError(f"charset {charset} is not supported: send UTF-8", status=415)
    if options:
        raise PayloadError(f"unknown content type parameter {', '.join(options)}: only charset", status=415)
    return mime.lower()


def from_document(document: Any) -> Payload:
    """The payload of a JSON request, already decoded."""
    if not isinstance(document, dict):
        raise PayloadError(f"the request must be a JSON object with one of {', '.join(INPUT_KEYS)}")
    keys = [key for key in INPUT_KEYS if key in document]
    unknown = sorted(set(document) - {*INPUT_KEYS, *OPTIONAL_KEYS})
    if len(keys) != 1 or unknown:
        found = ", ".join(keys) or "none of them"
        extra = f"; unknown field {', '.join(unknown)}" if unknown else ""
        raise PayloadError(
            f"the request must hold exactly one of {', '.join(INPUT_KEYS)} (found {found}{extra})"
        )
    params = document.get("params") or {}
    if not isinstance(params, dict):
        raise PayloadError("params must be a JSON object")
    client_request_id = document.get("client_request_id")
    if client_request_id is not None and not isinstance(client_request_id, str):
        raise PayloadError("client_request_id must be a string")
    frame = _FRAMES[keys[0]](document[keys[0]])
    return Payload(frame, typed=True, params=params, client_request_id=client_request_id)


def from_csv(text: str) -> Payload:
    """The payload of a CSV request: a header row, then one record per row."""
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as error:  # EmptyDataError is a ValueError
        raise PayloadError(f"the CSV cannot be read: {' '.join(str(error).split())}") from None
    return Payload(frame, typed=False)


def _split(value: Any) -> pd.DataFrame:
    if not isinstance(value, dict) or not isinstance(value.get("columns"), list):
        raise PayloadError('dataframe_split must be an object with "columns" and "data"')
    columns, data = value["columns"], value.get("data")
    if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
        raise PayloadError("dataframe_split data must be a list of rows, each a list of values")
    if any(len(row) != len(columns) for row in data):
        raise PayloadError(f"every dataframe_split row must hold {len(columns)} values, one per column")
    return pd.DataFrame(data, columns=columns)


def _records(value: Any, key: str = "dataframe_records") -> pd.DataFrame:
    if not isinstance(value, list) or not all(isinstance(record, dict) for record in value):
        raise PayloadError(f"{key} must be a list of records, each an object of column: value")
    return pd.DataFrame.from_records(value)


def _instances(value: Any) -> pd.DataFrame:
    return _records(value, "instances")


def _inputs(value: Any) -> pd.DataFrame:
    """``inputs``: columns (an object of column: list of values), or records like ``instances``."""
    if isinstance(value, list):
        return _records(value, "inputs")
    if not isinstance(value, dict) or not all(isinstance(values, list) for values in value.values()):
        raise PayloadError("inputs must be an object of column: list of values, or a list of records")
    if len({len(values) for values in value.values()}) > 1:
        raise PayloadError("every inputs column must hold the same number of values")
    return pd.DataFrame(value)


_FRAMES = {
    "dataframe_split": _split,
    "dataframe_records": _records,
    "instances": _instances,
    "inputs": _inputs,
}


def error_document(error: PayloadError) -> dict[str, str]:
    return {"error_code": error.error_code, "message": str(error)}
