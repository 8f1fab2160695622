"""Sums over a local table in bounded memory, whatever the table's size.

The table is read one row group at a time; each batch is summed as it comes, and the partial sums (a row
per group: small) are added up every few batches. Only a lookup table (``SumRequest.lookup``, e.g. labels:
a key and a value per row) is held in memory whole, as sorted arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..base import Lookup, PartialSums, SumRequest
from .tables import LocalTables

_COMBINE_EVERY = 32
"""Batches whose partial sums are kept before they are added up into one."""


@dataclass(frozen=True)
class LocalTableSums:
    tables: LocalTables

    def sum_table(self, request: SumRequest) -> pd.DataFrame:
        sums = request.sums
        lookup = self._lookup(request.lookup)
        partials: list[pd.DataFrame] = []
        for batch in self.tables.scan(request.table, request.columns, request.batch_rows):
            if request.since is not None:
                column, since = request.since
                batch = batch.filter(pc.greater_equal(batch.column(column), pa.scalar(since)))
            if batch.num_rows:
                frame = batch.to_pandas()
                partials.append(sums.sums(frame if lookup is None else lookup.join(frame)))
            if len(partials) >= _COMBINE_EVERY:
                partials = [_added(partials, sums)]
        if not partials:
            empty = self.tables.schema(request.table, request.columns).empty_table().to_pandas()
            return sums.sums(empty if lookup is None else lookup.join(empty))
        return _added(partials, sums)

    def _lookup(self, lookup: Lookup | None) -> _Sorted | None:
        if lookup is None:
            return None
        frame = self.tables.read(lookup.table, [lookup.key, *lookup.columns])
        keys = frame[lookup.key].to_numpy()
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        last = np.append(keys[1:] != keys[:-1], True)  # a key held twice counts once: its last row
        values = {column: frame[column].to_numpy()[order][last] for column in lookup.columns}
        return _Sorted(lookup.key, keys[last], values)


@dataclass(frozen=True)
class _Sorted:
    """A lookup table as sorted keys and their values: 16 bytes a row for a number keyed by a number, and
    no hash table."""

    key: str
    keys: np.ndarray
    values: dict[str, np.ndarray]

    def join(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the looked-up columns, missing where the key is not found."""
        wanted = frame[self.key].to_numpy()
        positions = np.clip(np.searchsorted(self.keys, wanted), 0, max(len(self.keys) - 1, 0))
        found = self.keys[positions] == wanted if len(self.keys) else np.zeros(len(frame), dtype=bool)
        columns = {
            name: pd.Series(values[positions] if len(values) else np.nan, index=frame.index).where(found)
            for name, values in self.values.items()
        }
        return frame.assign(**columns)


def _added(partials: list[pd.DataFrame], sums: PartialSums) -> pd.DataFrame:
    """The partial sums of several batches as one: a row per group."""
    combined = pd.concat(partials, ignore_index=True)
    return combined.groupby(list(sums.keys), sort=False, dropna=False, as_index=False).sum()
