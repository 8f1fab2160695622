"""Unity Catalog tables through Spark, guarded as the local ones are.

An environment writes only its own schema (its service principal's grants say the same on Databricks), and
each table records the writer that created it as a table property: no pipeline overwrites a table it does not
own. Writes are Delta commits, atomic per call. Reads of whole tables (:meth:`SparkTables.read`) collect to
the driver and serve the small tables only (training sets, the model's history); work that grows with the data
stays in Spark (:mod:`.scoring`, :meth:`SparkTables.count_by`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from ...errors import MLOpsError
from ..base import WRITER_PROPERTY, check_owner, check_table_name, check_writable, file_format

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession


class SparkTables:
    def __init__(self, spark: SparkSession, writable_schema: str, table_format: str = "delta") -> None:
        """``table_format`` is Delta on Databricks; tests on a plain local Spark use Parquet, on which
        :meth:`version` and ``replace_where`` (Delta features) are not available."""
        self.spark = spark
        self.writable_schema = writable_schema
        self.table_format = table_format

    def exists(self, name: str) -> bool:
        check_table_name(name)
        return self.spark.catalog.tableExists(name)

    def writer(self, name: str) -> str | None:
        self._require(name)
        properties = {
            row["key"]: row["value"] for row in self.spark.sql(f"SHOW TBLPROPERTIES {name}").collect()
        }
        return properties.get(WRITER_PROPERTY)

    def version(self, name: str) -> int:
        self._require(name)
        return int(self.spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").collect()[0]["version"])

    def read(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        return self.frame(name, columns).toPandas()

    def frame(self, name: str, columns: Sequence[str] | None = None) -> DataFrame:
        """The table as a Spark DataFrame (lazy: nothing is read yet)."""
        self._require(name)
        frame = self.spark.table(name)
        missing = [column for column in columns or () if column not in frame.columns]
        if missing:
            raise MLOpsError(
                f"table {name} has no column {', '.join(missing)} (it has: {', '.join(frame.columns)})"
            )
        return frame.select(*columns) if columns else frame

    def stream(self, name: str, max_files_per_batch: int) -> DataFrame:
        """The table as a stream: the rows it holds, then the rows appended to it (Structured Streaming)."""
        self._require(name)
        return self.spark.readStream.option("maxFilesPerTrigger", max_files_per_batch).table(name)

    def count_by(self, name: str, column: str) -> dict[Any, int]:
        rows = self.frame(name, [column]).groupBy(column).count().collect()
        return {row[column]: int(row["count"]) for row in rows}

    def overwrite(self, name: str, frame: pd.DataFrame, writer: str) -> None:
        self.write(name, self.spark.createDataFrame(frame), writer, mode="overwrite")

    def append(self, name: str, frame: pd.DataFrame, writer: str) -> None:
        self.write(name, self.spark.createDataFrame(frame), writer, mode="append")

    def replace(self, name: str, frame: pd.DataFrame, writer: str, where: str) -> None:
        if frame.empty and self.exists(name):  # Spark infers no schema from no rows: take the table's
            data = self.spark.createDataFrame(frame, schema=self.frame(name).schema)
        else:
            data = self.spark.createDataFrame(frame)
        self.write(name, data, writer, mode="overwrite", replace_where=where)

    def write(
        self,
        name: str,
        data: DataFrame,
        writer: str,
        mode: Literal["append", "overwrite"],
        replace_where: str | None = None,
        transaction: tuple[str, int] | None = None,
    ) -> None:
        """Create the table as ``writer``'s, or write to it if ``writer`` owns it: ``append``, or
        ``overwrite`` everything (or only the rows matching ``replace_where``), in one commit.

        An append with a ``transaction`` (application, version) is idempotent: Delta skips it if the
        application already wrote that version (a stream's micro-batch replayed after a crash)."""
        check_writable(name, self.writable_schema)
        if not self.exists(name):
            if transaction:  # created empty: the rows go in with the transaction that makes them idempotent
                self._create(name, data.limit(0), writer)
            elif self._create(name, data, writer):
                return
        check_owner(name, self.writer(name), writer)
        columns = self._check_schema(name, data)
        if transaction:
            writes = data.select(*columns).write.format(self.table_format).mode("append")
            application, version = transaction
            writes.option("txnAppId", application).option("txnVersion", version).saveAsTable(name)
            # written through the micro-batch's session: this session's listing of the files may be stale
            self.spark.catalog.refreshTable(name)
        elif replace_where:
            writes = data.write.format(self.table_format).mode("overwrite")
            writes.option("replaceWhere", replace_where).saveAsTable(name)
        else:
            data.select(*columns).write.insertInto(name, overwrite=mode == "overwrite")

    def load_file(self, name: str, path: str, writer: str, replace: bool = False) -> int:
        fmt = file_format(path, folder=PurePosixPath(path).suffix == "")
        if self.exists(name) and not replace:
            raise MLOpsError(f"table {name} already exists; pass --replace to replace it with {path}")
        reader = self.spark.read.format(fmt)
        if fmt == "csv":
            reader = reader.option("header", True).option("inferSchema", True)
        try:
            data = reader.load(path)
        except Exception as error:  # Spark's AnalysisException: a path that is not there or not readable
            raise MLOpsError(f"cannot load {path}: {' '.join(str(error).split())[:300]}") from None
        self.write(name, data, writer, mode="overwrite")
        return self.spark.table(name).count()

    def _create(self, name: str, data: DataFrame, writer: str) -> bool:
        """Create the table with its writer recorded in the same commit; False if it exists by now."""
        from pyspark.errors import AnalysisException

        try:
            data.writeTo(name).using(self.table_format).tableProperty(WRITER_PROPERTY, writer).create()
        except AnalysisException as error:
            if "ALREADY_EXISTS" in str(error) and self.exists(name):
                return False
            raise
        return True

    def _require(self, name: str) -> None:
        if not self.exists(name):
            raise MLOpsError(f"table {name} does not exist in Unity Catalog (or you may not read it)")

    def _check_schema(self, name: str, data: DataFrame) -> list[str]:
        """Refuse writes that would change a column's type, add a column or leave one out, naming the column
        and both types; returns the table's columns, in order."""
        table = {field.name: field.dataType for field in self.spark.table(name).schema.fields}
        problems = [
            f"column {column} of the table is missing" for column in table if column not in data.columns
        ]
        problems += [
            f"column {field.name} is not in the table"
            if field.name not in table
            else f"column {field.name} is {field.dataType.simpleString()} but the table stores "
            f"{table[field.name].simpleString()}"
            for field in data.schema.fields
            if field.name not in table or _kind(table[field.name]) != _kind(field.dataType)
        ]
        if problems:
            raise MLOpsError(f"cannot write to {name}: " + "; ".join(problems))
        return list(table)


def _kind(data_type: Any) -> str:
    """Integer, floating point, text, ... : a change within a kind (int32 to int64) is no problem."""
    name = data_type.typeName()
    kinds = {
        "byte": "integer",
        "short": "integer",
        "integer": "integer",
        "long": "integer",
        "float": "floating point",
        "double": "floating point",
        "string": "string",
        "timestamp": "timestamp",
        "timestamp_ntz": "timestamp",
    }
    return kinds.get(name, name)
