"""Delta tables on the local disk, named and guarded like Unity Catalog tables.

``dev.sales.orders`` lives in ``<root>/dev/sales/orders``. An environment may read every table but write
only its own schema, as its service principal would on Databricks. Each table records the writer that created
it (a table property); a write by any other writer is refused, so no pipeline overwrites a table it does not
own.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias
from uuid import uuid4

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, WriterProperties, write_deltalake

from ...errors import MLOpsError
from ..base import WRITER_PROPERTY, check_owner, check_table_name, check_writable, file_format

ROW_GROUP_ROWS = 100_000
"""Rows per Parquet row group: a reader decodes a whole group at once, so this bounds its memory."""
FILE_BYTES = 16 * 2**20
"""Parquet file size the writer aims at; it holds a file in memory until it is written."""
_PROPERTIES = WriterProperties(max_row_group_size=ROW_GROUP_ROWS)
ArrowData: TypeAlias = pa.Table | pa.RecordBatchReader


class LocalTables:
    def __init__(self, root: Path, writable_schema: str) -> None:
        self.root = root
        self.writable_schema = writable_schema

    def exists(self, name: str) -> bool:
        return DeltaTable.is_deltatable(str(self._path(name)))

    def writer(self, name: str) -> str | None:
        return self._table(name).metadata().configuration.get(WRITER_PROPERTY)

    def version(self, name: str) -> int:
        return self._table(name).version()

    def location(self, name: str) -> Path:
        """The folder of an existing table: its Parquet files and its Delta log."""
        self._table(name)  # names a missing table
        return self._path(name)

    def transaction_version(self, name: str, application: str) -> int | None:
        """The version ``application`` recorded with its last write of the table (:meth:`write`), if any."""
        return self._table(name).transaction_version(application)

    def read(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        dataset = self._dataset(name, columns)
        return dataset.to_table(columns=list(columns) if columns else None).to_pandas()

    def count_by(self, name: str, column: str) -> dict[Any, int]:
        counts = self._dataset(name, [column]).to_table(columns=[column]).column(column).value_counts()
        return {item["values"].as_py(): item["counts"].as_py() for item in counts}

    def schema(self, name: str, columns: Sequence[str] | None = None) -> pa.Schema:
        """The table's Arrow schema (of ``columns`` only, in their order)."""
        schema = self._dataset(name, columns).schema
        return pa.schema([schema.field(column) for column in columns]) if columns else schema

    def scan(self, name: str, columns: Sequence[str] | None, batch_rows: int) -> Iterator[pa.RecordBatch]:
        """The table's rows as Arrow batches of at most ``batch_rows``, file by file and row group by row
        group: memory stays flat however slowly the batches are consumed (a dataset scanner reads ahead
        without bound). Every local table is written by :meth:`write`, unpartitioned."""
        self._dataset(name, columns)  # names a missing table or column
        for uri in self._table(name).file_uris():
            parquet = pq.ParquetFile(uri.removeprefix("file://"))
            yield from parquet.iter_batches(batch_size=batch_rows, columns=list(columns) if columns else None)

    def overwrite(self, name: str, frame: pd.DataFrame, writer: str) -> None:
        self.write(name, _to_arrow(frame), writer, mode="overwrite")

    def append(self, name: str, frame: pd.DataFrame, writer: str) -> None:
        self.write(name, _to_arrow(frame), writer, mode="append")

    def replace(self, name: str, frame: pd.DataFrame, writer: str, where: str) -> None:
        self.write(name, _to_arrow(frame), writer, mode="overwrite", replace_where=where)

    def write(
        self,
        name: str,
        data: ArrowData,
        writer: str,
        mode: Literal["append", "overwrite"],
        replace_where: str | None = None,
        transaction: tuple[str, int] | None = None,
    ) -> None:
        """Create the table as ``writer``'s, or write to it if ``writer`` owns it: ``append``, or
        ``overwrite`` everything (or only the rows matching ``replace_where``), in one atomic commit.

        ``transaction`` (application, version) is recorded in the same commit: a stream's checkpoint, which
        moves if and only if the rows are written."""
        path = self._writable_path(name)
        committed = CommitProperties(app_transactions=[Transaction(*transaction)]) if transaction else None
        if not self.exists(name):
            if self._create(path, data, writer, committed):
                return
            if isinstance(data, pa.RecordBatchReader):  # consumed by the attempt: nothing left to write
                raise MLOpsError(f"another process created {name} while this one was writing it; run again")
        check_owner(name, self.writer(name), writer)
        if mode == "append" or replace_where:
            _check_schema(name, self._dataset(name).schema, data.schema)
        if mode == "append":
            write_deltalake(
                path,
                data,
                mode="append",
                writer_properties=_PROPERTIES,
                target_file_size=FILE_BYTES,
                commit_properties=committed,
            )
        else:
            write_deltalake(
                path,
                data,
                mode="overwrite",
                predicate=replace_where,
                schema_mode=None if replace_where else "overwrite",
                writer_properties=_PROPERTIES,
                target_file_size=FILE_BYTES,
                commit_properties=committed,
            )

    def load_file(self, name: str, path: str, writer: str, replace: bool = False) -> int:
        source = Path(path)
        if not source.exists():
            raise MLOpsError(f"cannot load {path}: no such file or folder")
        fmt = file_format(path, folder=source.is_dir())
        if self.exists(name) and not replace:
            raise MLOpsError(f"table {name} already exists; pass --replace to replace it with {path}")
        try:
            dataset = ds.dataset(source, format=fmt)
            batches = dataset.scanner(batch_size=100_000, batch_readahead=1, fragment_readahead=1)
            rows = _Counted(batches.to_batches())
            self.write(
                name, pa.RecordBatchReader.from_batches(dataset.schema, rows), writer, mode="overwrite"
            )
        except (pa.ArrowInvalid, OSError) as error:
            raise MLOpsError(f"cannot load {path}: {' '.join(str(error).split())[:300]}") from None
        return rows.count

    def tables(self) -> list[str]:
        """Every table under the root, as ``catalog.schema.table``."""
        return sorted(
            ".".join(path.relative_to(self.root).parts)
            for path in self.root.glob("*/*/*")
            if not path.name.startswith(".") and DeltaTable.is_deltatable(str(path))
        )

    def drop(self, name: str) -> None:
        shutil.rmtree(self._path(name))

    def _table(self, name: str) -> DeltaTable:
        path = self._path(name)
        if not self.exists(name):
            raise MLOpsError(f"table {name} does not exist (looked in {path})")
        return DeltaTable(str(path))

    def _create(self, path: str, data: ArrowData, writer: str, committed: CommitProperties | None) -> bool:
        """Create the table with its writer recorded before it becomes visible; False if another process
        created it first."""
        staging = Path(path).with_name(f".{Path(path).name}.{uuid4().hex}.creating")
        try:
            write_deltalake(
                staging,
                data,
                mode="error",
                writer_properties=_PROPERTIES,
                target_file_size=FILE_BYTES,
                commit_properties=committed,
            )
            DeltaTable(str(staging)).alter.set_table_properties(
                {WRITER_PROPERTY: writer}, raise_if_not_exists=False
            )
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            staging.rename(path)
            return True
        except OSError:
            if DeltaTable.is_deltatable(path):
                return False
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _path(self, name: str) -> Path:
        return self.root.joinpath(*check_table_name(name))

    def _writable_path(self, name: str) -> str:
        check_writable(name, self.writable_schema)
        return str(self._path(name))

    def _dataset(self, name: str, columns: Sequence[str] | None = None) -> ds.Dataset:
        """The table's current files, read with pyarrow's own filesystem: deltalake's Python filesystem
        handler, called from pyarrow's I/O threads, can abort the interpreter as it exits."""
        path = self._path(name)
        dataset = self._table(name).to_pyarrow_dataset(
            filesystem=pafs.SubTreeFileSystem(str(path), pafs.LocalFileSystem())
        )
        missing = [column for column in columns or () if column not in dataset.schema.names]
        if missing:
            raise MLOpsError(
                f"table {name} has no column {', '.join(missing)} (it has: {', '.join(dataset.schema.names)})"
            )
        return dataset


class _Counted:
    """Batches passed through, counting their rows."""

    def __init__(self, batches: Iterable[pa.RecordBatch]) -> None:
        self.batches = iter(batches)
        self.count = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self.batches:
            self.count += batch.num_rows
            yield batch


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _kind(data_type: pa.DataType) -> str:
    checks = {
        "integer": pa.types.is_integer,
        "floating point": pa.types.is_floating,
        "string": lambda t: (
            pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
        ),
        "timestamp": pa.types.is_timestamp,
        "boolean": pa.types.is_boolean,
    }
    return next((kind for kind, check in checks.items() if check(data_type)), str(data_type))


def _check_schema(name: str, table: pa.Schema, data: pa.Schema) -> None:
    """Refuse writes Delta would silently truncate or fail on, naming the column and both types."""
    problems = []
    for field in data:
        if field.name not in table.names:
            problems.append(f"column {field.name} is not in the table")
        elif _kind(table.field(field.name).type) != _kind(field.type):
            problems.append(
                f"column {field.name} is {_kind(field.type)} but the table stores "
                f"{_kind(table.field(field.name).type)}"
            )
    if problems:
        raise MLOpsError(f"cannot write to {name}: " + "; ".join(problems))
