"""Tests for ips_outcomes.national_id.

Every national identity number in this file is either a published example or synthetic.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Sequence

import numpy as np
import polars as pl
import pytest

from ips_outcomes import national_id
from ips_outcomes.national_id import NationalIdHit, national_id_kind, scan_frame

FI = "FI HETU"
SE = "SE personnummer"
NO = "NO fødselsnummer"

# Norwegian example computed by hand for 15.07.85, individual number 123 (DDMMYYIII = 150785123):
#   K1: 3*1 + 7*5 + 6*0 + 1*7 + 8*8 + 9*5 + 4*1 + 5*2 + 2*3 = 174; 174 mod 11 = 9; K1 = 11-9 = 2
#   K2: 5*1 + 4*5 + 3*0 + 2*7 + 7*8 + 6*5 + 5*1 + 4*2 + 3*3 + 2*2 = 151; 151 mod 11 = 8; K2 = 3
NO_EXAMPLE = "15078512323"
# D-number for the same person (day 15 + 40 = 55), DDMMYYIII = 550785123:
#   K1: 3*5 + 7*5 + 6*0 + 1*7 + 8*8 + 9*5 + 4*1 + 5*2 + 2*3 = 186; 186 mod 11 = 10; K1 = 1
#   K2: 5*5 + 4*5 + 3*0 + 2*7 + 7*8 + 6*5 + 5*1 + 4*2 + 3*3 + 2*1 = 169; 169 mod 11 = 4; K2 = 7
NO_D_NUMBER = "55078512317"
# Swedish samordningsnummer for 81-12-18 (day 18 + 60 = 78), serial 987:
#   Luhn over 8 1 1 2 7 8 9 8 7 with weights 2 1 2 1 ...: 7+1+2+2+5+8+9+8+5 = 47; check = 3
SE_SAMORDNING = "811278-9873"


def kinds(values: Sequence[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(national_id_kind(pl.col("v"))).to_series().to_list()


# --- independent per-string reference implementation --------------------------------------------

REF_FI_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
REF_FI_SIGNS = "+-YXWVUABCDEF"
REF_NO_W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
REF_NO_W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]


def ascii_digits(text: str) -> bool:
    return len(text) > 0 and all(c in "0123456789" for c in text)


def ref_fi(v: str) -> bool:
    if len(v) != 11:
        return False
    date, sign, serial, check = v[0:6], v[6], v[7:10], v[10]
    if not ascii_digits(date) or not ascii_digits(serial) or sign not in REF_FI_SIGNS:
        return False
    day, month = int(date[0:2]), int(date[2:4])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return False
    return REF_FI_CHECK[int(date + serial) % 31] == check


def hetu(date: str, sign: str, serial: str) -> str:
    return f"{date}{sign}{serial}{REF_FI_CHECK[int(date + serial) % 31]}"


def ref_luhn(nine: str) -> int:
    total = 0
    for i, c in enumerate(nine):
        x = int(c) * (2 if i % 2 == 0 else 1)
        if x > 9:
            x -= 9
        total += x
    return (10 - total % 10) % 10


def ref_se(v: str) -> bool:
    if len(v) == 11 and v[6] in "-+":
        v = v[:6] + v[7:]
    elif len(v) == 13 and v[8] == "-":
        v = v[:8] + v[9:]
    if len(v) not in (10, 12) or not ascii_digits(v):
        return False
    short = v[-10:]
    month, day = int(short[2:4]), int(short[4:6])
    if not (1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)):
        return False
    return ref_luhn(short[:9]) == int(short[9])


def ref_no_checks(nine: str) -> tuple[int, int] | None:
    d = [int(c) for c in nine]
    k1 = 11 - sum(w * x for w, x in zip(REF_NO_W1, d, strict=True)) % 11
    if k1 == 11:
        k1 = 0
    if k1 == 10:
        return None
    k2 = 11 - sum(w * x for w, x in zip(REF_NO_W2, [*d, k1], strict=True)) % 11
    if k2 == 11:
        k2 = 0
    if k2 == 10:
        return None
    return k1, k2


def ref_no(v: str) -> bool:
    if len(v) != 11 or not ascii_digits(v):
        return False
    day, month = int(v[0:2]), int(v[2:4])
    if not ((1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12):
        return False
    return ref_no_checks(v[:9]) == (int(v[9]), int(v[10]))


def ref_kind(value: str | None) -> str | None:
    if value is None:
        return None
    v = value.strip().upper()
    if ref_fi(v):
        return FI
    if ref_se(v):
        return SE
    if ref_no(v):
        return NO
    return None


# --- published and hand-checked examples --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("131052-308T", FI),
        ("131052-308t", FI),
        ("  131052-308T \t", FI),
        ("811218-9876", SE),
        ("19811218-9876", SE),
        ("198112189876", SE),
        ("8112189876", SE),
        ("811218+9876", SE),
        (" 811218-9876\n", SE),
        (SE_SAMORDNING, SE),
        ("19811278-9873", SE),
        (NO_EXAMPLE, NO),
        (NO_D_NUMBER, NO),
        (f" {NO_EXAMPLE} ", NO),
    ],
)
def test_valid_examples_are_detected(value: str, kind: str) -> None:
    assert kinds([value]) == [kind]
    assert ref_kind(value) == kind


@pytest.mark.parametrize(
    "value",
    [
        "131052-308U",  # wrong check character
        "131052308T",  # century sign missing
        "131052*308T",  # not a century sign
        "131352-308T",  # month 13
        "321052-308T",  # day 32
        "811218-9875",  # wrong Luhn digit
        "811318-9876",  # month 13
        "811232-9876",  # day 32
        "19811218+9876",  # '+' only allowed in the 10-digit form
        "1981121-89876",  # separator in the wrong place
        "15078512324",  # Norwegian example, last digit changed
        "15078512333",  # Norwegian example, K1 changed
        "55078512318",  # D-number, last digit changed
        "1507851232",  # 10 digits
        "P000123",
        "IPS-0001",
        "",
        "   ",
        None,
    ],
)
def test_look_alikes_are_not_detected(value: str | None) -> None:
    assert kinds([value]) == [None]
    assert ref_kind(value) is None


def test_date_checks_apply_even_with_a_correct_check_character() -> None:
    # Build values whose check character is right but whose date part is impossible.
    fi_month_13 = hetu("011399", "-", "123")
    se_day_32 = "811232-987" + str(ref_luhn("811232987"))
    se_day_92 = "811292-987" + str(ref_luhn("811292987"))
    no_nine = next(f"320785{s:03d}" for s in range(1000) if ref_no_checks(f"320785{s:03d}"))
    no_day_32 = no_nine + "".join(map(str, ref_no_checks(no_nine) or ()))
    assert len(no_day_32) == 11
    for value in (fi_month_13, se_day_32, se_day_92, no_day_32):
        assert kinds([value]) == [None]
        assert ref_kind(value) is None
    # ...and the same construction with a possible date is detected, so the check is real.
    assert kinds([hetu("011299", "-", "123")]) == [FI]


def test_first_kind_wins_when_several_formats_match() -> None:
    # "DDMMYY-NNNC" with a digit check character fits both the HETU and personnummer formats.
    both = [hetu(f"{d:02d}0190", "-", f"{n:03d}") for d in range(1, 29) for n in range(100, 200)]
    both = [v for v in both if v[-1].isdigit() and ref_se(v)]
    assert both, "expected at least one value valid as both HETU and personnummer"
    assert set(kinds(both)) == {FI}


def test_null_and_length_preserved() -> None:
    out = pl.Series("v", [None, "131052-308T"], dtype=pl.String).to_frame()
    result = out.select(national_id_kind(pl.col("v")).alias("k"))
    assert result.schema == pl.Schema({"k": pl.String})
    assert result["k"].to_list() == [None, FI]


# --- agreement with the reference on many generated strings -------------------------------------


def generate(rng: np.random.Generator, n: int) -> list[str]:
    def digits(k: int) -> str:
        return "".join(str(x) for x in rng.integers(0, 10, size=k))

    def date_fields(offset: int) -> tuple[int, int]:
        if rng.random() < 0.85:
            day = int(rng.integers(1, 32)) + (offset if rng.random() < 0.3 else 0)
            return day, int(rng.integers(1, 13))
        return int(rng.integers(0, 100)), int(rng.integers(0, 100))

    def fi() -> str:
        day, month = date_fields(0)
        body = f"{day:02d}{month:02d}{digits(2)}"
        serial = digits(3)
        sign = REF_FI_SIGNS[int(rng.integers(0, len(REF_FI_SIGNS)))]
        value = f"{body}{sign}{serial}{REF_FI_CHECK[int(body + serial) % 31]}"
        return value.lower() if rng.random() < 0.2 else value

    def se() -> str:
        day, month = date_fields(60)
        nine = f"{digits(2)}{month:02d}{day:02d}{digits(3)}"
        ten = nine + str(ref_luhn(nine))
        form = int(rng.integers(0, 5))
        century = ("18", "19", "20")[int(rng.integers(0, 3))]
        return (
            ten,
            f"{ten[:6]}-{ten[6:]}",
            f"{ten[:6]}+{ten[6:]}",
            century + ten,
            f"{century}{ten[:6]}-{ten[6:]}",
        )[form]

    def no() -> str:
        while True:
            day, month = date_fields(40)
            nine = f"{day:02d}{month:02d}{digits(5)}"
            checks = ref_no_checks(nine)
            if checks is not None:
                return nine + "".join(map(str, checks))

    def perturb(value: str) -> str:
        i = int(rng.integers(0, len(value)))
        alphabet = "0123456789-+ ATYUxz\u0663\uff13"
        return value[:i] + alphabet[int(rng.integers(0, len(alphabet)))] + value[i + 1 :]

    def noise() -> str:
        k = int(rng.integers(9, 14))
        value = digits(k)
        if rng.random() < 0.5:
            i = int(rng.integers(1, k))
            value = value[:i] + "-+A"[int(rng.integers(0, 3))] + value[i:]
        return value

    builders = (fi, se, no)
    out: list[str] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            value = builders[int(rng.integers(0, 3))]()
        elif r < 0.8:
            value = perturb(builders[int(rng.integers(0, 3))]())
        else:
            value = noise()
        if rng.random() < 0.1:
            value = (" ", "\t", "\n ")[int(rng.integers(0, 3))] + value + " "
        out.append(value)
    return out


def test_agrees_with_reference_on_generated_strings() -> None:
    rng = np.random.default_rng(20240611)
    values = generate(rng, 20_000)
    expected = [ref_kind(v) for v in values]
    got = kinds(values)
    mismatches = [(v, e, g) for v, e, g in zip(values, expected, got, strict=True) if e != g]
    assert mismatches[:10] == []
    # The sample must exercise every outcome, or agreement would prove little.
    counts = {k: expected.count(k) for k in (FI, SE, NO, None)}
    assert counts[FI] > 2000
    assert counts[SE] > 2000
    assert counts[NO] > 2000
    assert counts[None] > 8000


def test_detection_is_vectorised() -> None:
    source = inspect.getsource(national_id)
    assert "map_elements" not in source
    assert "map_batches" not in source


# --- scan_frame ----------------------------------------------------------------------------------

HETUS = [hetu("010190", "-", "123"), "131052-308T", hetu("311299", "A", "001")]


def planted_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "participant_id": [
                "P000001",
                "131052-308T",
                "P000003",
                "811218-9876",
                "8112189876",
                NO_EXAMPLE,
                "P000007",
            ],
            "site": ["A", "B", "A", "B", "A", "B", "C"],
            "n": [15078512323, 1, 2, 3, 4, 5, 6],
            "hetu": [HETUS[0], HETUS[1], HETUS[2], HETUS[0], None, HETUS[1], HETUS[2]],
            "start": [None] * 7,
        },
        schema_overrides={"start": pl.Date},
    )


def test_scan_frame_reports_exact_hits() -> None:
    assert all(ref_kind(h) == FI for h in HETUS)
    hits = scan_frame(planted_frame())
    assert hits == [
        NationalIdHit("participant_id", FI, 1, (1,)),
        NationalIdHit("participant_id", SE, 2, (3, 4)),
        NationalIdHit("participant_id", NO, 1, (5,)),
        NationalIdHit("hetu", FI, 6, (0, 1, 2, 3, 5)),
    ]


def test_scan_frame_never_echoes_numbers() -> None:
    frame = planted_frame()
    text = repr(scan_frame(frame)) + str(scan_frame(frame))
    planted = [v for c in ("participant_id", "hetu") for v in frame[c].to_list() if v]
    planted = [v for v in planted if ref_kind(v)]
    assert len(planted) == 10
    for value in planted:
        assert value not in text
        assert value.replace("-", "") not in text
        assert value[:6] not in text


def test_scan_frame_on_pseudonyms_and_non_string_frames() -> None:
    pseudonyms = pl.DataFrame({"pid": [f"P{i:06d}" for i in range(1000)], "x": range(1000)})
    assert scan_frame(pseudonyms) == []
    assert scan_frame(pl.DataFrame({"n": [15078512323, 8112189876]})) == []
    assert scan_frame(pl.DataFrame(schema={"pid": pl.String})) == []


def test_first_rows_are_capped_and_ascending() -> None:
    values = ["P1"] * 3 + ["131052-308T"] * 20
    hits = scan_frame(pl.DataFrame({"hetu": values}))
    assert hits == [NationalIdHit("hetu", FI, 20, (3, 4, 5, 6, 7))]


def test_hit_is_frozen() -> None:
    hit = NationalIdHit("c", FI, 1, (0,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.count = 2
