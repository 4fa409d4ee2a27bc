"""Yes and no as people answer a question, in every shipped language.

A short answer decides by its first yes- or no-phrase ("si claro", "sim, quero",
"wi mwen vle", "có ạ", "да, хочу", "不是", "ចាស"). Phrases are folded (lower case,
no accents) like the message. Chinese and Khmer do not space words, so there the
answer must start with the phrase. Longer texts are left to the intent classifier.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WORDS = 8  # longer than this is a sentence, not an answer

YES = """
yes y ya yea yeah yep yup yas ye sure ok okay kk alright right correct please
of_course absolutely definitely do_it go_ahead please_do sounds_good i_do no_problem
that's_right thats_right that_is_right yes_please yessir yes_sir
si sii siii claro dale va vale bueno okey por_supuesto seguro correcto andale orale
de_acuerdo asi_es eso simon sip sipi
sim simm ss claro pode isso quero beleza certo ta ta_bom tudo_bem com_certeza
wi wep wè dako dakò anfen se_sa sa_k_fet oke
sin xin si_sin e_si dretu oki n_kre
co vang da u uh uhm duoc dung roi chac_chan
да ага угу конечно хорошо давай давайте ок окей верно точно да-да
نعم ايوه ايوة ايوا اه اي أكيد اكيد طبعا تمام حسنا صح موافق
""".split()
NO = """
no nope nah nay not no_thanks no_thank_you not_now never dont don't do_not negative
nop nel para_nada todavia_no ahorita_no no_gracias
nao nunca agora_nao nem nn
non pa pa_kounye_a non_mesi
nau nãu nãu_obrigadu ka
khong ko hong hok chua thoi
нет не неа нету не_надо не_хочу никогда
لا لأ كلا مش ابدا
""".split()
# Unspaced scripts: the answer starts with one of these (no-phrases are tried first,
# since "不是" begins with "不" and contains "是").
# "No problem" starts like a no and means yes: tried before the no-prefixes.
YES_FIRST = ("没问题", "沒問題", "冇問題", "冇问题", "不错", "不錯")
NO_PREFIXES = ("不是", "不要", "不用", "不对", "不對", "不", "没有", "沒有", "别", "別",
               "算了", "唔係", "唔系", "唔要", "唔使", "唔駛", "唔好", "冇",
               "អត់ទេ", "អត់", "ទេ", "មិន")
YES_PREFIXES = ("是", "对", "對", "好", "要", "可以", "行", "嗯", "ok", "係呀", "係啊", "係喇",
                "បាទ", "ចាស", "ចា៎ស", "ចា", "បាទចាស", "អូខេ", "យល់ព្រម", "ត្រូវ")

_SEPARATOR = re.compile(r"[^\w\u0300-\u036f\u17b4-\u17d3']+")  # keeps Khmer vowel signs


def _fold(text: str) -> str:
    """Lower case without Latin accents; Khmer and Chinese characters stay whole."""
    out = []
    for ch in unicodedata.normalize("NFD", text.casefold()):
        if unicodedata.combining(ch) and ord(ch) < 0x0370:
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("’", "'").replace("đ", "d")


def _phrases(words: list[str]) -> dict[tuple[str, ...], int]:
    return {tuple(_fold(w).split("_")): len(w.split("_")) for w in words}


_YES = _phrases(YES)
_NO = _phrases(NO)
_LONGEST = max(len(p) for p in (*_YES, *_NO))


def yes_no(text: str) -> bool | None:
    """True for a yes, False for a no, None when the text is neither (or too long)."""
    folded = _fold(text).strip()
    words = [w.strip("'") for w in _SEPARATOR.split(folded) if w.strip("'_")]
    if not words or len(words) > MAX_WORDS:
        return None
    if words == ["n"]:  # a bare "n" is no; in a sentence it is Kriolu "I" ("N kre sin")
        return False
    squeezed = "".join(words)
    if squeezed == "係" or squeezed.startswith(YES_FIRST):  # "係咪…?" is a question
        return True
    for prefix in NO_PREFIXES:
        if squeezed.startswith(prefix):
            return False
    for prefix in YES_PREFIXES:
        if squeezed.startswith(prefix) and not squeezed.isascii():
            return True
    for i in range(len(words)):
        for size in range(min(_LONGEST, len(words) - i), 0, -1):
            chunk = tuple(words[i:i + size])
            if chunk in _NO:
                return False
            if chunk in _YES:
                return True
    return None
