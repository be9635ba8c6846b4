"""Reading note exports and writing result tables, chunk by chunk.

Readers stream CSV/TSV (UTF-8, UTF-8 with BOM or cp1252, found by reading the bytes), Parquet,
JSON Lines and Excel ``.xlsx`` as :class:`~casenotes.io.schema.Chunk` objects, so memory
does not grow with the file. Writers pick the format from the extension (``-`` is CSV on stdout) and
write beside the target, renaming on success: an interrupted run leaves no half-written file.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import pyarrow as pa

from ..errors import InputError, OutputError
from ..lifetime import stale_partials
from .arrow import pandas_metadata, pandas_table
from .schema import (
    EVENT_COLUMNS,
    HAZARD_COLUMNS,
    ID_COLUMN_NAMES,
    MENTION_COLUMNS,
    NOTE_COLUMNS,
    TEXT_COLUMN_NAMES,
    Chunk,
    pick_column,
)

if TYPE_CHECKING:  # pandas is imported when a table is written or read back
    import pandas as pd

INPUT_FORMATS: Final = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet",
    ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".xlsx": "xlsx",
}
OUTPUT_FORMATS: Final = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet",
                         ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}
ENCODINGS: Final = ("auto", "utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")
_SURROGATE = re.compile("[\udc80-\udcff]")
#: A character beyond ASCII that decoded as UTF-8 (not an undecodable byte).
_WIDE = re.compile("[^\x00-\x7f\udc80-\udcff]")
NOT_UTF8: Final = ("bytes in this row are not UTF-8 (binary junk, or a row pasted in another "
                   "encoding); it was not scored: fix the row or re-export the file as UTF-8")
EXCEL_MAX_ROWS: Final = 1_048_575
_SCAN_BLOCK: Final = 1 << 20


def _broken(detail: str) -> str:
    return (f"the quoting of this row is broken ({detail}); it was not scored: fix the quotes "
            "or re-export the file")


def input_format(path: Path) -> str:
    """The format of an input file, from its extension (``.gz`` allowed for text formats)."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = INPUT_FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InputError(
            f"{path.name}: cannot tell the format from the extension; use .csv, .tsv, .parquet, "
            ".jsonl or .xlsx")
    return fmt


def _open_binary(path: Path) -> IO[bytes]:
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give the export file inside it")
    try:
        raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by the reader
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions") \
            from None
    if path.suffix.lower() == ".gz":
        return gzip.open(raw)  # type: ignore[return-value]
    return raw


def detect_encoding(path: Path) -> str:
    """How to read a text export, from its bytes.

    ``utf-8-sig`` for a UTF-8 BOM, ``utf-16`` for a UTF-16 BOM, ``utf-8`` if every byte
    decodes, ``cp1252`` if no byte sequence is UTF-8 beyond ASCII but some bytes are not, and
    ``utf-8+junk`` for a UTF-8 file with some bytes that are not (binary junk, or rows pasted
    in another encoding): read as UTF-8, those rows are marked failed. Reads the whole file
    (a sample can miss the one bad byte in row 900,000): once with the UTF-8 codec, and only
    if that fails, once more to tell the other cases apart.
    """
    with _open_binary(path) as raw:
        try:
            head = raw.read(4)
            if head.startswith(codecs.BOM_UTF8):
                return "utf-8-sig"
            if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                return "utf-16"
            if _is_utf8(raw, head):
                return "utf-8"  # the common case, told by the codec alone: 50 MB in 0.05 s
            raw.seek(0)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
            invalid = wide = False
            block = raw.read(_SCAN_BLOCK)
            # Regex searches, not a loop over characters: 128 MB in well under a second.
            while block and not (invalid and wide):
                text = decoder.decode(block)
                if not text.isascii():
                    invalid = invalid or _SURROGATE.search(text) is not None
                    wide = wide or _WIDE.search(text) is not None
                block = raw.read(_SCAN_BLOCK)
            if not block:
                invalid = invalid or _SURROGATE.search(decoder.decode(b"", final=True)) is not None
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: cannot be read ({exc}); is the file complete?") from None
    if not invalid:
        return "utf-8"
    return "utf-8+junk" if wide else "cp1252"


