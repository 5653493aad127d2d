"""Reading a GGUF file's own metadata (its header's key/value pairs), without loading it.

Model files from package indexes are third-party uploads: before one is served, its own
metadata must name the model expected (``general.name``, ``general.architecture``). The
reader is small and bounded: it reads the header only, skips arrays (a tokenizer's 150k
tokens) without keeping them, and stops with a :class:`GGUFError` naming the file and the
byte where something is wrong, never a traceback from ``struct`` or unbounded memory.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAGIC = b"GGUF"
MAX_KEYS = 100_000
MAX_STRING = 16 * 1024 * 1024  # a chat template is a few kB; a key a few dozen bytes
MAX_ARRAY = 50_000_000

# value type -> struct format of a scalar
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
TYPE_NAMES = {
    0: "uint8",
    1: "int8",
    2: "uint16",
    3: "int16",
    4: "uint32",
    5: "int32",
    6: "float32",
    7: "bool",
    8: "string",
    9: "array",
    10: "uint64",
    11: "int64",
    12: "float64",
}


class GGUFError(Exception):
    """The file is not a GGUF file we can read; the message names file and byte."""


@dataclass(frozen=True)
class ArrayInfo:
    """An array value, summarised: its item type and length (items are not kept)."""

    item_type: str
    count: int


@dataclass
class GGUFHeader:
    version: int
    tensor_count: int
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name", ""))

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))


class _Reader:
    def __init__(self, f: BinaryIO, name: str):
        self.f, self.name, self.pos = f, name, 0

    def take(self, n: int, what: str) -> bytes:
        data = self.f.read(n)
        if len(data) != n:
            raise GGUFError(f"{self.name}: truncated at byte {self.pos + len(data)} reading {what}")
        self.pos += n
        return data

    def unpack(self, fmt: str, what: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def string(self, what: str) -> str:
        at = self.pos
        n = self.unpack("<Q", what)
        if n > MAX_STRING:
            raise GGUFError(f"{self.name}: byte {at}: {what} is {n} bytes (limit {MAX_STRING})")
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise GGUFError(f"{self.name}: byte {at}: {what} is not UTF-8") from None

    def skip_string(self, what: str) -> None:
        n = self.unpack("<Q", what)
        if n > MAX_STRING:
            raise GGUFError(f"{self.name}: byte {self.pos}: {what} is {n} bytes (too long)")
        self.take(n, what)

    def value(self, vtype: int, key: str) -> object:
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype], f"the value of {key}")
        if vtype == _STRING:
            return self.string(f"the value of {key}")
        if vtype == _ARRAY:
            at = self.pos
            item = self.unpack("<I", f"the item type of {key}")
            count = self.unpack("<Q", f"the length of {key}")
            if count > MAX_ARRAY:
                raise GGUFError(f"{self.name}: byte {at}: {key} has {count} items (too many)")
            if item in _SCALARS:
                self.take(struct.calcsize(_SCALARS[item]) * count, f"the items of {key}")
            elif item == _STRING:
                for _ in range(count):
                    self.skip_string(f"an item of {key}")
            else:
                raise GGUFError(
                    f"{self.name}: byte {at}: {key} is an array of type {item}, not supported"
                )
            return ArrayInfo(TYPE_NAMES.get(item, str(item)), count)
        raise GGUFError(f"{self.name}: byte {self.pos - 4}: {key} has unknown value type {vtype}")


def read_header(path: Path | str) -> GGUFHeader:
    """The header of the GGUF file at ``path``: version, tensor count and metadata."""
    path = Path(path)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise GGUFError(f"{path}: cannot open: {exc.strerror}") from None
    with f:
        r = _Reader(f, str(path))
        magic = r.take(4, "the magic number")
        if magic != MAGIC:
            raise GGUFError(f"{path}: not a GGUF file (starts with {magic!r}, not b'GGUF')")
        version = r.unpack("<I", "the version")
        if version not in (2, 3):
            raise GGUFError(f"{path}: GGUF version {version} is not supported (2 or 3)")
        tensors = r.unpack("<Q", "the tensor count")
        keys = r.unpack("<Q", "the key count")
        if keys > MAX_KEYS:
            raise GGUFError(f"{path}: byte 16: {keys} metadata keys (limit {MAX_KEYS})")
        header = GGUFHeader(version, tensors)
        for i in range(keys):
            key = r.string(f"key {i + 1} of {keys}")
            vtype = r.unpack("<I", f"the type of {key}")
            header.metadata[key] = r.value(vtype, key)
        return header


def write_header(path: Path | str, metadata: dict[str, object], version: int = 3) -> None:
    """Write a GGUF header with ``metadata`` and no tensors (tests make tiny files with it).

    Values: str -> string, bool -> bool, int -> uint32 (int64 if negative or large),
    float -> float32, a list of str -> array of strings."""

    def s(text: str) -> bytes:
        raw = text.encode("utf-8")
        return struct.pack("<Q", len(raw)) + raw

    out = bytearray(MAGIC + struct.pack("<IQQ", version, 0, len(metadata)))
    for key, value in metadata.items():
        out += s(key)
        if isinstance(value, bool):
            out += struct.pack("<I?", 7, value)
        elif isinstance(value, str):
            out += struct.pack("<I", _STRING) + s(value)
        elif isinstance(value, int):
            out += (
                struct.pack("<II", 4, value)
                if 0 <= value < 2**32
                else struct.pack("<Iq", 11, value)
            )
        elif isinstance(value, float):
            out += struct.pack("<If", 6, value)
        elif isinstance(value, list):
            out += struct.pack("<IIQ", _ARRAY, _STRING, len(value))
            out += b"".join(s(str(v)) for v in value)
        else:
            raise TypeError(f"cannot write {type(value).__name__} for {key}")
    Path(path).write_bytes(bytes(out))
