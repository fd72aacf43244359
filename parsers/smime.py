"""The signed content inside an opaque S/MIME signed-data blob (application/pkcs7-mime)."""

from __future__ import annotations

from dataclasses import dataclass

SIGNED_DATA_OID = bytes.fromhex("2a864886f70d010702")  # 1.2.840.113549.1.7.2
MAX_DEPTH = 32
MAX_ELEMENTS = 10_000


class _MalformedError(ValueError):
    """The bytes are not the BER/DER structure expected."""


@dataclass(frozen=True, slots=True)
class _Element:
    """One BER element: its tag byte, where its content lies and where the next element starts."""

    tag: int
    start: int
    end: int
    after: int

    @property
    def constructed(self) -> bool:
        """True when the content is a sequence of elements."""
        return bool(self.tag & 0x20)


class _Reader:
    """A bounded BER reader (definite and indefinite lengths)."""

    def __init__(self, data: bytes) -> None:
        """Read from these bytes."""
        self.data = data
        self.elements = 0

    def element(self, pos: int, depth: int = 0) -> _Element:
        """The element starting at pos."""
        self.elements += 1
        if depth > MAX_DEPTH or self.elements > MAX_ELEMENTS or pos + 2 > len(self.data):
            raise _MalformedError("too deep, too many elements or truncated")
        tag, pos = self.data[pos], pos + 1
        if tag & 0x1F == 0x1F:  # multi-byte tag number
            while pos < len(self.data) and self.data[pos] & 0x80:
                pos += 1
            pos += 1
        length, pos = self.data[pos], pos + 1
        if length == 0x80:  # indefinite: children up to an end-of-contents marker
            end = pos
            while self.data[end : end + 2] != b"\x00\x00":
                end = self.element(end, depth + 1).after
            return _Element(tag, pos, end, end + 2)
        if length & 0x80:
            count = length & 0x7F
            length, pos = int.from_bytes(self.data[pos : pos + count], "big"), pos + count
        if pos + length > len(self.data):
            raise _MalformedError("length beyond the data")
        return _Element(tag, pos, pos + length, pos + length)

    def children(self, parent: _Element, depth: int) -> list[_Element]:
        """The elements inside a constructed element."""
        found, pos = [], parent.start
        while pos < parent.end:
            child = self.element(pos, depth + 1)
            found.append(child)
            pos = child.after
        return found

    def octets(self, element: _Element, depth: int) -> bytes:
        """An OCTET STRING's bytes, joining the chunks of a constructed (BER) one."""
        if not element.constructed:
            return self.data[element.start : element.end]
        return b"".join(self.octets(child, depth + 1) for child in self.children(element, depth))


def signed_content(blob: bytes) -> bytes | None:
    """The MIME entity an opaque signed-data blob carries, or None (encrypted, damaged, other)."""
    try:
        reader = _Reader(blob)
        content_type, wrapper = reader.children(reader.element(0), 0)[:2]
        if blob[content_type.start : content_type.end] != SIGNED_DATA_OID:
            return None
        signed_data = reader.children(wrapper, 1)[0]
        encapsulated = next(e for e in reader.children(signed_data, 2) if e.tag == 0x30)
        explicit = reader.children(encapsulated, 3)[1]
        return reader.octets(reader.children(explicit, 4)[0], 5)
    except (_MalformedError, IndexError, ValueError, StopIteration):
        return None