def _is_utf8(raw: IO[bytes], head: bytes) -> bool:
    """Whether the rest of ``raw``, after ``head``, is valid UTF-8: a strict decode, block by
    block, which the regex scan of :func:`detect_encoding` needs only when it is not."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    block = head
    try:
        while block:
            decoder.decode(block)
            block = raw.read(_SCAN_BLOCK)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


#: Rows read between updates of ``TableReader.bytes_read``.
_BYTES_EVERY: Final = 256


@dataclass
class TableReader:
    """Streams one export as chunks; ``columns``, ``text_column`` and ``id_column`` are known
    before the first chunk, so a wrong column name fails at once."""

    path: Path
    text: str | None = None
    id: str | None = None
    keep: Sequence[str] = ()
    chunk_size: int = 2_000
    encoding: str = "auto"
    columns: list[str] = field(default_factory=list)
    text_column: str = ""
    id_column: str | None = None
    total_rows: int | None = None
    total_bytes: int = 0
    bytes_read: int = 0
    rows_read: int = 0
    used_encoding: str = ""

    def __post_init__(self) -> None:
        self.format = input_format(self.path)
        if self.encoding not in ENCODINGS:
            raise InputError(
                f"unknown encoding {self.encoding!r}; use one of {', '.join(ENCODINGS)}")
        self._source = self._open()
        self.text_column = str(pick_column(self.columns, self.text, TEXT_COLUMN_NAMES,
                                           what="note text", option="--text-column"))
        self.id_column = pick_column(self.columns, self.id, ID_COLUMN_NAMES, what="note id",
                                     option="--id-column", required=False)
        self.keep = [str(pick_column(self.columns, name, (), what="kept column",
                                     option="--keep")) for name in self.keep]
        try:
            self.total_bytes = self.path.stat().st_size
        except OSError:
            self.total_bytes = 0

    # Each opener reads the header and returns an iterator of (row cells, problem) pairs.
    def _open(self) -> Iterator[tuple[Any, str | None]]:
        openers: dict[str, Callable[[], Iterator[tuple[Any, str | None]]]] = {
            "csv": self._open_csv, "tsv": self._open_csv, "jsonl": self._open_jsonl,
            "parquet": self._open_parquet, "xlsx": self._open_xlsx}
        return openers[self.format]()

    def _open_csv(self) -> Iterator[tuple[list[Any], str | None]]:
        encoding = detect_encoding(self.path) if self.encoding == "auto" else self.encoding
        self.used_encoding = encoding
        raw = _open_binary(self.path)
        junk = encoding == "utf-8+junk" or (encoding == "utf-8" and self.encoding != "auto")
        codec = "utf-8" if encoding == "utf-8+junk" else encoding
        errors = "replace" if encoding == "cp1252" else "surrogateescape" if junk else "strict"
        handle = io.TextIOWrapper(raw, encoding=codec, errors=errors, newline="")
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        delimiter = "\t" if self.format == "tsv" else ","
        consumed: list[str] = []

        def lines() -> Iterator[str]:
            for text_line in handle:
                consumed.append(text_line)
                yield text_line

        # strict: a stray quote is an error for that record, not a silent merge of rows
        rows = csv.reader(lines(), delimiter=delimiter, strict=True)
        try:
            header = next(rows, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"{self.path.name}: the header cannot be read ({exc}); check "
                             "--encoding") from None
        if header is None:
            raise InputError(f"{self.path.name}: the file is empty; it needs a header row")
        self.columns = [c.strip() for c in header]
        width = len(header)
        tell = raw.tell if hasattr(raw, "tell") else (lambda: 0)

        def checked(row: list[str]) -> tuple[list[Any], str | None]:
            if junk and any(_SURROGATE.search(field) for field in row):
                return ([_SURROGATE.sub("\ufffd", f) for f in row[:width]]
                        + [None] * (width - len(row)), NOT_UTF8)
            if len(row) == width:
                return row, None
            if len(row) > width and not any(row[width:]):
                return row[:width], None
            if not row:
                return [None] * width, "blank line"
            return (row + [None] * (width - len(row)))[:width], (
                f"row has {len(row)} fields but the header has {width}; a delimiter or quote "
                "in this row is probably broken")

        def salvage(raw_lines: list[str], reason: str) -> Iterator[tuple[list[Any], str | None]]:
            """A record the parser rejected: its first line is an error row (with the cells a
            lenient read finds, for the id); every later line it swallowed is read again on
            its own, so no row disappears into a runaway quote."""
            first = next(csv.reader([raw_lines[0]], delimiter=delimiter), [])
            yield (first + [None] * width)[:width], reason
            for later in raw_lines[1:]:
                try:
                    row = next(csv.reader([later], delimiter=delimiter, strict=True), [])
                except csv.Error as exc:
                    row_cells = next(csv.reader([later], delimiter=delimiter), [])
                    yield (row_cells + [None] * width)[:width], _broken(str(exc))
                else:
                    yield checked(row)

        def generate() -> Iterator[tuple[list[Any], str | None]]:
            line = 1
            try:
                while True:
                    consumed.clear()
                    try:
                        row = next(rows)
                    except StopIteration:
                        break
                    except csv.Error as exc:
                        line += len(consumed)
                        yield from salvage(list(consumed), _broken(str(exc)))
                        continue
                    line += 1
                    if not line % _BYTES_EVERY:  # for the progress bar; tell() is not free
                        self.bytes_read = tell()
                    yield checked(row)
            except UnicodeDecodeError:
                raise InputError(
                    f"{self.path.name}: bytes near row {line} are not {encoding}; pass "
                    "--encoding cp1252 (or the export's encoding)") from None
            finally:
                if not handle.closed:
                    self.bytes_read = tell()
                handle.close()
        return generate()

    def _open_jsonl(self) -> Iterator[tuple[dict[str, Any], str | None]]:
        encoding = detect_encoding(self.path) if self.encoding == "auto" else self.encoding
        self.used_encoding = encoding
        raw = _open_binary(self.path)
        junk = encoding in ("utf-8+junk", "utf-8")
        codec = "utf-8" if encoding == "utf-8+junk" else encoding
        handle = io.TextIOWrapper(raw, encoding=codec,
                                  errors="surrogateescape" if junk else "replace")
        first: list[tuple[dict[str, Any], str | None]] = []
        lines = enumerate(handle, 1)

        def parse(number: int, line: str) -> tuple[dict[str, Any], str | None]:
            if junk and _SURROGATE.search(line):
                return {}, f"line {number}: " + NOT_UTF8
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                return {}, f"line {number} is not valid JSON (truncated or broken)"
            if not isinstance(value, dict):
                return {}, f"line {number} is a JSON {type(value).__name__}, not an object"
            return value, None

        for number, line in lines:
            if line.strip():
                first.append(parse(number, line))
                if first[-1][1] is None:
                    break
        if not first or first[-1][1] is not None:
            handle.close()
            raise InputError(f"{self.path.name}: no JSON object found; each line should be "
                             '{"id": ..., "text": ...}')
        self.columns = [str(k) for k in first[-1][0]]

        def generate() -> Iterator[tuple[dict[str, Any], str | None]]:
            try:
                yield from first
                for number, line in lines:
                    self.bytes_read = raw.tell()
                    if line.strip():
                        yield parse(number, line)
            finally:
                handle.close()
        return generate()

    def _open_parquet(self) -> Iterator[tuple[dict[str, Any], str | None]]:
        import pyarrow.parquet as pq

        if self.path.is_dir():
            raise InputError(f"{self.path}: is a folder; give one Parquet file")
        try:
            parquet = pq.ParquetFile(self.path)
        except FileNotFoundError:
            raise InputError(f"{self.path}: no such file; check the path") from None
        except Exception as exc:
            raise InputError(f"{self.path.name}: not a readable Parquet file ({exc})") from None
        self.columns = list(parquet.schema_arrow.names)
        self.total_rows = parquet.metadata.num_rows

        def generate() -> Iterator[tuple[dict[str, Any], str | None]]:
            wanted = list(dict.fromkeys(
                c for c in (self.text_column, self.id_column, *self.keep) if c))
            for batch in parquet.iter_batches(batch_size=self.chunk_size, columns=wanted):
                for row in batch.to_pylist():
                    yield row, None
        return generate()

    def _open_xlsx(self) -> Iterator[tuple[list[Any], str | None]]:
        try:
            import openpyxl
        except ImportError:
            raise InputError("reading .xlsx needs the excel extra: pip install "
                             "'casenotes[excel]'") from None
        _open_binary(self.path).close()
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:
            raise InputError(f"{self.path.name}: not a readable .xlsx workbook ({exc})") \
                from None
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            book.close()
            raise InputError(f"{self.path.name}: the first sheet is empty; it needs a header")
        self.columns = ["" if c is None else str(c).strip() for c in header]
        self.total_rows = max(0, (sheet.max_row or 1) - 1)
        width = len(header)

        def generate() -> Iterator[tuple[list[Any], str | None]]:
            try:
                for row in rows:
                    cells = list(row[:width]) + [None] * (width - len(row))
                    yield cells, None
            finally:
                book.close()
        return generate()

    def chunks(self) -> Iterator[Chunk]:
        """The rows, ``chunk_size`` at a time; a missing id becomes the 1-based row number."""
        positions = {name: i for i, name in enumerate(self.columns)}
        text_at = positions[self.text_column]
        id_at = positions.get(self.id_column) if self.id_column else None
        keep_at = [(name, positions[name]) for name in self.keep]
        first = self.rows_read + 1
        ids: list[Any] = []
        texts: list[Any] = []
        kept: dict[str, list[Any]] = {name: [] for name in self.keep}
        problems: list[str | None] = []
        for cells, problem in self._source:
            self.rows_read += 1
            if isinstance(cells, dict):
                get = cells.get
                texts.append(get(self.text_column))
                ids.append(get(self.id_column) if self.id_column else self.rows_read)
                for name, _ in keep_at:
                    kept[name].append(get(name))
            else:
                texts.append(cells[text_at])
                ids.append(cells[id_at] if id_at is not None else self.rows_read)
                for name, at in keep_at:
                    kept[name].append(cells[at])
            problems.append(problem)
            if len(texts) >= self.chunk_size:
                yield Chunk(ids, texts, kept, problems if any(problems) else None, first)
                first = self.rows_read + 1
                ids, texts, problems = [], [], []
                kept = {name: [] for name in self.keep}
        if texts:
            yield Chunk(ids, texts, kept, problems if any(problems) else None, first)


# ------------------------------------------------------------------------------ writers


def partial_path(target: Path) -> Path:
    """The hidden file beside ``target`` that this process writes before renaming it into
    place (``.NAME.partial-PID``); partial files that killed runs left are removed first."""
    for stale in stale_partials(target.name, target.parent):
        (target.parent / stale).unlink(missing_ok=True)
    return target.with_name(f".{target.name}.partial-{os.getpid()}")


@contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Write to the path this yields; on success it becomes ``target`` in one rename, on any
    failure it is removed, so a reader never sees half a file."""
    partial = partial_path(target)
    try:
        yield partial
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


