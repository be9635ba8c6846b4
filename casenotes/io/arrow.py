"""The scored tables in Arrow: how scoring builds them, and how they become pandas or Parquet.

A scoring process builds its tables with :func:`arrow_table` (no pandas import: a sixth of a
second a process); the reading process makes DataFrames of them with :func:`pandas_table`, or
writes them to Parquet as they are, with the schema metadata pandas would have written
(:func:`pandas_metadata`), so the file reads back the same either way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import metadata
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd


def arrow_table(columns: Mapping[str, Sequence[Any]], dtypes: Mapping[str, str]) -> pa.Table:
    """A table of ``columns`` (plain lists, no missing values), each as the Arrow type of its
    dtype in ``dtypes``: how scoring builds its tables.

    The arrays are made from their buffers: ``pyarrow.array`` imports pandas (to ask whether
    a list is a pandas object), a sixth of a second that a scoring process otherwise never
    spends, and is slower on a column of text.
    """
    return pa.Table.from_arrays([_ARROW_COLUMNS[dtypes[name]](values)
                                 for name, values in columns.items()], names=list(columns))


def _text_array(values: Sequence[str]) -> pa.Array:
    joined = "".join(values)
    if joined.isascii():  # a character a byte: the lengths are the strings'
        data = joined.encode("ascii")
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    else:
        # A lone surrogate (only a JSON escape can make one) is written as its escape.
        encoded = [value.encode("utf-8", "backslashreplace") for value in values]
        data = b"".join(encoded)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(values))
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(pa.large_string(), len(values),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _number_array(dtype: str, arrow_type: pa.DataType) -> Callable[[Sequence[Any]], pa.Array]:
    def made(values: Sequence[Any]) -> pa.Array:
        return pa.Array.from_buffers(arrow_type, len(values),
                                     [None, pa.py_buffer(np.asarray(values, dtype=dtype))])
    return made


def _flag_array(values: Sequence[bool]) -> pa.Array:
    bits = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])


_ARROW_COLUMNS: Final[dict[str, Callable[[Sequence[Any]], pa.Array]]] = {
    "string": _text_array, "int64": _number_array("int64", pa.int64()),
    "float64": _number_array("float64", pa.float64()), "bool": _flag_array}


def pandas_table(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of :func:`arrow_table` as pandas, with the documented dtypes: text as
    pandas' "string" (kept in Arrow where pandas stores it there), numbers and flags as numpy,
    the same frame ``pandas.DataFrame`` makes of the values with those dtypes."""
    import pandas as pd

    strings = pd.StringDtype()
    frame: pd.DataFrame = table.to_pandas(
        types_mapper={pa.large_string(): strings, pa.string(): strings}.get, use_threads=False)
    return frame


#: pyarrow's "pandas_type" and "numpy_type" of a column of each documented dtype.
_PANDAS_TYPES: Final = {"string": ("object", "string"), "int64": ("int64", "int64"),
                        "float64": ("float64", "float64"), "bool": ("bool", "bool")}


def pandas_metadata(dtypes: Mapping[str, str]) -> bytes:
    """The "pandas" schema metadata pyarrow writes for a frame of these documented dtypes
    (no index), made without pandas: a table written straight from Arrow with it reads back
    in pandas as the frame written through pandas does (a test compares the two)."""
    return _pandas_metadata(tuple(dtypes.items()))


@lru_cache(maxsize=16)
def _pandas_metadata(dtypes: tuple[tuple[str, str], ...]) -> bytes:
    # (Made once per schema: asking importlib.metadata for pandas' version reads the
    # installed packages' folders each time.)
    columns = [{"name": name, "field_name": name, "pandas_type": _PANDAS_TYPES[dtype][0],
                "numpy_type": _PANDAS_TYPES[dtype][1], "metadata": None}
               for name, dtype in dtypes]
    return json.dumps({
        "index_columns": [], "column_indexes": [], "columns": columns, "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": metadata.version("pandas")}).encode("utf-8")
