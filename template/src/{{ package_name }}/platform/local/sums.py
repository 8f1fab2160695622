"""Sums over a local table in bounded memory, whatever the table's size.

The table is read one row group at a time; each batch is summed as it comes, and the partial sums (a row
per group: small) are added up every few batches. Only a lookup table (``SumRequest.lookup``, e.g. labels:
a key and a value per row) is held in memory whole.
"""

from __future__ import annotations

from dataclasses import dataclass

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
                partials.append(sums.sums(_joined(batch.to_pandas(), lookup, request.lookup)))
            if len(partials) >= _COMBINE_EVERY:
                partials = [_added(partials, sums)]
        if not partials:
            empty = self.tables.schema(request.table, request.columns).empty_table().to_pandas()
            return sums.sums(_joined(empty, lookup, request.lookup))
        return _added(partials, sums)

    def _lookup(self, lookup: Lookup | None) -> pd.DataFrame | None:
        if lookup is None:
            return None
        frame = self.tables.read(lookup.table, [lookup.key, *lookup.columns])
        return frame.drop_duplicates(lookup.key, keep="last").set_index(lookup.key)


def _joined(frame: pd.DataFrame, other: pd.DataFrame | None, lookup: Lookup | None) -> pd.DataFrame:
    if other is None or lookup is None:
        return frame
    return frame.join(other, on=lookup.key)


def _added(partials: list[pd.DataFrame], sums: PartialSums) -> pd.DataFrame:
    """The partial sums of several batches as one: a row per group."""
    combined = pd.concat(partials, ignore_index=True)
    return combined.groupby(list(sums.keys), sort=False, dropna=False, as_index=False).sum()
