"""Batch scoring on the local lakehouse, in bounded memory whatever the table's size.

The source is read one Arrow batch at a time; each batch is checked, scored and handed to the Delta writer,
which commits the whole run at once (replacing the run's earlier rows, if any): a crash writes nothing, and
re-running a run adds nothing. Duplicate keys are found before anything is scored, with hashes spilled to
disk in buckets, so memory stays flat there too.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ...errors import DuplicateKeysError, OutOfContractError
from ..base import ProblemSummary, ScoringOutcome, ScoringRequest
from .tables import LocalTables

_BUCKETS = 64
_EXAMPLES = 5


@dataclass(frozen=True)
class LocalBatchScoring:
    tables: LocalTables

    def score_table(self, request: ScoringRequest) -> ScoringOutcome:
        duplicated = self._duplicate_keys(request)
        if duplicated and request.on_duplicate_keys == "fail":
            extra = sum(duplicated.values()) - len(duplicated)
            examples = dict(list(duplicated.items())[:_EXAMPLES])
            raise DuplicateKeysError(request.source, request.key, len(duplicated), extra, examples)
        run = _Run(request, set(duplicated))
        with tempfile.TemporaryDirectory() as folder:
            rejected = Path(folder) / "quarantine.parquet"
            predictions = run.predictions(self.tables, rejected)
            first = next(predictions, None)
            try:
                if first is not None:
                    reader = pa.RecordBatchReader.from_batches(first.schema, chain([first], predictions))
                    self.tables.write(
                        request.target, reader, request.writer, mode="overwrite", replace_where=run.predicate
                    )
            except Exception:
                if run.failure is None:
                    raise
            if run.failure is not None:  # raised inside the writer's stream: the commit was aborted
                raise run.failure
            if run.quarantined:
                self._quarantine(request, rejected, run.predicate)
        return ScoringOutcome(run.scored, run.quarantined, run.dropped)

    def _quarantine(self, request: ScoringRequest, rejected: Path, predicate: str) -> None:
        parquet = pq.ParquetFile(rejected)
        reader = pa.RecordBatchReader.from_batches(parquet.schema_arrow, parquet.iter_batches())
        self.tables.write(
            request.quarantine, reader, request.writer, mode="overwrite", replace_where=predicate
        )

    def _duplicate_keys(self, request: ScoringRequest) -> dict[object, int]:
        """Keys that occur more than once, with their counts: candidates by hash, bucket by bucket, then
        confirmed on the key values themselves."""
        with tempfile.TemporaryDirectory() as folder:
            files = [(Path(folder) / str(i)).open("wb") for i in range(_BUCKETS)]
            try:
                for keys in self._keys(request):
                    hashes = pd.util.hash_array(keys)
                    buckets = hashes % _BUCKETS
                    order = np.argsort(buckets, kind="stable")
                    bounds = np.searchsorted(buckets[order], np.arange(_BUCKETS + 1))
                    for bucket in np.flatnonzero(np.diff(bounds)):
                        hashes[order[bounds[bucket] : bounds[bucket + 1]]].tofile(files[bucket])
            finally:
                for file in files:
                    file.close()
            candidates = []
            for i in range(_BUCKETS):
                hashes = np.fromfile(Path(folder) / str(i), dtype=np.uint64)
                hashes.sort()
                candidates.append(np.unique(hashes[1:][hashes[1:] == hashes[:-1]]))
        suspects = np.concatenate(candidates)
        if not len(suspects):
            return {}
        counts: dict[object, int] = {}
        for keys in self._keys(request):
            for key in keys[np.isin(pd.util.hash_array(keys), suspects)].tolist():
                counts[key] = counts.get(key, 0) + 1
        return {key: count for key, count in counts.items() if count > 1}

    def _keys(self, request: ScoringRequest) -> Iterator[np.ndarray]:
        for batch in self.tables.scan(request.source, [request.key], request.batch_rows):
            keys = batch.column(0).drop_null()  # a null key is a row problem, reported by the scorer
            yield keys.to_numpy(zero_copy_only=False)


class _Run:
    """One scoring run's stream: problems counted, bad rows set aside, good rows scored."""

    def __init__(self, request: ScoringRequest, duplicated: set[object]) -> None:
        self.request = request
        self.duplicated = np.array(list(duplicated))
        self.seen: set[object] = set()
        self.summary = ProblemSummary()
        self.scored = self.quarantined = self.dropped = 0
        self.failure: OutOfContractError | None = None
        self.predicate = f"{request.run_column} = '{request.run}'"

    def predictions(self, tables: LocalTables, rejected: Path) -> Iterator[pa.RecordBatch]:
        request = self.request
        quarantine: pq.ParquetWriter | None = None
        try:
            for batch in tables.scan(request.source, request.scorer.columns, request.batch_rows):
                batch = self._first_of_each_key(batch)
                problems, scored = request.scorer.score(batch.to_pandas())
                self.summary.add(problems)
                if problems.masks and request.on_violation == "quarantine":
                    rows = _with_reasons(batch.filter(pa.array(problems.bad)), problems.reasons(), request)
                    quarantine = quarantine or pq.ParquetWriter(rejected, rows.schema)
                    quarantine.write_table(rows)
                    self.quarantined += rows.num_rows
                if self.summary.bad_rows and request.on_violation == "fail":
                    continue  # keep counting the problems of the remaining rows, write nothing
                if len(scored):
                    self.scored += len(scored)
                    scored[request.run_column] = request.run
                    yield pa.RecordBatch.from_pandas(scored, preserve_index=False)
            if self.summary.bad_rows and request.on_violation == "fail":
                self.failure = OutOfContractError(request.source, self.summary)
                raise self.failure
        finally:
            if quarantine is not None:
                quarantine.close()

    def _first_of_each_key(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """With ``on_duplicate_keys: deduplicate``: only the first row of each duplicated key."""
        if not len(self.duplicated):
            return batch
        keys = batch.column(self.request.key).to_numpy(zero_copy_only=False)
        keep = np.ones(len(keys), dtype=bool)
        for position in np.flatnonzero(np.isin(keys, self.duplicated)):
            keep[position] = keys[position] not in self.seen
            self.seen.add(keys[position])
        self.dropped += int((~keep).sum())
        return batch.filter(pa.array(keep))


def _with_reasons(rows: pa.RecordBatch, reasons: list[str], request: ScoringRequest) -> pa.Table:
    table = pa.Table.from_batches([rows])
    now = pd.Timestamp.now(tz="UTC").as_unit("us")
    return (
        table.append_column("problems", pa.array(reasons, pa.string()))
        .append_column(request.run_column, pa.array([request.run] * rows.num_rows, pa.string()))
        .append_column("quarantined_at", pa.array([now] * rows.num_rows, pa.timestamp("us", tz="UTC")))
    )