def write_text_atomically(target: Path, text: str) -> None:
    """``target.write_text(text)``, atomically (see :func:`atomic_output`)."""
    with atomic_output(target) as partial:
        partial.write_text(text, encoding="utf-8")


class TableWriter:
    """Writes one table chunk by chunk to CSV/TSV, Parquet, JSON Lines or .xlsx (or stdout).

    Output goes to a hidden partial file beside the target; :meth:`commit` renames it into
    place, :meth:`abort` deletes it.
    """

    def __init__(self, target: str | Path, dtypes: dict[str, str]) -> None:
        self.to_stdout = str(target) == "-"
        self.target = Path(target)
        self.dtypes = dtypes
        self.rows = 0
        self._started = False
        self._parquet: Any = None
        self._sheet: Any = None
        self._book: Any = None
        if self.to_stdout:
            self.format = "csv"
            self.partial: Path | None = None
            self._handle: IO[str] | None = sys.stdout
            return
        self.format = OUTPUT_FORMATS.get(self.target.suffix.lower(), "")
        if not self.format:
            raise OutputError(
                f"{self.target.name}: unknown output extension; use .csv, .tsv, .parquet, .jsonl "
                "or .xlsx (or - for CSV on stdout)")
        if not self.target.parent.is_dir():
            raise OutputError(f"{self.target.parent}: no such folder for the output; create it "
                              "first")
        if self.target.is_dir():
            raise OutputError(f"{self.target}: is a folder; give a file name")
        self.partial = partial_path(self.target)
        self._handle = None
        if self.format in ("csv", "tsv", "jsonl"):
            self._handle = self.partial.open("w", encoding="utf-8", newline="")

    @property
    def takes_arrow(self) -> bool:
        """Whether :meth:`write` takes an Arrow table without pandas (Parquet, CSV, TSV)."""
        return self.format in ("parquet", "csv", "tsv")

    def write(self, table: pd.DataFrame | pa.Table) -> None:
        """Append rows (the first call fixes the columns). An Arrow table (of
        :func:`~casenotes.io.arrow.arrow_table`, the columns of ``dtypes``) goes to Parquet as
        it is, with the schema metadata pandas would have written, and to CSV or TSV as
        pandas would have written it; to the other formats through pandas."""
        if isinstance(table, pa.Table) and not self.takes_arrow:
            table = pandas_table(table)
        first = not self._started
        self._started = True
        self.rows += len(table)
        if isinstance(table, pa.Table):
            if self.format == "parquet":
                self._write_parquet(table.replace_schema_metadata(
                    {b"pandas": pandas_metadata(self.dtypes)}))
            else:
                self._write_delimited(table, first)
        elif self.format in ("csv", "tsv"):
            assert self._handle is not None
            table.to_csv(self._handle, sep=self._delimiter, header=first, index=False,
                         lineterminator="\n")
        elif self.format == "jsonl":
            assert self._handle is not None
            if len(table):
                text = table.to_json(orient="records", lines=True, force_ascii=False)
                self._handle.write(text if text.endswith("\n") else text + "\n")
        elif self.format == "parquet":
            # One thread: the scoring processes have the other cores.
            self._write_parquet(pa.Table.from_pandas(table, preserve_index=False, nthreads=1))
        else:
            self._write_excel(table, first)

    @property
    def _delimiter(self) -> str:
        return "\t" if self.format == "tsv" else ","

    def _write_delimited(self, table: pa.Table, first: bool) -> None:
        """CSV or TSV of an Arrow table, byte for byte as ``DataFrame.to_csv`` writes its frame
        (the same csv writer and quoting; a float as its shortest repr, NaN and missing values
        empty), without making the frame."""
        assert self._handle is not None
        writer = csv.writer(self._handle, delimiter=self._delimiter, lineterminator="\n",
                            quoting=csv.QUOTE_MINIMAL)
        if first:
            writer.writerow(table.column_names)
        columns = []
        for column in table.columns:
            values = column.to_pylist()
            if pa.types.is_floating(column.type):
                values = [None if value != value else value for value in values]  # NaN: ""
            columns.append(values)
        writer.writerows(zip(*columns, strict=True))

    def _write_parquet(self, batch: pa.Table) -> None:
        import pyarrow.parquet as pq

        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.partial, batch.schema)
        schema = self._parquet.schema
        self._parquet.write_table(batch if batch.schema.equals(schema, check_metadata=True)
                                  else batch.cast(schema))

    def _write_excel(self, table: pd.DataFrame, first: bool) -> None:
        if self.rows > EXCEL_MAX_ROWS:
            raise OutputError(
                f"{self.target.name}: more than {EXCEL_MAX_ROWS:,} rows do not fit in an Excel "
                "sheet; write .csv or .parquet instead")
        if self._book is None:
            try:
                import openpyxl
            except ImportError:
                raise OutputError("writing .xlsx needs the excel extra: pip install "
                                  "'casenotes[excel]'") from None
            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet()
            self._sheet.append([str(c) for c in table.columns])
        import pandas as pd

        for row in table.itertuples(index=False):
            self._sheet.append([None if pd.isna(v) else v for v in row])

    def commit(self) -> None:
        """Finish the file and move it into place."""
        if self.to_stdout:
            assert self._handle is not None
            self._handle.flush()
            return
        assert self.partial is not None
        if self._handle is not None:
            self._handle.close()
        if self.format == "parquet" and self._parquet is None:
            self._empty_parquet()
        if self._parquet is not None:
            self._parquet.close()
        if self.format == "xlsx":
            if self._book is None:
                import pandas as pd

                self._write_excel(pd.DataFrame(columns=list(self.dtypes)), True)
            self._book.save(self.partial)
        self.partial.replace(self.target)

    def _empty_parquet(self) -> None:
        import pandas as pd
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(
            pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in self.dtypes.items()}),
            preserve_index=False)
        self._parquet = pq.ParquetWriter(self.partial, table.schema)
        self._parquet.write_table(table)

    def abort(self) -> None:
        """Drop the partial file."""
        if self.to_stdout or self.partial is None:
            return
        try:
            if self._handle is not None:
                self._handle.close()
            if self._parquet is not None:
                self._parquet.close()
        finally:
            self.partial.unlink(missing_ok=True)


