import struct

from parsers import parse
from tests.unit.parsers.parser_mails import b64, mail, multipart

BASE64 = "Content-Transfer-Encoding: base64\n\n"
HEAD = "From: a@example.com\nTo: b@example.com\nSubject: s\nMIME-Version: 1.0\n"


def with_parts(*parts: str, subtype: str = "mixed") -> bytes:
    body = multipart(subtype, ["Content-Type: text/plain\n\nbody", *parts])
    head, rest = body.split("\n\n", 1)
    return mail(HEAD + head, rest)


def names(raw: bytes) -> list[str]:
    return [a.filename for a in parse(raw).attachments]


def test_filename_from_disposition_then_content_type_name():
    raw = with_parts(
        "Content-Type: application/pdf; name=ct.pdf\nContent-Disposition: attachment; filename=cd.pdf\n\nx",
        "Content-Type: application/pdf; name=only-ct.pdf\n\nx",
    )
    assert names(raw) == ["cd.pdf", "only-ct.pdf"]


def test_rfc2231_filename_with_continuations_and_charset():
    part = (
        "Content-Type: application/octet-stream\n"
        "Content-Disposition: attachment;\n filename*0*=utf-8''Gr%C3%BC%C3%9Fe%20;\n"
        " filename*1*=aus%20M%C3%BCnchen.txt\n\nx"
    )
    assert names(with_parts(part)) == ["Grüße aus München.txt"]


def test_encoded_word_and_raw_8bit_filenames():
    ew = 'Content-Type: application/pdf; name="=?utf-8?q?R=C3=A9sum=C3=A9.pdf?="\n\nx'
    raw8 = 'Content-Type: application/pdf\nContent-Disposition: attachment; filename="Bestätigung.pdf"\n\nx'
    assert names(with_parts(ew, raw8)) == ["Résumé.pdf", "Bestätigung.pdf"]


def test_path_components_are_stripped_from_filenames():
    assert names(with_parts('Content-Type: text/x-c; name="..\\\\..\\\\evil.c"\n\nx')) == ["evil.c"]


def test_attached_mail_kept_whole_and_named_after_its_subject():
    inner = "From: c@example.com\nSubject: =?utf-8?q?Urspr=C3=BCnglich?=\n\ninner body\n"
    parsed = parse(with_parts(f"Content-Type: message/rfc822\n\n{inner}"))
    [attached] = parsed.attachments
    assert attached.filename == "Ursprünglich.eml" and attached.content_type == "message/rfc822"
    assert attached.data.startswith(b"From: c@example.com") and b"inner body" in attached.data
    assert parsed.body.text.strip() == "body"


def test_delivery_report_parts_are_attachments():
    report = (
        "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
        "Final-Recipient: rfc822; x@y\nStatus: 5.1.1\n"
    )
    parsed = parse(with_parts(report, "Content-Type: text/rfc822-headers\n\nSubject: hi\n", subtype="report"))
    kinds = [a.content_type for a in parsed.attachments]
    assert kinds == ["message/delivery-status", "text/rfc822-headers"]
    assert b"Status: 5.1.1" in parsed.attachments[0].data


def tnef_attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def make_tnef(files: list[tuple[str, bytes]]) -> bytes:
    blob = struct.pack("<IH", 0x223E9F78, 1) + tnef_attribute(1, 0x9006, 0x0006, b"\x00\x00\x01\x00")
    for name, data in files:
        blob += tnef_attribute(2, 0x9002, 0x0006, bytes(14))  # attAttachRendData starts an attachment
        blob += tnef_attribute(2, 0x8010, 0x0001, name.encode() + b"\x00")  # attAttachTitle
        blob += tnef_attribute(2, 0x800F, 0x0006, data)  # attAttachData
    return blob


def test_winmail_dat_expanded_into_its_files():
    blob = make_tnef([("report.txt", b"quarterly numbers"), ("photo.jpg", b"\xff\xd8\xff" + bytes(50))])
    part = f"Content-Type: application/ms-tnef; name=winmail.dat\n{BASE64}{b64(blob)}"
    parsed = parse(with_parts(part))
    assert [(a.filename, a.data[:5]) for a in parsed.attachments] == [
        ("report.txt", b"quart"),
        ("photo.jpg", b"\xff\xd8\xff\x00\x00"),
    ]


def test_damaged_winmail_dat_is_kept_as_is():
    part = f"Content-Type: application/ms-tnef; name=winmail.dat\n{BASE64}{b64(b'junk' * 10)}"
    parsed = parse(with_parts(part))
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
    assert any("winmail.dat" in d for d in parsed.defects)


def test_inline_uuencode_becomes_an_attachment():
    import binascii

    data = bytes(range(256))
    lines = "".join(binascii.b2a_uu(data[i : i + 45]).decode() for i in range(0, len(data), 45))
    raw = mail(HEAD + "Content-Type: text/plain", f"see file\n\nbegin 644 table.csv\n{lines}`\nend\n\nbye\n")
    parsed = parse(raw)
    assert [(a.filename, a.data) for a in parsed.attachments] == [("table.csv", data)]
    assert "begin 644" not in parsed.body.text and "bye" in parsed.body.text


def test_uuencode_transfer_encoding_is_decoded():
    import binascii

    encoded = "begin 644 doc.txt\n" + binascii.b2a_uu(b"hello world").decode() + "`\nend\n"
    part = (
        f"Content-Type: application/msword; name=doc.txt\nContent-Transfer-Encoding: x-uuencode\n\n{encoded}"
    )
    assert parse(with_parts(part)).attachments[0].data == b"hello world"


