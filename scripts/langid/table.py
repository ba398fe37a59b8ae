"""The hash of `rules/langid/model.bin` (format in rules/langid/README.md;
`src/langid/model.rs` must agree): written by build_model.py, read by
lookup() here."""
import struct

MAGIC = b"NORLID02"
HEADER = 24  # magic, buckets, slots, keys, unit
SLOT = 9  # fingerprint u32, five i8 weights


def fnv1a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & 0xFFFFFFFFFFFFFFFF
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & 0xFFFFFFFFFFFFFFFF
    h ^= h >> 33
    return h


def slot_of(x: int, h: int, d: int, m: int) -> int:
    f1 = x & 0xFFFFFFFF
    f2 = (h & 0xFFFFFFFF) | 1
    return (((f1 + d * f2) & 0xFFFFFFFF) * m) >> 32


class Table:
    """A model file, read for lookups."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        if self.raw[:8] != MAGIC:
            raise SystemExit(f"{path}: not a NORLID02 model")
        self.buckets, self.slots = struct.unpack("<II", self.raw[8:16])
        self.table_at = HEADER + 2 * self.buckets

    def lookup(self, key):
        """The five weights `[nor, swe, dan, eng, nn]` of `key`, or None."""
        h = fnv1a(key.encode("utf-8"))
        x = fmix64(h)
        b = ((x >> 32) * self.buckets) >> 32
        (d,) = struct.unpack_from("<H", self.raw, HEADER + 2 * b)
        at = self.table_at + slot_of(x, h, d, self.slots) * SLOT
        (fp,) = struct.unpack_from("<I", self.raw, at)
        if fp != ((h >> 32) & 0xFFFFFFFF) | 1:
            return None
        return struct.unpack_from("<5b", self.raw, at + 4)
