"""Delta tables on the local disk, named and guarded like Unity Catalog tables.

``dev.sales.orders`` lives in ``<root>/dev/sales/orders``. An environment may read every catalog but write
only its own, as its service principal would on Databricks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from deltalake import DeltaTable, write_deltalake

from ...errors import MLOpsError

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class LocalTables:
    def __init__(self, root: Path, writable_catalog: str) -> None:
        self.root = root
        self.writable_catalog = writable_catalog

    def exists(self, name: str) -> bool:
        return DeltaTable.is_deltatable(str(self._path(name)))

    def read(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        dataset = self._dataset(name, columns)
        return dataset.to_table(columns=list(columns) if columns else None).to_pandas()

    def read_batches(
        self, name: str, columns: Sequence[str] | None = None, batch_rows: int = 100_000
    ) -> Iterator[pd.DataFrame]:
        dataset = self._dataset(name, columns)
        for batch in dataset.to_batches(columns=list(columns) if columns else None, batch_size=batch_rows):
            yield batch.to_pandas()

    def overwrite(self, name: str, frame: pd.DataFrame) -> None:
        write_deltalake(
            self._writable_path(name), _to_arrow(frame), mode="overwrite", schema_mode="overwrite"
        )

    def merge(self, name: str, frame: pd.DataFrame, keys: Sequence[str]) -> None:
        path = self._writable_path(name)
        source = _to_arrow(frame)
        if not self.exists(name):
            write_deltalake(path, source)
            return
        _check_schema(name, self._dataset(name).schema, source.schema)
        predicate = " AND ".join(f"t.`{key}` = s.`{key}`" for key in keys)
        (
            DeltaTable(path)
            .merge(source=source, predicate=predicate, source_alias="s", target_alias="t")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute()
        )

    def _path(self, name: str) -> Path:
        parts = name.split(".")
        if len(parts) != 3 or not all(_IDENTIFIER.match(part) for part in parts):
            raise MLOpsError(
                f"table name '{name}' must be <catalog>.<schema>.<table> of lowercase letters, digits and '_'"
            )
        return self.root.joinpath(*parts)

    def _writable_path(self, name: str) -> str:
        path = self._path(name)
        catalog = name.split(".")[0]
        if catalog != self.writable_catalog:
            raise MLOpsError(
                f"refusing to write {name}: this environment may only write catalog "
                f"'{self.writable_catalog}' (other catalogs are read-only, as in Unity Catalog)"
            )
        path.mkdir(parents=True, exist_ok=True)
        return str(path)

    def _dataset(self, name: str, columns: Sequence[str] | None = None) -> ds.Dataset:
        """The table's current files, read with pyarrow's own filesystem: deltalake's Python filesystem
        handler, called from pyarrow's I/O threads, can abort the interpreter as it exits."""
        path = self._path(name)
        if not self.exists(name):
            raise MLOpsError(f"table {name} does not exist (looked in {path})")
        dataset = DeltaTable(str(path)).to_pyarrow_dataset(
            filesystem=pafs.SubTreeFileSystem(str(path), pafs.LocalFileSystem())
        )
        missing = [column for column in columns or () if column not in dataset.schema.names]
        if missing:
            raise MLOpsError(
                f"table {name} has no column {', '.join(missing)} (it has: {', '.join(dataset.schema.names)})"
            )
        return dataset


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


def _check_schema(name: str, table: pa.Schema, frame: pa.Schema) -> None:
    """Refuse writes Delta would silently truncate or fail on, naming the column and both types."""
    problems = []
    for field in frame:
        if field.name not in table.names:
            problems.append(f"column {field.name} is not in the table")
        elif _kind(table.field(field.name).type) != _kind(field.type):
            problems.append(
                f"column {field.name} is {_kind(field.type)} but the table stores "
                f"{_kind(table.field(field.name).type)}"
            )
    if problems:
        raise MLOpsError(f"cannot write to {name}: " + "; ".join(problems))