def notes_dtypes(kept: Sequence[str]) -> dict[str, str]:
    """The notes table's columns, with kept columns after ``note_id``."""
    return {"note_id": "string", **{k: "string" for k in kept},
            **{k: v for k, v in NOTE_COLUMNS.items() if k != "note_id"}}


def mentions_dtypes() -> dict[str, str]:
    return dict(MENTION_COLUMNS)


def hazards_dtypes() -> dict[str, str]:
    return dict(HAZARD_COLUMNS)


def events_dtypes() -> dict[str, str]:
    return dict(EVENT_COLUMNS)


def read_table(path: str | Path) -> pd.DataFrame:
    """A whole result table written by ``casenotes score`` (CSV/TSV, Parquet, JSON Lines)."""
    import pandas as pd

    path = Path(path)
    fmt = OUTPUT_FORMATS.get(path.suffix.lower(), "")
    try:
        if fmt in ("csv", "tsv"):
            table = pd.read_csv(path, sep="\t" if fmt == "tsv" else ",",
                                dtype={"note_id": str, "reasons": str, "vulnerability": str,
                                       "refs": str, "about": str, "events": str},
                                keep_default_na=False)
        elif fmt == "parquet":
            table = pd.read_parquet(path)
        elif fmt == "jsonl":
            table = pd.read_json(path, lines=True, dtype={"note_id": str})
        else:
            raise InputError(f"{path.name}: read .csv, .tsv, .parquet or .jsonl tables")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path.name}: cannot be read as a table ({exc})") from None
    return table
