"""A stable binary encoding of dedup ``Features`` for the persistent index (Beam-free).

Layout: ``MAGIC`` (4 bytes), the length of a JSON header (4 bytes, little
endian), the header (scalar fields, and name/dtype/byte length of every array
field, in dataclass field order), then the raw array bytes. It never uses
pickle, so an index can be read by any version that knows the same fields;
``decode`` raises ValueError on anything else.
"""

from __future__ import annotations

import dataclasses
import struct

import numpy as np
import orjson

from newsingest.transforms.core.feature_table import Features

__all__ = ["encode", "decode", "fields_fingerprint"]

MAGIC = b"NIF1"
_LENGTH = struct.Struct("<I")


def fields_fingerprint() -> str:
    """Names of the encoded fields: an index written with other fields is incompatible."""
    return ",".join(f.name for f in dataclasses.fields(Features))


def encode(features: Features) -> bytes:
    """Bytes that ``decode`` turns back into an equal ``Features``."""
    scalars: dict = {}
    arrays: list = []
    payload: list[bytes] = []
    for field in dataclasses.fields(features):
        value = getattr(features, field.name)
        if isinstance(value, np.ndarray):
            data = np.ascontiguousarray(value).tobytes()
            arrays.append([field.name, value.dtype.str, len(data)])
            payload.append(data)
        else:
            scalars[field.name] = value
    header = orjson.dumps({"s": scalars, "a": arrays})
    return b"".join([MAGIC, _LENGTH.pack(len(header)), header, *payload])


def decode(blob: bytes) -> Features:
    """The ``Features`` encoded in ``blob``; ValueError if it is not a valid encoding."""
    if blob[:4] != MAGIC:
        raise ValueError("not an encoded Features record")
    (length,) = _LENGTH.unpack_from(blob, 4)
    header = orjson.loads(blob[8 : 8 + length])
    values = dict(header["s"])
    offset = 8 + length
    for name, dtype, size in header["a"]:
        values[name] = np.frombuffer(
            blob, dtype=np.dtype(dtype), count=size // np.dtype(dtype).itemsize, offset=offset
        ).copy()
        offset += size
    expected = {f.name for f in dataclasses.fields(Features)}
    if set(values) != expected:
        raise ValueError(f"encoded fields {sorted(values)} differ from {sorted(expected)}")
    return Features(**values)
