"""A registered version ready to predict: its model and the input contract it was trained under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..data.contract import InputContract
from ..errors import MLOpsError
from ..platform.registry import ModelRegistry
from ..training.estimator import predict


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    model: Any
    contract: InputContract

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Scores of every row of ``frame``, given to the model as its contract prescribes: the version's own
        features, whatever the current settings list."""
        if missing := [
            column for column in self.contract.missing(frame.columns) if column != self.contract.key
        ]:
            raise MLOpsError(
                f"{self.name} version {self.version} cannot score this data: it was trained on column "
                f"{', '.join(missing)}, which the data lacks"
            )
        return predict(self.model, self.contract.features_of(frame))


def load_model(registry: ModelRegistry, version: str) -> LoadedModel:
    contract = InputContract.from_dict(registry.contract(version))
    return LoadedModel(registry.name, version, registry.load(version), contract)
