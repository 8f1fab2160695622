"""Sums over a table on Databricks: Spark's executors sum each batch of rows (``mapInPandas``), Spark adds the
partial sums up by group, and only the result — a row per group — reaches the driver."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from ..base import PartialSums, SumRequest
from .tables import SparkTables

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql.types import StructType


@dataclass(frozen=True)
class SparkTableSums:
    tables: SparkTables

    def sum_table(self, request: SumRequest) -> pd.DataFrame:
        from pyspark.sql import functions as sql

        sums = request.sums
        frame = self.tables.frame(request.table, request.columns)
        if request.since is not None:
            column, since = request.since
            frame = frame.where(sql.col(column) >= sql.lit(since))
        if request.lookup is not None:
            lookup = request.lookup
            other = self.tables.frame(lookup.table, [lookup.key, *lookup.columns])
            frame = frame.join(other.dropDuplicates([lookup.key]), on=lookup.key, how="left")
        schema = _schema(sums.sums(frame.limit(0).toPandas()))
        values = [name for name in schema.names if name not in sums.keys]
        partials = frame.mapInPandas(partial(_sums, sums), schema)
        return partials.groupBy(*sums.keys).agg(*[sql.sum(v).alias(v) for v in values]).toPandas()


def _schema(empty: pd.DataFrame) -> StructType:
    """The Spark schema of a (typed, empty) pandas frame."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(pa.Schema.from_pandas(empty, preserve_index=False))


def _sums(sums: PartialSums, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        yield sums.sums(batch)