def test_smime_signed_mail_shows_content_and_keeps_signature():
    body = multipart(
        "signed",
        [
            "Content-Type: text/plain\n\nsigned words",
            "Content-Type: application/pkcs7-signature; name=smime.p7s\n"
            f"Content-Disposition: attachment; filename=smime.p7s\n{BASE64}{b64(b'sig')}",
        ],
        extra='; protocol="application/pkcs7-signature"',
    )
    head, rest = body.split("\n\n", 1)
    parsed = parse(mail(HEAD + head, rest))
    assert parsed.body.text.strip() == "signed words"
    assert [(a.filename, a.data) for a in parsed.attachments] == [("smime.p7s", b"sig")]


def test_unnamed_parts_get_names_and_sizes_hashes_of_decoded_bytes():
    import hashlib

    parsed = parse(with_parts(f"Content-Type: application/octet-stream\n{BASE64}{b64(b'abc')}"))
    [part] = parsed.attachments
    assert part.filename == "file-1.bin" and part.size == 3
    assert part.sha256 == hashlib.sha256(b"abc").hexdigest()


def test_uuencode_transfer_encoding_without_begin_line():
    import binascii

    body = binascii.b2a_uu(b"Hello Zammad").decode() + "`\n"
    part = f"Content-Type: application/msword; name=a.txt\nContent-Transfer-Encoding: x-uuencode\n\n{body}"
    assert parse(with_parts(part)).attachments[0].data == b"Hello Zammad"


def test_base64_with_bad_padding_and_junk_is_repaired():
    assert names(
        with_parts("Content-Type: image/jpeg; name=a.jpg\nContent-Transfer-Encoding: base64\n\naGVsbG8")
    )
    parsed = parse(with_parts(f"Content-Type: image/jpeg; name=a.jpg\n{BASE64}aGVs\n!!bG8gd29y\nbGQ"))
    assert parsed.attachments[0].data == b"hello world"


def test_unencoded_text_attachments_get_lf_line_ends_base64_ones_stay_exact():
    sig = "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"
    raw = with_parts(
        f"Content-Type: application/pgp-signature; name=signature.asc\n\n{sig}",
        f"Content-Type: application/octet-stream; name=b.bin\n{BASE64}{b64(b'a' + bytes([13, 10]) + b'b')}",
    ).replace(b"\n", b"\r\n")
    first, second = parse(raw).attachments
    # the line end before a boundary belongs to the boundary (RFC 2046)
    assert first.data == sig.rstrip("\n").encode() and second.data == b"a\r\nb"


def test_attached_mail_headers_are_kept_as_they_arrived():
    inner = "From: c@example.com\nX-Empty:\nSubject: a long subject " + "x" * 120 + "\n folded\n\nbody\n"
    parsed = parse(with_parts(f"Content-Type: message/rfc822\n\n{inner}"))
    assert parsed.attachments[0].data == inner.rstrip("\n").encode()


def test_unnamed_parts_named_from_content_location_or_content_id():
    raw = with_parts(
        "Content-Type: image/png\nContent-Location: http://x.example/img/logo.png\n\npng",
        "Content-Type: image/jpeg\nContent-ID: <image001.jpg@01D1C2D3>\n\njpg",
    )
    assert names(raw) == ["logo.png", "image001.jpg"]


def der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def ber_indefinite(tag: int, *children: bytes) -> bytes:
    return bytes([tag, 0x80]) + b"".join(children) + b"\x00\x00"


SIGNED_DATA = bytes.fromhex("2a864886f70d010702")
DATA = bytes.fromhex("2a864886f70d010701")


def opaque_signed(entity: bytes, *, streamed: bool = False) -> bytes:
    if streamed:  # how streaming signers write it: indefinite lengths, the content in chunks
        chunks = [der(0x04, entity[i : i + 16]) for i in range(0, len(entity), 16)]
        encapsulated = ber_indefinite(
            0x30, der(0x06, DATA), ber_indefinite(0xA0, ber_indefinite(0x24, *chunks))
        )
    else:
        encapsulated = der(0x30, der(0x06, DATA) + der(0xA0, der(0x04, entity)))
    signed = der(0x30, der(0x02, b"\x01") + der(0x31, b"") + encapsulated + der(0x31, b""))
    return der(0x30, der(0x06, SIGNED_DATA) + der(0xA0, signed))


def test_opaque_smime_signed_mail_shows_its_content_and_keeps_the_blob():
    entity = b"Content-Type: text/plain\r\n\r\nsigned words\r\n"
    for streamed in (False, True):
        blob = opaque_signed(entity, streamed=streamed)
        raw = mail(
            HEAD + "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\n"
            "Content-Transfer-Encoding: base64",
            b64(blob),
        )
        parsed = parse(raw)
        assert parsed.body.text.strip() == "signed words"
        assert [(a.filename, a.data) for a in parsed.attachments] == [("smime.p7m", blob)]


def test_encrypted_or_damaged_pkcs7_is_only_a_file():
    raw = mail(
        HEAD + "Content-Type: application/pkcs7-mime; name=smime.p7m\n" + BASE64.rstrip("\n"),
        b64(b"\x30\x80" * 500),
    )
    parsed = parse(raw)
    assert parsed.body.text == "" and [a.filename for a in parsed.attachments] == ["smime.p7m"]


def test_attached_mail_sent_8bit_keeps_its_crlf_line_ends_7bit_gets_lf():
    inner = "From: c@example.com\nSubject: x\n\nbody line\nsecond line"
    for encoding, expected in (("8bit", inner.replace("\n", "\r\n")), ("7bit", inner)):
        part = f"Content-Type: message/rfc822\nContent-Transfer-Encoding: {encoding}\n\n{inner}\n"
        raw = with_parts(part).replace(b"\n", b"\r\n")
        assert parse(raw).attachments[0].data == expected.encode(), encoding
