"""Revised Romanization of Korean (국어의 로마자 표기법, 2000) for place names.

The legal-dong data carries Korean names only; the UI shows an English name
beside each. Place names follow the official romanization, which spells the
sound changes between syllables (덕림 → Deongnim, 왕십리 → Wangsimni), so a
letter-by-letter transliteration would give names no signpost uses. The
administrative suffix is hyphenated and not assimilated (종로구 → Jongno-gu).
"""
from __future__ import annotations

import re

_INITIALS = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_VOWELS = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
           "yu", "eu", "ui", "i"]
# Final consonants (jongseong) by index, as jamo names used by the sound-change rules below.
_FINALS = ["", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ", "ㄿ", "ㅀ", "ㅁ", "ㅂ", "ㅄ",
           "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ"]
_INITIAL_JAMO = ["ㄱ", "ㄲ", "ㄴ", "ㄷ", "ㄸ", "ㄹ", "ㅁ", "ㅂ", "ㅃ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅉ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ"]
# The representative sound of a final before a consonant or at the end of a word.
_CODA_SOUND = {
    "": "", "ㄱ": "k", "ㄲ": "k", "ㅋ": "k", "ㄳ": "k", "ㄺ": "k", "ㄴ": "n", "ㄵ": "n", "ㄶ": "n",
    "ㄷ": "t", "ㅅ": "t", "ㅆ": "t", "ㅈ": "t", "ㅊ": "t", "ㅌ": "t", "ㅎ": "t",
    "ㄹ": "l", "ㄼ": "l", "ㄽ": "l", "ㄾ": "l", "ㅀ": "l", "ㅁ": "m", "ㄻ": "m",
    "ㅂ": "p", "ㅍ": "p", "ㅄ": "p", "ㄿ": "p", "ㅇ": "ng",
}
# A final carried over to an empty (ㅇ) initial is spelt as an initial: 덕이 → deogi.
_LIAISON = {"ㄱ": "g", "ㄲ": "kk", "ㄷ": "d", "ㄹ": "r", "ㅂ": "b", "ㅅ": "s", "ㅆ": "ss", "ㅈ": "j", "ㅊ": "ch",
            "ㅋ": "k", "ㅌ": "t", "ㅍ": "p", "ㅁ": "m", "ㄴ": "n"}
_NASAL = {"k": "ng", "t": "n", "p": "m"}

_SUFFIXES = {"동": "dong", "가": "ga", "면": "myeon", "읍": "eup", "리": "ri", "구": "gu", "군": "gun", "시": "si",
             "도": "do", "로": "ro", "길": "gil"}
_SIDO = {"광주광역시": "Gwangju", "전라북도": "Jeollabuk-do", "전북특별자치도": "Jeonbuk State",
         "전라남도": "Jeollanam-do", "서울특별시": "Seoul"}


def _syllables(word: str) -> list[tuple[int, int, str]]:
    out = []
    for ch in word:
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            raise ValueError(f"not a Hangul syllable: {ch!r} in {word!r}")
        out.append((code // 588, (code % 588) // 28, _FINALS[code % 28]))
    return out


def romanize_word(word: str) -> str:
    """One word (no suffix) in Revised Romanization, lower case."""
    syl = _syllables(word)
    parts: list[str] = []
    for i, (ini, vow, fin) in enumerate(syl):
        onset = _INITIALS[ini]
        if i > 0:
            prev_fin = syl[i - 1][2]
            onset, coda = _junction(prev_fin, _INITIAL_JAMO[ini], onset)
            parts[-1] = parts[-1] + coda
        elif onset == "r":
            onset = "r"
        parts.append(onset + _VOWELS[vow])
        if i == len(syl) - 1:
            parts[-1] += _CODA_SOUND[fin]
    return "".join(parts)


def _junction(prev_final: str, initial: str, onset: str) -> tuple[str, str]:
    """(onset of this syllable, coda of the previous) after the sound changes RR spells."""
    coda = _CODA_SOUND[prev_final]
    if initial == "ㅇ" and prev_final:
        if prev_final == "ㅇ":
            return "", "ng"
        if prev_final in _LIAISON:
            return _LIAISON[prev_final], ""
        # Clusters: the first consonant stays, the second moves over (읽어 → ilgeo).
        return {"ㄺ": "g", "ㄻ": "m", "ㄼ": "b", "ㄳ": "s", "ㄵ": "j", "ㅄ": "s"}.get(prev_final, ""), coda[:1]
    if initial == "ㄹ":
        if coda in ("l", "n"):
            return "l", "l"  # 신라 → Silla, 한라 → Halla
        if coda:
            return "n", _NASAL.get(coda, coda)  # 종로 → Jongno, 덕림 → Deongnim, 십리 → simni
        return "r", coda
    if initial in ("ㄴ", "ㅁ") and coda in _NASAL:
        return onset, _NASAL[coda]  # 백마 → Baengma
    if initial == "ㄴ" and coda == "l":
        return "l", "l"  # 별내 → Byeollae
    if prev_final == "ㅎ" and initial in ("ㄱ", "ㄷ", "ㅈ"):
        return {"ㄱ": "k", "ㄷ": "t", "ㅈ": "ch"}[initial], ""
    return onset, coda


def romanize_place(name: str) -> str:
    """A place name with its administrative suffix: 덕림동 → Deongnim-dong, 팔복동1가 → Palbok-dong 1-ga.

    A code standing in for a name the boundary data lacks stays as it is.

    >>> romanize_place("덕림동"), romanize_place("팔복동1가"), romanize_place("상도1동"), romanize_place("44830")
    ('Deongnim-dong', 'Palbok-dong 1-ga', 'Sangdo 1-dong', '44830')
    >>> romanize_place("북문로1가동")
    'Bungmun-ro 1-ga-dong'
    """
    if name.isascii() and name.isdigit():
        return name
    if name in _SIDO:
        return _SIDO[name]
    m = re.fullmatch(r"(.+?)(\d+)가", name)
    if m:
        return f"{romanize_place(m.group(1))} {m.group(2)}-ga"
    m = re.fullmatch(r"(.+?)(\d+)가동", name)  # 북문로1가동 → Bungmun-ro 1-ga-dong
    if m:
        return f"{romanize_place(m.group(1))} {m.group(2)}-ga-dong"
    m = re.fullmatch(r"(\D+?)(\d+)([동리])", name)  # 상도1동 → Sangdo 1-dong
    if m:
        return f"{romanize_word(m.group(1)).capitalize()} {m.group(2)}-{_SUFFIXES[m.group(3)]}"
    m = re.fullmatch(r"(.+?시)(.+구)", name)  # 전주시덕진구 → Jeonju-si Deokjin-gu
    if m:
        return f"{romanize_place(m.group(1))} {romanize_place(m.group(2))}"
    stem, suffix = name, ""
    if len(name) > 1 and name[-1] in _SUFFIXES:
        stem, suffix = name[:-1], _SUFFIXES[name[-1]]
    word = romanize_word(stem).capitalize()
    return f"{word}-{suffix}" if suffix else word
