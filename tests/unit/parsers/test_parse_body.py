from parsers import ParseOptions, parse
from tests.unit.parsers.parser_mails import b64, mail, multipart

HEAD = "From: a@example.com\nTo: b@example.com\nSubject: s\nMIME-Version: 1.0\n"


def test_alternative_keeps_text_and_sanitized_html_and_drops_no_file():
    body = multipart(
        "alternative",
        [
            "Content-Type: text/plain; charset=utf-8\n\nplain words",
            "Content-Type: text/html; charset=utf-8\n\n<p onclick='x()'>rich <b>words</b></p>"
            "<script>alert(1)</script>",
        ],
    )
    parsed = parse(mail(HEAD + body.split("\n\n", 1)[0], body.split("\n\n", 1)[1]))
    assert parsed.body.text == "plain words"
    assert parsed.body.html is not None and "<b>words</b>" in parsed.body.html
    assert "script" not in parsed.body.html and "onclick" not in parsed.body.html
    assert parsed.attachments == []


def split(body: str) -> tuple[str, str]:
    head, rest = body.split("\n\n", 1)
    return HEAD + head, rest


def test_html_only_mail_gets_text_derived_from_html():
    parsed = parse(mail(HEAD + "Content-Type: text/html; charset=utf-8", "<h1>Title</h1><p>para one</p>"))
    assert "Title" in parsed.body.text and "para one" in parsed.body.text
    assert parsed.body.html is not None


def test_remote_images_removed_unless_allowed_and_cid_images_kept():
    html = '<p>x</p><img src="https://tracker.example/t.gif"><img src="cid:logo@x">'
    raw = mail(HEAD + "Content-Type: text/html", html)
    strict = parse(raw).body.html or ""
    assert "tracker.example" not in strict and 'src="cid:logo@x"' in strict
    allowed = parse(raw, ParseOptions(allow_remote_content=True)).body.html or ""
    assert "tracker.example" in allowed


def test_related_html_with_inline_image_by_content_id():
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    related = multipart(
        "related",
        [
            'Content-Type: text/html\n\n<p>see <img src="cid:img1@example"></p>',
            "Content-Type: image/png\nContent-ID: <img1@example>\n"
            f"Content-Transfer-Encoding: base64\n\n{b64(png)}",
        ],
        boundary="REL",
    )
    body = multipart("alternative", ["Content-Type: text/plain\n\nsee image", related], boundary="ALT")
    parsed = parse(mail(*split(body)))
    assert parsed.body.text == "see image"
    assert 'src="cid:img1@example"' in (parsed.body.html or "")
    [image] = parsed.attachments
    assert image.content_id == "img1@example" and image.inline and image.data == png


def test_mixed_text_with_files_and_text_after_images_is_joined():
    png = b"\x89PNG" + bytes(20)
    body = multipart(
        "mixed",
        [
            "Content-Type: text/plain\n\nfirst part",
            "Content-Type: image/png; name=a.png\nContent-Disposition: inline; filename=a.png\n"
            f"Content-ID: <a1>\nContent-Transfer-Encoding: base64\n\n{b64(png)}",
            "Content-Type: text/plain\n\nsecond part",
        ],
    )
    parsed = parse(mail(*split(body)))
    assert "first part" in parsed.body.text and "second part" in parsed.body.text
    assert [a.filename for a in parsed.attachments] == ["a.png"]
    assert 'src="cid:a1"' in (parsed.body.html or "")


def test_text_is_always_present_even_without_any_body_part():
    png = b"\x89PNG" + bytes(10)
    raw = mail(HEAD + "Content-Type: image/png\nContent-Transfer-Encoding: base64", b64(png))
    parsed = parse(raw)
    assert parsed.body.text == "" and parsed.body.html is None
    assert parsed.attachments[0].data == png


def test_quoted_printable_and_crlf_bodies_read_as_lf_text():
    raw = mail(
        HEAD + "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable",
        "Gr=FC=DFe\nline two=\n continued\n",
        crlf=True,
    )
    assert parse(raw).body.text == "Grüße\nline two continued\n"


