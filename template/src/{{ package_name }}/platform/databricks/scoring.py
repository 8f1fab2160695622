"""Batch scoring on Databricks: Spark's executors check and score the table (``mapInPandas``), nothing is
collected to the driver but counts, and the predictions replace the run's rows in one Delta commit.

Three passes over the source, each in parallel on the cluster: problems counted per column (cheap), rows
scored (the model runs once per row), and — with ``on_violation: quarantine`` — the rows out of contract set
aside with their reasons.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from ...errors import DuplicateKeysError, OutOfContractError
from ..base import ProblemSummary, RowScorer, ScoringOutcome, ScoringRequest
from .tables import SparkTables

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

_PROBLEMS_SCHEMA = "column string, problem string, rows long, bad long, example string"
_EXAMPLES = 5


@dataclass(frozen=True)
class SparkBatchScoring:
    tables: SparkTables

    def score_table(self, request: ScoringRequest) -> ScoringOutcome:
        from pyspark.sql import functions as sql
        from pyspark.sql.types import StringType, StructField, StructType

        source = self.tables.frame(request.source, request.scorer.columns)
        source, dropped = self._unique_keys(source, request)
        summary = self._problems(source, request.scorer)
        if summary.bad_rows and request.on_violation == "fail":
            raise OutOfContractError(request.source, summary)
        predictions = source.mapInPandas(
            partial(_scored, request.scorer), self._scored_schema(source, request.scorer)
        ).withColumn(request.run_column, sql.lit(request.run))
        predicate = f"{request.run_column} = '{request.run}'"
        self.tables.write(
            request.target, predictions, request.writer, mode="overwrite", replace_where=predicate
        )
        if summary.bad_rows:
            with_reasons = StructType([*source.schema.fields, StructField("problems", StringType())])
            rejected = (
                source.mapInPandas(partial(_rejected, request.scorer), with_reasons)
                .withColumn(request.run_column, sql.lit(request.run))
                .withColumn("quarantined_at", sql.current_timestamp())
            )
            self.tables.write(
                request.quarantine, rejected, request.writer, mode="overwrite", replace_where=predicate
            )
        return ScoringOutcome(summary.rows - summary.bad_rows, summary.bad_rows, dropped)

    def _unique_keys(self, source: DataFrame, request: ScoringRequest) -> tuple[DataFrame, int]:
        """The source with one row per key (``deduplicate``), or as it is when keys are unique; duplicate
        keys with ``fail`` raise with their counts and examples."""
        from pyspark.sql import Window
        from pyspark.sql import functions as sql

        key = request.key
        duplicated = source.where(sql.col(key).isNotNull()).groupBy(key).count().where("count > 1")
        counted = duplicated.agg(sql.count("*").alias("keys"), sql.sum(sql.col("count") - 1).alias("extra"))
        totals = counted.collect()[0]  # an aggregate without groups: always one row
        if not totals["keys"]:
            return source, 0
        if request.on_duplicate_keys == "fail":
            most = duplicated.orderBy(sql.desc("count")).take(_EXAMPLES)
            examples = {row[key]: row["count"] for row in most}
            raise DuplicateKeysError(request.source, key, totals["keys"], totals["extra"], examples)
        # one row per key, the same in every pass: the first by the order of its values
        first = Window.partitionBy(key).orderBy(*[sql.col(c).asc_nulls_last() for c in source.columns])
        kept = source.withColumn("_row", sql.row_number().over(first)).where("_row = 1").drop("_row")
        return kept, int(totals["extra"])

    def _problems(self, source: DataFrame, scorer: RowScorer) -> ProblemSummary:
        from pyspark.sql import functions as sql

        counted = (
            source.mapInPandas(partial(_problem_counts, scorer), _PROBLEMS_SCHEMA)
            .groupBy("column", "problem")
            .agg(
                sql.sum("rows").alias("rows"),
                sql.sum("bad").alias("bad"),
                sql.first("example").alias("example"),
            )
            .collect()
        )
        summary = ProblemSummary()
        for row in counted:
            if row["column"] is None:  # the totals of the batches
                summary.rows, summary.bad_rows = int(row["rows"]), int(row["bad"])
            else:
                summary.counts[row["column"], row["problem"]] = int(row["rows"])
                summary.examples[row["column"], row["problem"]] = row["example"]
        return summary

    def _scored_schema(self, source: DataFrame, scorer: RowScorer) -> StructType:
        """The Spark schema of the scorer's output, from scoring no rows."""
        import pyarrow as pa
        from pyspark.sql.pandas.types import from_arrow_schema

        _, empty = scorer.score(source.limit(0).toPandas())
        return from_arrow_schema(pa.Schema.from_pandas(empty, preserve_index=False))


def _problem_counts(scorer: RowScorer, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Per batch: one row of totals (no column), and a row per column and problem with its count."""
    import pandas as pd

    for batch in batches:
        problems = scorer.check(batch)
        # every column of the totals row is set: a column of only missing values would be float NaN, which
        # Arrow cannot convert to the schema's string column
        totals = {"rows": problems.rows, "bad": int(problems.bad.sum())}
        rows: list[dict[str, object]] = [{"column": None, "problem": None, **totals, "example": None}]
        rows += [
            {"column": c, "problem": p, "rows": int(mask.sum()), "bad": 0, "example": problems.examples[c, p]}
            for (c, p), mask in problems.masks.items()
        ]
        yield pd.DataFrame(rows, columns=["column", "problem", "rows", "bad", "example"])


def _scored(scorer: RowScorer, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        yield scorer.score(batch)[1]


def _rejected(scorer: RowScorer, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for batch in batches:
        problems = scorer.check(batch)
        if problems.masks:
            bad = batch[problems.bad].copy()
            bad["problems"] = problems.reasons()
            yield bad
