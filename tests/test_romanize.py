import pytest

from geodata.romanize import romanize_place, romanize_word


@pytest.mark.parametrize("ko, en", [
    ("종로구", "Jongno-gu"), ("광산구", "Gwangsan-gu"), ("덕진구", "Deokjin-gu"),
    ("덕림동", "Deongnim-dong"), ("삼거동", "Samgeo-dong"), ("오운동", "Oun-dong"),
    ("압촌동", "Apchon-dong"), ("신라", "Silla"), ("별내면", "Byeollae-myeon"),
    ("백마", "Baengma"), ("여의동", "Yeoui-dong"), ("월야면", "Worya-myeon"), ("함평군", "Hampyeong-gun"),
    ("팔복동4가", "Palbok-dong 4-ga"), ("전주시덕진구", "Jeonju-si Deokjin-gu"), ("광주광역시", "Gwangju"),
    ("전라남도", "Jeollanam-do"), ("압구정", "Apgujeong"), ("첨단", "Cheomdan"), ("금남로5가", "Geumnam-ro 5-ga"),
])
def test_official_romanizations(ko, en):
    assert romanize_place(ko) == en


def test_non_hangul_is_refused():
    with pytest.raises(ValueError, match="not a Hangul syllable"):
        romanize_place("Seoul동")


def test_word_level_sound_changes():
    assert romanize_word("왕십리") == "wangsimni"
    assert romanize_word("한라") == "halla"
