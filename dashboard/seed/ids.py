"""Seeded random streams and deterministic, time-ordered identifiers."""

from __future__ import annotations

import binascii
import random
import zlib

import numpy as np

SD = np.dtypes.StringDType()


class Streams:
    """Independent random streams per purpose, all derived from one seed.

    Each domain asks for its own stream by name, so adding rows in one domain never shifts the
    numbers another domain draws.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def np(self, name: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def py(self, name: str) -> random.Random:
        return random.Random(f"{self.seed}:{name}")


def uuid7(rng: np.random.Generator, ms: np.ndarray) -> np.ndarray:
    """UUIDv7 identifiers (as 32 hex digits, dtype S32) for rows created at ``ms``.

    Layout (RFC 9562): 48-bit Unix milliseconds, version 7, 12 random bits, variant 0b10, 62
    random bits. Sorting the ids sorts the rows by creation time, so B-tree inserts stay local.
    """
    ms = np.asarray(ms, dtype=np.uint64)
    n = ms.shape[0]
    hi = (ms << np.uint64(16)) | np.uint64(0x7000) | rng.integers(0, 1 << 12, n, dtype=np.uint64)
    lo = np.uint64(1 << 63) | rng.integers(0, 1 << 62, n, dtype=np.uint64)
    words = np.empty((n, 2), dtype=">u8")
    words[:, 0] = hi
    words[:, 1] = lo
    return np.frombuffer(binascii.hexlify(words.tobytes()), dtype="S32").copy()


def hex_tokens(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``n`` random lowercase hex strings of ``length`` characters (StringDType)."""
    width = (length + 1) // 2
    raw = rng.integers(0, 256, (n, width), dtype=np.uint8)
    tokens = np.frombuffer(binascii.hexlify(raw.tobytes()), dtype=f"S{2 * width}").astype(SD)
    return tokens if length == 2 * width else np.strings.slice(tokens, 0, length)


def digits(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``n`` random digit strings of exactly ``length`` characters (leading zeros kept)."""
    out = np.full(n, "", dtype=SD)
    for _ in range(length):
        out = np.strings.add(out, rng.integers(0, 10, n).astype(SD))
    return out


def numbered(prefix: str, day_numbers: np.ndarray, sequence: np.ndarray, width: int = 7) -> np.ndarray:
    """References like ``TX-20261120-0000042``: creation day plus a unique running number."""
    days = np.datetime_as_string(np.asarray(day_numbers, dtype="datetime64[D]")).astype(SD)
    days = np.strings.replace(days, "-", "")
    seq = np.strings.zfill(np.asarray(sequence).astype(SD), width)
    return np.strings.add(np.strings.add(np.strings.add(f"{prefix}-", days), "-"), seq)


def ordered(ids: np.ndarray) -> np.ndarray:
    """The permutation that sorts rows by id (= by creation time)."""
    return np.argsort(ids, kind="stable")
