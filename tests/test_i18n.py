import datetime as dt
import json

import pytest

from ips_outcomes.catalogue import all_messages, placeholders, template_messages
from ips_outcomes.i18n import (
    LANGUAGES,
    Message,
    Translator,
    catalogue_ids,
    count,
    num,
    pct,
    text,
)

NORDIC = ("sv", "fi", "nb")


def test_numbers_follow_the_reader_convention() -> None:
    en, sv = Translator("en"), Translator("sv")
    assert en.share(0.4567, 0.4, 0.51) == "45.7% (40.0–51.0)"
    assert sv.share(0.4567, 0.4, 0.51) == "45,7\xa0% (40,0–51,0)"
    assert en.count(1234567) == "1,234,567"
    assert sv.count(1234567) == "1\xa0234\xa0567"
    assert sv.number(-0.05, 2) == "−0,05"
    assert en.p_value(0.0004) == "< 0.001"
    assert Translator("fi").p_value(0.0004) == "< 0,001"
    assert Translator("nb").p_value(0.0456) == "0,046"


def test_withheld_and_undefined_numbers_show_a_mark_not_a_number() -> None:
    en = Translator("en")
    assert en.count(None, threshold=10) == "<10"
    assert en.number(float("inf")) == "–"
    assert en.share(float("nan")) == "–"
    assert en.share(0.5, float("nan"), float("nan")) == "50.0%"
    assert en.interval(None, 1.0, 2.0) == "–"


def test_dates_in_each_language() -> None:
    day = dt.date(2025, 12, 31)
    shown = {language: Translator(language).date(day) for language in LANGUAGES}
    assert shown == {"en": "2025-12-31", "sv": "2025-12-31", "fi": "31.12.2025", "nb": "31.12.2025"}


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="en, sv, fi, nb"):
        Translator("de")


def test_messages_survive_the_json_round_trip_between_stages() -> None:
    message = Message(
        "{label}: {rate} ({k} of {n}), RR {rr}, trials {span}",
        {
            "label": text("Åbo <b>"),
            "rate": pct(0.5234),
            "k": count(1045),
            "n": count(2000),
            "rr": num((1.9, 1.5, 2.35)),
            "span": pct((0.37, 0.61)),
        },
    )
    back = Message.from_json(json.loads(json.dumps(message.to_json())))
    assert back == message
    assert Translator("en").render(back) == (
        "Åbo <b>: 52% (1,045 of 2,000), RR 1.90 (1.50–2.35), trials 37–61%"
    )
    assert Translator("fi").render(back) == (
        "Åbo <b>: 52\xa0% (1\xa0045 of 2\xa0000), RR 1,90 (1,50–2,35), trials 37–61\xa0%"
    )


def test_the_template_texts_are_found() -> None:
    found = template_messages()
    assert "Key findings" in found
    assert "Employment outcomes by service" in found
    assert "{n} participants were analysed." in found


@pytest.mark.parametrize("language", NORDIC)
def test_every_text_has_a_translation(language: str) -> None:
    missing = sorted(set(all_messages()) - catalogue_ids(language))
    assert not missing, f"{len(missing)} untranslated in {language}.po, e.g. {missing[:5]}"


@pytest.mark.parametrize("language", NORDIC)
def test_translations_keep_every_placeholder(language: str) -> None:
    tr = Translator(language)
    wrong = [
        (msgid, tr.gettext(msgid))
        for msgid in all_messages()
        if placeholders(tr.gettext(msgid)) != placeholders(msgid)
    ]
    assert not wrong


@pytest.mark.parametrize("language", NORDIC)
def test_translations_differ_from_english(language: str) -> None:
    tr = Translator(language)
    same = [m for m in all_messages() if len(m) > 40 and tr.gettext(m) == m]
    assert not same
