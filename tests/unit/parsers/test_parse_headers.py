from datetime import UTC, datetime

from parsers import parse
from parsers.headers import decode_header
from tests.unit.parsers.parser_mails import mail


def test_encoded_words_q_and_b_with_whitespace_between_adjacent_words_dropped():
    assert decode_header("=?utf-8?q?J=C3=BCrgen?= =?utf-8?b?TcO8bGxlcg==?=", []) == "JürgenMüller"
    assert decode_header("Re: =?iso-8859-1?q?Gr=FC=DFe?= aus Bonn", []) == "Re: Grüße aus Bonn"


def test_multibyte_character_split_across_two_encoded_words():
    # "日本" in UTF-8 is e6 97 a5 e6 9c ac; each first word ends in the middle of "本"
    assert decode_header("=?UTF-8?B?5pel5g==?=\n =?UTF-8?B?nKw=?=", []) == "日本"
    assert decode_header("=?utf-8?q?=E6=97=A5=E6?= =?utf-8?q?=9C=AC?=", []) == "日本"


def test_unencoded_8bit_header_is_read_as_utf8_or_the_mails_charset():
    raw = mail("From: a@example.com\nSubject: Grüße aus München")
    assert parse(raw).subject == "Grüße aus München"
    latin = "Subject: Gr\xfc\xdfe\nContent-Type: text/plain; charset=iso-8859-1".encode("latin-1")
    assert parse(latin + b"\n\nx\n").subject == "Grüße"


def test_wrong_charset_label_on_encoded_word_is_repaired():
    # UTF-8 bytes labelled iso-8859-1, and Shift_JIS bytes labelled iso-2022-jp
    assert decode_header("=?iso-8859-1?q?Gr=C3=BC=C3=9Fe?=", []) == "Grüße"
    sjis = "ツール".encode("cp932")
    encoded = "".join(f"={b:02X}" for b in sjis)
    assert decode_header(f"=?iso-2022-jp?q?{encoded}?=", []) == "ツール"


def test_broken_encoded_words_never_raise_and_keep_text():
    for value in ["=?utf-8?b?####?=", "=?nonsense?q?abc?=", "=?utf-8?q?unterminated", "=?=?=??=?"]:
        assert isinstance(decode_header(value, []), str)
    assert decode_header("=?x-unknown?q?abc?=", []) == "abc"


def test_folded_and_overlong_headers():
    raw = mail("From: a@example.com\nSubject: a very\n  long\n\tsubject\nX-Long: " + "x" * 100_000)
    parsed = parse(raw)
    assert parsed.subject == "a very  long\tsubject"
    assert len(parsed.header("X-Long") or "") <= 16_384
    assert any("X-Long" in d for d in parsed.defects)


def test_duplicate_and_missing_key_headers():
    parsed = parse(mail("From: first@example.com\nFrom: second@example.com\nSubject: s"))
    assert parsed.from_ and parsed.from_.email == "first@example.com"
    assert parsed.message_id is None and parsed.date is None
    assert any("from: appears 2 times" in d for d in parsed.defects)
    assert any("message-id: missing" in d for d in parsed.defects)


def test_message_ids_in_reply_to_and_references_without_brackets():
    parsed = parse(
        mail(
            "From: a@example.com\nMessage-ID: <abc@example.com>\n"
            "In-Reply-To: <x@example.com> (Jane's message of Monday)\n"
            "References: <y@example.com>\n <x@\n example.com>"
        )
    )
    assert parsed.message_id == "abc@example.com"
    assert parsed.in_reply_to == ["x@example.com"]
    assert parsed.references == ["y@example.com", "x@example.com"]
    bare = parse(mail("From: a@example.com\nMessage-Id: 20200123.05D7@example.com"))
    assert bare.message_id == "20200123.05D7@example.com"


def test_dates_tolerant_and_aware():
    parsed = parse(mail("From: a@example.com\nDate: Wed, 25 Nov 2026 10:00:00 +0100"))
    assert parsed.date == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    naive = parse(mail("From: a@example.com\nDate: 25 Nov 2026 10.00.00"))
    assert naive.date is not None and naive.date.tzinfo is not None
    assert parse(mail("From: a@example.com\nDate: soon")).date is None


def test_unindented_continuation_lines_do_not_end_the_header_block():
    raw = mail(
        "Received: by x\nX-Tracker: AAAA\nBBBBBBBBBBBBBBBB\nFrom: a@example.com\nSubject: kept\n"
        'Content-Type: multipart/alternative;\nboundary="b1"',
        "--b1\nContent-Type: text/plain\n\nbody text\n--b1--\n",
    )
    parsed = parse(raw)
    assert parsed.subject == "kept" and parsed.body.text.strip() == "body text"


def test_overlong_references_keep_the_root_and_the_latest_parents():
    ids = [f"id{i}@example.com" for i in range(2000)]
    parsed = parse(mail("From: a@example.com\nReferences: " + " ".join(f"<{i}>" for i in ids)))
    assert parsed.references[0] == ids[0] and parsed.references[-1] == ids[-1]
