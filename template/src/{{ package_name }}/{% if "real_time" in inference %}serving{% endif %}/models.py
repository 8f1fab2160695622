"""The versions a server answers with: each checks a request against its input contract before it scores it,
and an immutable router picks the one that answers each request."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inference.model import LoadedModel
from ..platform.base import RowProblems
from ..platform.endpoints import Routes
from ..training.estimator import PYFUNC_PREDICT_FN
from .protocol import Payload, PayloadError

EXAMPLES = 3
"""Problems a refusal lists, at most."""


@dataclass(frozen=True)
class ServedModel:
    entity: str
    """The served entity's name: ``<model>-<version>``."""
    model: LoadedModel
    range_tolerance: float

    @property
    def version(self) -> str:
        return self.model.version

    def score(self, payload: Payload) -> np.ndarray:
        """What the logged MLflow model answers for the payload's records (as Databricks Model Serving
        would), once they keep this version's input contract; a :class:`PayloadError` names what does not.

        The records are the request's own: features looked up by key (a feature store) would join them
        here, before the contract check."""
        frame, contract = payload.frame, self.model.contract
        if not len(frame):
            raise PayloadError("the request holds no records to score")
        missing = [column for column in contract.features if column not in frame.columns]
        unknown = [column for column in frame.columns if column not in (*contract.features, contract.key)]
        if missing or unknown:
            raise PayloadError(self._columns_problem(missing, unknown))
        features, problems = contract.check(frame, self.range_tolerance)
        if payload.typed:
            numeric = [column.name for column in contract.columns if column.kind == "numeric"]
            problems = _with_text_in_numbers(problems, frame, numeric)
        if problems.masks:
            raise PayloadError(self._contract_problem(problems))
        return np.asarray(getattr(self.model.model, PYFUNC_PREDICT_FN)(features))

    def _columns_problem(self, missing: list[str], unknown: list[str]) -> str:
        parts = [f"missing column {', '.join(missing)}"] if missing else []
        parts += [f"unknown column {', '.join(map(str, unknown))}"] if unknown else []
        takes = ", ".join(self.model.contract.features)
        return (
            f"{'; '.join(parts)}: version {self.version} takes {takes} "
            f"(and, optionally, the key {self.model.contract.key})"
        )

    def _contract_problem(self, problems: RowProblems) -> str:
        found = [
            f"{column}: {problem} ({int(mask.sum())} of {problems.rows}, e.g. {problems.examples[key]})"
            for key, mask in itertools.islice(problems.masks.items(), EXAMPLES)
            for column, problem in [key]
        ]
        more = len(problems.masks) - EXAMPLES
        return (
            f"{int(problems.bad.sum())} of {problems.rows} records are outside the input contract of version "
            f"{self.version}: {'; '.join(found)}{f'; and {more} more problems' if more > 0 else ''}"
        )


class Router:
    """Which served version answers a request: each with its share of the requests, drawn at random.

    Immutable: a server swaps a whole new router in at once, and a request that picked its version from the
    router before finishes with it."""

    def __init__(self, routes: Routes, models: Mapping[str, ServedModel]) -> None:
        self.routes = routes
        self.served = tuple(models[route.version] for route in routes.served)
        self._bounds = list(itertools.accumulate(route.traffic_percentage for route in routes.served))

    def pick(self, draw: float) -> ServedModel:
        """The version for a request whose random ``draw`` lies in [0, 100)."""
        return self.served[min(bisect.bisect_right(self._bounds, draw), len(self.served) - 1)]


def _with_text_in_numbers(problems: RowProblems, frame: pd.DataFrame, numeric: list[str]) -> RowProblems:
    """JSON carries types: text (or true/false) where the contract has a number is refused, even text that
    reads as one, as MLflow's schema enforcement refuses it."""
    masks, examples = dict(problems.masks), dict(problems.examples)
    for column in numeric:
        values = frame[column].to_numpy()
        if values.dtype != object:
            continue
        text = np.fromiter((isinstance(value, str | bool) for value in values), bool, len(values))
        text &= ~masks.get((column, "not a number"), np.zeros(len(values), dtype=bool))
        if text.any():
            masks[column, "text, not a number"] = text
            examples[column, "text, not a number"] = repr(values[text][0])
    return RowProblems(problems.rows, masks, examples)
