"""The ``unpack-requests`` task: the endpoint's logged requests, one row per scored record.

The payload table holds each request and response as raw text, as Databricks' AI Gateway logs them (and the
local server too). Unpacking reads them back with the same protocol functions the server parses requests
with, and writes the rows monitoring reads: the key (when the request had it), the champion's features,
the prediction, the version that answered, when. Each run replaces the rows of the last
``serving.unpack_days`` days, so running it again adds nothing and late-logged requests are caught.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..data.contract import InputContract
from ..errors import MLOpsError
from ..platform import Platform
from ..platform.base import MODEL_VERSION, SCORED_AT
from ..platform.endpoints import UnpackRequest
from ..platform.registry import CHAMPION
from ..settings import Settings
from ..training.estimator import prediction_columns, served_scores
from .protocol import PayloadError, from_csv, from_document
from .routes import endpoint_name, payload_table

WRITER = "unpack-requests"
SCORED = (MODEL_VERSION, SCORED_AT, "request_id", "request_date")
"""The columns after the features and the prediction."""


@dataclass(frozen=True)
class RequestUnpacker:
    contract: InputContract
    """The champion's: its key and features are the columns of the unpacked rows."""

    def unpack(self, logged: pd.DataFrame) -> pd.DataFrame:
        inputs: dict[str, list[Any]] = {name: [] for name in [self.contract.key, *self.contract.features]}
        scores: list[np.ndarray] = []
        scored: dict[str, list[Any]] = {name: [] for name in SCORED}
        for request in logged[logged["status_code"] == 200].itertuples(index=False):
            records = _records(str(request.request), str(request.response))
            if records is None:
                continue
            frame, answers = records
            for name, values in inputs.items():
                values.extend(frame[name].tolist() if name in frame.columns else [None] * len(frame))
            scores.append(answers)
            for name, value in zip(
                SCORED,
                (
                    getattr(request, MODEL_VERSION),
                    request.request_time,
                    request.databricks_request_id,
                    request.request_date,
                ),
                strict=True,
            ):
                scored[name].extend([value] * len(frame))
        return self._typed(inputs, np.concatenate(scores) if scores else np.empty(0), scored)

    def empty(self) -> pd.DataFrame:
        inputs: dict[str, list[Any]] = {name: [] for name in [self.contract.key, *self.contract.features]}
        return self._typed(inputs, np.empty(0), {name: [] for name in SCORED})

    def _typed(
        self, inputs: Mapping[str, list[Any]], scores: np.ndarray, scored: Mapping[str, list[Any]]
    ) -> pd.DataFrame:
        """The same columns and types whatever the rows: the table's schema never depends on them."""
        key = self.contract.key
        features = self.contract.features_of(
            pd.DataFrame({n: pd.Series(v, dtype=object) for n, v in inputs.items()})
        )
        times = pd.to_datetime(pd.Series(scored[SCORED_AT], dtype=object), utc=True)
        days = [pd.Timestamp(day).date() for day in scored["request_date"]]
        return pd.DataFrame(
            {
                key: _typed_key(pd.Series(inputs[key], dtype=object), self.contract.key_dtype),
                **{
                    column.name: features[column.name].astype(
                        "string" if column.kind == "categorical" else "float64"
                    )
                    for column in self.contract.columns
                },
                **prediction_columns(scores),
                MODEL_VERSION: pd.to_numeric(pd.Series(scored[MODEL_VERSION], dtype=object)).astype("Int64"),
                SCORED_AT: times.dt.as_unit("us"),
                "request_id": pd.array(scored["request_id"], dtype="string"),
                "request_date": pd.Series(days, dtype=pd.ArrowDtype(pa.date32())),
            }
        )


@dataclass(frozen=True)
class UnpackResult:
    rows: int
    source: str
    target: str
    since: date
    logged: bool
    """Whether the endpoint has logged any request yet (its payload table exists)."""


def unpack_requests(settings: Settings, platform: Platform, days: int | None = None) -> UnpackResult:
    registry = platform.registry
    source, target = payload_table(settings), settings.table(settings.serving.predictions_table)
    since = datetime.now(UTC).date() - timedelta(days=(days or settings.serving.unpack_days) - 1)
    if not platform.tables.exists(source):
        return UnpackResult(0, source, target, since, logged=False)
    champion = registry.by_alias(CHAMPION)
    if champion is None:
        raise MLOpsError(f"{registry.name} has no champion, whose features the unpacked rows would have")
    contract = InputContract.from_dict(registry.contract(str(champion.version)))
    request = UnpackRequest(
        endpoint=endpoint_name(settings.target),
        source=source,
        target=target,
        since=since,
        unpacker=RequestUnpacker(contract),
        writer=WRITER,
    )
    with platform.processes.lock(f"unpack-requests {target}", wait_seconds=0):
        rows = platform.endpoints.unpack_requests(request)
    return UnpackResult(rows, source, target, since, logged=True)


def _records(request: str, response: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """A logged request's records and the scores answered for them; None for one that cannot be read back
    (a request is JSON, or CSV with a header row)."""
    try:
        payload = (
            from_document(json.loads(request)) if request.lstrip().startswith("{") else from_csv(request)
        )
        answers = served_scores(np.asarray(json.loads(response)["predictions"]))
    except (PayloadError, ValueError, KeyError, TypeError):
        return None
    return (payload.frame, answers) if len(answers) == len(payload.frame) else None


def _typed_key(values: pd.Series, dtype: str | None) -> pd.Series:
    """Keys as the training table had them: whole numbers, numbers or text (text when unknown)."""
    kind = np.dtype(dtype).kind if dtype in ("int64", "int32", "float64", "float32") else "U"
    if kind == "U":
        return values.astype("string")
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    if kind == "f":
        return numbers.astype("Float64")
    return numbers.where(numbers == np.floor(numbers)).astype("Int64")