def test_multipart_without_boundary_is_read_as_text():
    parsed = parse(mail(HEAD + "Content-Type: multipart/mixed", "just text\n"))
    assert parsed.body.text.strip() == "just text"


def test_later_text_parts_are_joined_into_the_body_not_files():
    body = multipart(
        "mixed", ["Content-Type: text/plain\n\nthe message", "Content-Type: text/plain\n\nlist footer"]
    )
    parsed = parse(mail(*split(body)))
    assert parsed.body.text == "the message\nlist footer\n"
    assert parsed.attachments == [] and parsed.body.html is None


def test_single_part_text_mail_with_a_filename_is_still_the_body():
    parsed = parse(mail(HEAD + 'Content-Type: text/plain; name="note.txt"', "hello there\n"))
    assert parsed.body.text == "hello there\n" and parsed.attachments == []


def test_text_enriched_alternative_is_kept_as_a_file():
    body = multipart(
        "alternative",
        ["Content-Type: text/plain\n\nplain", "Content-Type: text/enriched\n\n<bold>rich</bold>"],
    )
    parsed = parse(mail(*split(body)))
    assert parsed.body.text == "plain" and [a.content_type for a in parsed.attachments] == ["text/enriched"]


def test_multipart_whose_boundary_lost_its_fold_is_split():
    raw = mail(
        HEAD + "Content-Type: multipart/mixed; boundary=OUT",
        '--OUT\nContent-Type: multipart/alternative;\nboundary="IN"\n\n--IN\nContent-Type: text/plain\n\n'
        "inner text\n--IN\nContent-Type: text/html\n\n<p>inner html</p>\n--IN--\n--OUT--\n",
    )
    parsed = parse(raw)
    assert parsed.body.text.strip() == "inner text" and "inner html" in (parsed.body.html or "")
    assert any("boundary repaired" in d for d in parsed.defects)


def test_multipart_with_a_wrong_declared_boundary_uses_the_one_in_the_body():
    raw = mail(
        HEAD + 'Content-Type: multipart/report; report-type=delivery-status; boundary="declared"',
        "preamble\n--used\nContent-Type: text/plain\n\nhuman part\n--used\n"
        "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nStatus: 5.1.1\n--used--\n",
    )
    parsed = parse(raw)
    assert parsed.body.text.strip() == "human part"
    assert [a.content_type for a in parsed.attachments] == ["message/delivery-status"]


def test_cr_only_line_ends_give_lf_text():
    raw = (HEAD + "Content-Type: text/plain\n\nline one\nline two\n").replace("\n", "\r").encode()
    assert parse(raw).body.text == "line one\nline two\n"


def test_content_type_with_a_missing_semicolon_is_still_text():
    parsed = parse(mail(HEAD + "Content-Type: text/plain charset=us-ascii", "plain words\n"))
    assert parsed.body.text == "plain words\n" and parsed.attachments == []


def test_html_without_charset_parameter_uses_its_meta_charset():
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
    html += "<body><p>Gr\xfc\xdfe \x93quoted\x94</p></body></html>"
    parsed = parse(mail(HEAD + "Content-Type: text/html", html.encode("latin-1")))
    assert "Grüße “quoted”" in (parsed.body.html or "")


def test_misspelled_transfer_encodings_are_decoded():
    parsed = parse(
        mail(HEAD + "Content-Type: text/plain\nContent-Transfer-Encoding: quoted_printable", "a=3Db\n")
    )
    assert parsed.body.text == "a=b\n"
    parsed = parse(mail(HEAD + "Content-Type: text/plain\nContent-Transfer-Encoding: x-base64", "aGVsbG8=\n"))
    assert parsed.body.text == "hello"


def test_empty_text_alternative_takes_its_text_from_the_html():
    body = multipart(
        "alternative", ["Content-Type: text/plain\n\n\n", "Content-Type: text/html\n\n<p>real words</p>"]
    )
    assert parse(mail(*split(body))).body.text.strip() == "real words"
