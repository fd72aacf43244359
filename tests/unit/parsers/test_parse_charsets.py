import pytest

from parsers.charsets import decode_text, resolve
from parsers.jis import decode_iso2022jp


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("utf8", "utf-8"),
        ('"UTF-8"', "utf-8"),
        ("iso8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("windows-1250", "cp1250"),
        ("win-1252", "cp1252"),
        ("gb2312", "gb18030"),
        ("ks_c_5601-1987", "cp949"),
        ("shift_jis", "cp932"),
        ("cp50220", "iso-2022-jp"),
        ("iso-2022-jp-ms", "iso-2022-jp"),
        ("unicode-1-1-utf-7", "utf-7"),
        ("x-unknown", None),
        ("no-such-charset", None),
    ],
)
def test_labels_resolve_to_repaired_codecs(label, codec):
    assert resolve(label) == codec


def test_windows_1252_characters_in_latin1_mail():
    assert decode_text("“quoted” – €".encode("cp1252"), "iso-8859-1", []) == "“quoted” – €"


def test_gb2312_label_reads_gb18030_characters():
    text = "镕基 suffix"
    assert decode_text(text.encode("gb18030"), "gb2312", []) == text


def test_korean_and_japanese_vendor_charsets():
    assert decode_text("한국어".encode("cp949"), "ks_c_5601-1987", []) == "한국어"
    assert decode_text("①髙".encode("cp932"), "shift_jis", []) == "①髙"
    nec = "日本語①".encode("iso2022_jp_2004")  # NEC row 13 is cp50220's, not plain ISO-2022-JP's
    assert decode_text(nec, "iso-2022-jp", []) == "日本語①"


def test_iso2022jp_halfwidth_katakana_and_strictness():
    assert decode_iso2022jp(b"\x1b(I6@6E\x1b(B") == "ｶﾀｶﾅ"
    with pytest.raises(UnicodeDecodeError):
        decode_iso2022jp(b"\x1b$B\xff\xff\x1b(B")


def test_utf7():
    assert decode_text(b"+ANw-bermittlung", "unicode-1-1-utf-7", []) == "Übermittlung"


def test_undeclared_8bit_is_guessed():
    defects: list[str] = []
    text = "Дорогие коллеги, пожалуйста, посмотрите приложенный документ до пятницы."
    assert decode_text(text.encode("koi8-r"), None, defects) == text
    assert defects


def test_mislabelled_utf8_is_recognised():
    defects: list[str] = []
    assert decode_text("Grüße".encode(), "iso-8859-1", defects) == "Grüße"
    assert defects


def test_undecodable_bytes_become_replacement_characters_with_a_defect():
    defects: list[str] = []
    text = decode_text(b"abc\x81\xffdef", "utf-8", defects)
    assert text.startswith("abc") and text.endswith("def") and "\ufffd" in text
    assert any("replaced" in d for d in defects)


def test_utf8_with_a_cut_off_character_stays_utf8():
    defects: list[str] = []
    data = "Картинка с очень длинным именем".encode()[:-1]
    text = decode_text(data, None, defects)
    assert text.startswith("Картинка с очень") and text.endswith("\ufffd")
