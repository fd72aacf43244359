"""reply_text: the new text of a reply without quoted history and signatures."""

from __future__ import annotations

import time

import pytest

from parsers.quotes import reply_text

CASES = [
    pytest.param(
        "Thanks, that fixed it.\n\nBest,\nAnna\n\n"
        "On Tue, Nov 24, 2026 at 10:12 AM Support <support@example.com> wrote:\n> Hello Anna,\n>\n"
        "> please restart the router.\n",
        "Thanks, that fixed it.\n\nBest,\nAnna",
        id="gmail_en",
    ),
    pytest.param(
        "Yes please, go ahead.\n\n"
        "On Tue, Nov 24, 2026 at 10:12 AM Example Support Team <support@example.com>\nwrote:\n\n"
        "> Shall we cancel the order?\n",
        "Yes please, go ahead.",
        id="gmail_en_wrapped",
    ),
    pytest.param(
        "Hi,\n\nthe invoice is still missing.\n\nRegards\nPeter Miller\n\n-----Original Message-----\n"
        "From: Support <support@example.com>\nSent: Monday, November 23, 2026 9:00 AM\n"
        "To: Peter Miller <peter@example.org>\nSubject: RE: Invoice\n\n"
        "Dear Peter, we sent it yesterday.\n",
        "Hi,\n\nthe invoice is still missing.\n\nRegards\nPeter Miller",
        id="outlook_original",
    ),
    pytest.param(
        "Please call me tomorrow.\n\nJohn\n\n________________________________\n"
        "From: Support <support@example.com>\nSent: Monday, November 23, 2026 9:00 AM\n"
        "To: John Doe <john@example.org>\nSubject: Your ticket\n\nWe need more details.\n",
        "Please call me tomorrow.\n\nJohn",
        id="outlook_headers_en",
    ),
    pytest.param(
        "Works now, thank you!\n\nFrom: Support <support@example.com>\n"
        "Sent: Monday, November 23, 2026 9:00 AM\nTo: John Doe <john@example.org>\nSubject: Your ticket\n"
        "\nTry again please.\n",
        "Works now, thank you!",
        id="outlook_headers_no_rule",
    ),
    pytest.param(
        "Hallo,\n\nvielen Dank für die schnelle Hilfe.\n\nViele Grüße\nKlaus\n\n"
        "Von: Support <support@example.com>\nGesendet: Montag, 23. November 2026 09:00\n"
        "An: Klaus Weber <klaus@example.de>\nBetreff: AW: Drucker\n\nBitte den Drucker neu starten.\n",
        "Hallo,\n\nvielen Dank für die schnelle Hilfe.\n\nViele Grüße\nKlaus",
        id="outlook_de",
    ),
    pytest.param(
        "Das Problem besteht weiterhin.\n\nAm 23.11.2026 um 09:00 schrieb Support:\n"
        "> Bitte den Drucker neu starten.\n",
        "Das Problem besteht weiterhin.",
        id="thunderbird_de",
    ),
    pytest.param(
        "Danke, erledigt.\n\nAm Mo., 23. Nov. 2026 um 09:00 Uhr schrieb Support <support@example.com>:\n"
        "\n> Bitte melden Sie sich erneut an.\n",
        "Danke, erledigt.",
        id="gmail_de",
    ),
    pytest.param(
        "Merci beaucoup, c'est réglé.\n\n"
        "Le lun. 23 nov. 2026 à 09:00, Support <support@example.com> a écrit :\n\n"
        "> Pouvez-vous redémarrer ?\n",
        "Merci beaucoup, c'est réglé.",
        id="gmail_fr",
    ),
    pytest.param(
        "Bonjour,\n\ntoujours le même problème.\n\nCordialement,\nMarie\n\n"
        "De : Support <support@example.com>\nEnvoyé : lundi 23 novembre 2026 09:00\n"
        "À : Marie Dupont <marie@example.fr>\nObjet : RE: Problème\n\nMerci de redémarrer.\n",
        "Bonjour,\n\ntoujours le même problème.\n\nCordialement,\nMarie",
        id="outlook_fr",
    ),
    pytest.param(
        "Perfecto, gracias.\n\n"
        "El lun, 23 nov 2026 a las 9:00, Soporte (<support@example.com>) escribió:\n\n"
        "> ¿Puede reiniciar el equipo?\n",
        "Perfecto, gracias.",
        id="gmail_es",
    ),
    pytest.param(
        "Sigue sin funcionar.\n\nDe: Soporte <support@example.com>\n"
        "Enviado: lunes, 23 de noviembre de 2026 9:00\nPara: Juan <juan@example.es>\nAsunto: RE: Equipo\n"
        "\nReinicie el equipo.\n",
        "Sigue sin funcionar.",
        id="outlook_es",
    ),
    pytest.param(
        "Grazie, tutto risolto.\n\n"
        "Il giorno lun 23 nov 2026 alle ore 09:00 Supporto <support@example.com> ha scritto:\n\n"
        "> Può riavviare?\n",
        "Grazie, tutto risolto.",
        id="gmail_it",
    ),
    pytest.param(
        "Dank je, het werkt weer.\n\nOp ma 23 nov. 2026 om 09:00 schreef Support <support@example.com>:\n"
        "\n> Kunt u opnieuw opstarten?\n",
        "Dank je, het werkt weer.",
        id="gmail_nl",
    ),
    pytest.param(
        "Got it, thanks!\n\nSent from my iPhone\n\n"
        "> On 23 Nov 2026, at 09:00, Support <support@example.com> wrote:\n>\n> Your order has shipped.\n",
        "Got it, thanks!",
        id="apple_mail",
    ),
    pytest.param(
        "Please cancel my subscription.\n\n-- \nMax Mustermann\nExample GmbH | Phone +49 30 1234567\n",
        "Please cancel my subscription.",
        id="signature_dashes",
    ),
    pytest.param(
        "Sounds good.\n\nSent from my Android device\n\n-----Original Message-----\n"
        "From: Support <support@example.com>\n",
        "Sounds good.",
        id="android_signature",
    ),
    pytest.param(
        "Ok, bis morgen.\n\nVon meinem Samsung Galaxy Smartphone gesendet.\n",
        "Ok, bis morgen.",
        id="samsung_de",
    ),
    pytest.param(
        "Passt.\n\nVon meinem iPhone gesendet\n\n"
        "> Am 23.11.2026 um 09:00 schrieb Support <support@example.com>:\n>\n> Termin morgen?\n",
        "Passt.",
        id="iphone_de",
    ),
    pytest.param(
        "Hi team,\n\n> Could you send the logs?\n\nHere they are, attached.\n\nThanks\n",
        "Hi team,\n\n> Could you send the logs?\n\nHere they are, attached.\n\nThanks",
        id="quoted_only_bottom",
    ),
    pytest.param(
        "Hello,\n\nmy account is locked since this morning. Can you help?\n\nKind regards,\nSara\n",
        "Hello,\n\nmy account is locked since this morning. Can you help?\n\nKind regards,\nSara",
        id="plain_no_quote",
    ),
    pytest.param(
        "FYI, see below.\n\n---------- Forwarded message ---------\nFrom: Bob <bob@example.com>\n"
        "Date: Mon, Nov 23, 2026 at 9:00 AM\nSubject: Outage\n\nThe server is down.\n",
        "FYI, see below.",
        id="forwarded_message",
    ),
    pytest.param(
        "Bitte um Rückruf.\n\n________________________________\nVon: Support <support@example.com>\n"
        "Gesendet: Montag, 23. November 2026 09:00:00\nAn: kunde@example.de\nBetreff: Ihre Anfrage\n\n"
        "Wir melden uns.\n",
        "Bitte um Rückruf.",
        id="outlook_web_de_rule",
    ),
    pytest.param(
        "Thank you.\n\n"
        "    On Monday, November 23, 2026, 09:00:00 AM GMT+1, Support <support@example.com> wrote:\n\n"
        "    Your refund is on the way.\n",
        "Thank you.",
        id="yahoo_style",
    ),
    pytest.param(
        "Anbei die Unterlagen.\n\n-----Ursprüngliche Nachricht-----\nVon: Support <support@example.com>\n"
        "Gesendet: Montag, 23. November 2026 09:00\n",
        "Anbei die Unterlagen.",
        id="original_message_de",
    ),
    pytest.param(
        "I wrote: the printer is broken, on Monday.\nPlease help.\n",
        "I wrote: the printer is broken, on Monday.\nPlease help.",
        id="wrote_in_sentence",
    ),
    pytest.param(
        "Steps:\n-- open the app\n-- click login\nIt fails.\n",
        "Steps:\n-- open the app\n-- click login\nIt fails.",
        id="dash_line_in_text",
    ),
    pytest.param(
        "Obrigado, resolvido.\n\n"
        "Em seg., 23 de nov. de 2026 às 09:00, Suporte <support@example.com> escreveu:\n\n"
        "> Pode reiniciar?\n",
        "Obrigado, resolvido.",
        id="pt_gmail",
    ),
    pytest.param(
        "Tack, det fungerar.\n\nFrån: Support <support@example.com>\n"
        "Skickat: den 23 november 2026 09:00\nTill: Erik <erik@example.se>\nÄmne: SV: Problem\n",
        "Tack, det fungerar.",
        id="sv_outlook",
    ),
    pytest.param(
        "Dziękuję, działa.\n\npon., 23 lis 2026 o 09:00 Support <support@example.com> napisał(a):\n\n"
        "> Proszę zrestartować.\n",
        "Dziękuję, działa.",
        id="pl_gmail",
    ),
    pytest.param(
        "I will send the file today.\n\n*From:* Support <support@example.com>\n"
        "*Sent:* Monday, November 23, 2026 9:00 AM\n*To:* Lisa <lisa@example.org>\n*Subject:* File\n\n"
        "Could you send the file?\n",
        "I will send the file today.",
        id="outlook_bold_headers",
    ),
    pytest.param(
        "Confirmed.\n\nOn Mon, 23 Nov 2026 at 09:00, Doe, John <john@example.org> wrote:\n"
        "> Can you confirm?\n",
        "Confirmed.",
        id="gmail_name_comma",
    ),
    pytest.param(
        "Hi,\n\n> What version do you use?\n2.4.1\n\n> Which OS?\nWindows 11\n\nThanks\n",
        "Hi,\n\n> What version do you use?\n2.4.1\n\n> Which OS?\nWindows 11\n\nThanks",
        id="inline_answers",
    ),
    pytest.param(
        "The delivery arrived damaged.\n\n--\nJane Roe\nHead of Purchasing\nExample Trading Ltd.\n"
        "1 Example Street\nLondon\n+44 20 0000 0000\n",
        "The delivery arrived damaged.",
        id="long_company_sig",
    ),
    pytest.param(
        "Yes.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n________________________________\n"
        "From: Support <support@example.com>\nSent: Monday, November 23, 2026 9:00:00 AM\n"
        "To: Tom <tom@example.org>\nSubject: Question\n\nIs it working?\n",
        "Yes.",
        id="outlook_ios",
    ),
    pytest.param(
        "Siehe unten.\n\nAnfang der weitergeleiteten Nachricht:\n\nVon: Support <support@example.com>\n"
        "Betreff: Rechnung\nDatum: 23. November 2026 um 09:00:00 MEZ\nAn: kunde@example.de\n\n"
        "Rechnung anbei.\n",
        "Siehe unten.\n\nAnfang der weitergeleiteten Nachricht:",
        id="apple_de_forward_header",
    ),
    pytest.param(
        "D'accord, merci.\n\nLe 23/11/2026 à 09:00, Support a écrit :\n> Nous avons corrigé le problème.\n",
        "D'accord, merci.",
        id="french_short",
    ),
    pytest.param(
        "From: my side everything works.\nSent: the logs yesterday.\nPlease check again.\n",
        "From: my side everything works.\nSent: the logs yesterday.\nPlease check again.",
        id="from_in_sentence",
    ),
    pytest.param(
        "On Monday I wrote to your colleague about 3 issues:\n1. login\n2. export\nNobody answered.\n",
        "On Monday I wrote to your colleague about 3 issues:\n1. login\n2. export\nNobody answered.",
        id="monday_wrote_sentence",
    ),
    pytest.param(
        "The error says:\n> error 42: disk full\nbut the disk has 200 GB free.\n",
        "The error says:\n> error 42: disk full\nbut the disk has 200 GB free.",
        id="quote_in_middle",
    ),
    pytest.param(
        "ありがとうございます。\n\n"
        "2026年11月23日(月) 9:00 Support <support@example.com>:\n\n> 再起動してください。\n",
        "ありがとうございます。",
        id="gmail_ja",
    ),
    pytest.param(
        "Tack!\n\nDen mån 23 nov. 2026 kl 09:00 skrev Support <support@example.com>:\n\n"
        "> Starta om datorn.\n",
        "Tack!",
        id="sv_gmail",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_reply_text(text: str, expected: str) -> None:
    assert reply_text(text) == expected


def test_forward_without_own_text_keeps_the_forward() -> None:
    text = (
        "----- Original Nachricht ----\nVon: a@example.com\nAn: b@example.com\nBetreff: Rechnung\n\nAnbei.\n"
    )
    assert reply_text(text) == text.strip()


def test_crlf_and_cr_line_ends() -> None:
    text = "Fine.\r\n\r\nOn Mon, 23 Nov 2026 at 09:00, Support <s@example.com> wrote:\r\n> Old\r\n"
    assert reply_text(text) == "Fine."
    assert reply_text(text.replace("\r\n", "\r")) == "Fine."


def test_nothing_new_keeps_the_text() -> None:
    text = "> only a quote\n> nothing else\n"
    assert reply_text(text) == text.strip()


def test_empty_text() -> None:
    assert reply_text("") == ""


def test_large_text_is_bounded_in_time() -> None:
    text = ("A line with 12345 and some words that go on and on and on.\n") * 5000
    began = time.perf_counter()
    reply_text(text)
    assert time.perf_counter() - began < 1.5
