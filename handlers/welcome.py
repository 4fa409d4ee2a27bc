"""Welcome, language choice, the main menu and the friendly fallback."""

from __future__ import annotations

from babel import Locale

from bot.context import Context
from bot.i18n import normalize_locale
from bot.langdetect import looks_kabuverdianu, script_locale
from bot.model import Reply

from .prompts import show_menu
from .steps import Step
from .text import fold, is_number, keyword


def language_options(ctx: Context) -> list[tuple[str, str]]:
    return [(str(i), ctx.translator.language_name(loc))
            for i, loc in enumerate(ctx.translator.locales, start=1)]


def welcome_text(ctx: Context) -> str:
    """The content pack's welcome when it has one, else ours."""
    if ctx.content.source("welcome") is not None:
        return ctx.content.text(ctx.locale, "welcome")
    return ctx._("Hello. This free service checks if your case was affected, and what that "
                 "can mean. This is general information, not legal advice.")


# How sure the corpus-trained locale model must be to answer a first request in a
# language py3langid could not tell (bench_understanding, held out: 96 % of the
# texts it is this sure of are in that language; 90 % of texts pass).
CORPUS_LOCALE_SURE = 0.6
KRIOLU_SURE = 0.4
CORPUS_LOCALE_MIN_WORDS = 3  # "numero errado" is Spanish and Portuguese


def welcome_line(ctx: Context) -> str:
    """The welcome with the note on changing language: what every first answer starts with."""
    return welcome_text(ctx) + "\n" + ctx._("To change the language, reply LANGUAGE at any "
                                            "time.")


async def locale_from_first_message(ctx: Context, text: str) -> None:
    """The language to answer a first request in: the channel's hint, the language the
    text is confidently written in, or, for a short text, a script only one shipped
    language uses (Cyrillic, Arabic, Khmer, Chinese of one variant, Vietnamese letters),
    else the locale whose intent corpus it reads like (Kriolu among them). Left at the
    default when none tells; the person can still say LANGUAGE."""
    hinted = normalize_locale(ctx.inbound.language_hint, ctx.translator.locales)
    if hinted and not ctx.state.locale_chosen:
        ctx.state.locale = hinted
    if await language_from_text(ctx) or hinted or ctx.state.locale_chosen:
        return
    by_script = script_locale(text, ctx.translator.locales)
    if by_script:
        ctx.state.locale = by_script
        return
    written, probability = ctx.understanding.written_in(text)
    sure = CORPUS_LOCALE_SURE
    if written == "kea" and looks_kabuverdianu(text):
        sure = KRIOLU_SURE  # its ALUPEC spelling agrees (nha, bu, -du, tx)
    if (written in ctx.translator.locales and probability >= sure
            and len(text.split()) >= CORPUS_LOCALE_MIN_WORDS):
        ctx.state.locale = written  # Kriolu, which py3langid does not know, and short texts
    elif shortly := short_text_locale(ctx, text):
        ctx.state.locale = shortly


def join_first_two(ctx: Context) -> None:
    """The welcome and the next message as one (Telegram would pace two a second apart)."""
    if len(ctx.replies) >= 2 and not ctx.replies[0].options:
        first, second = ctx.replies[0], ctx.replies[1]
        ctx.replies[:2] = [Reply(first.text + "\n\n" + second.text, second.options)]


async def greet(ctx: Context) -> None:
    """First contact: welcome, then the language menu (or the menu, given a language hint)."""
    hinted = normalize_locale(ctx.inbound.language_hint, ctx.translator.locales)
    if hinted and not ctx.state.locale_chosen:
        ctx.state.locale = hinted
    hinted = await language_from_text(ctx) or hinted
    if hinted or ctx.state.locale_chosen:
        ctx.say(welcome_line(ctx))
        await show_menu(ctx)
    else:
        ask_first_language(ctx)


async def language_from_text(ctx: Context) -> str | None:
    """A new person's first message: a language asked for by name is a choice (it
    sticks); else the language it is confidently written in (bot/langdetect.py).
    None when it does not tell: the caller shows the language menu."""
    if ctx.state.locale_chosen:
        return None
    text = ctx.inbound.text
    if ctx.understanding.classify(text) == "language":
        asked = ctx.understanding.requested_locale(text)
        if asked in ctx.translator.locales:
            set_locale(ctx, asked)
            return asked
    found = await ctx.services.detect_language(text)
    locale = found.locale or short_text_locale(ctx, text)
    if locale:
        ctx.state.locale = locale
    return locale


def short_text_locale(ctx: Context, text: str) -> str | None:
    """A text too short to detect ("hola", "xin chào"): the one offered locale whose
    corpus writes all its words, if there is one. Not a command ("/start"), and not
    over the language the person's app gives (Telegram's language code)."""
    if (len(text.split()) >= CORPUS_LOCALE_MIN_WORDS or text.lstrip().startswith("/")
            or normalize_locale(ctx.inbound.language_hint, ctx.translator.locales)):
        return None
    locale = ctx.understanding.vocabulary_locale(text)
    return locale if locale in ctx.translator.locales else None


# Languages offered by number in the first SMS; LANGUAGE shows them all.
FIRST_MENU_SIZE = 4


def ask_first_language(ctx: Context) -> None:
    """First contact, language unknown: the welcome and a short language question in
    one SMS of 1-2 segments (all eleven names in their scripts would cost 3 UCS-2
    segments): this language and the next few by number, LANGUAGE for the whole menu."""
    every = language_options(ctx)
    locales = ctx.translator.locales
    own = [opt for opt in every if locales[int(opt[0]) - 1] == ctx.locale]
    others = [opt for opt in every if locales[int(opt[0]) - 1] != ctx.locale]
    options = own + others[:FIRST_MENU_SIZE]
    ctx.say(welcome_text(ctx) + "\n" + ctx._("Another language? Reply LANGUAGE for the full "
                                              "list."), options)
    ctx.ask("language", step=Step.LANGUAGE)


def ask_language(ctx: Context) -> None:
    """The question in the current language and Spanish; the options name each language."""
    # The person's current language and Spanish, the most asked for: the menu itself
    # names each language in its own script, and the whole must fit one short SMS.
    wanted = [ctx.locale] + [loc for loc in ("es",) if loc in ctx.translator.locales]
    asks = [ctx.translator.gettext(loc, "Choose your language:") for loc in wanted]
    ctx.say(" / ".join(dict.fromkeys(asks)), language_options(ctx))
    ctx.ask("language", step=Step.LANGUAGE)


def set_locale(ctx: Context, locale: str) -> None:
    """An explicit choice: it wins over any hint and sticks."""
    ctx.state.locale = locale
    ctx.state.locale_chosen = True


def match_language(ctx: Context, text: str) -> str | None:
    """A locale from a number, a language name (in itself or in English) or a code."""
    locales = ctx.translator.locales
    if is_number(text):
        index = int(text) - 1
        return locales[index] if 0 <= index < len(locales) else None
    wanted = fold(text).strip(" .!?")
    for loc in locales:
        names = {fold(ctx.translator.language_name(loc)), fold(loc)}
        names.add(fold(Locale.parse(loc).get_display_name("en") or loc))
        if wanted in names:
            return loc
    return normalize_locale(wanted, locales) if len(wanted) <= 5 else None


async def on_language(ctx: Context, text: str) -> bool:
    """A language chosen by number or name; False if the text names none."""
    locale = match_language(ctx, text)
    if locale is None:
        locale = ctx.understanding.requested_locale(text)
        if locale not in ctx.translator.locales:
            return False
    set_locale(ctx, locale)
    await show_menu(ctx)
    return True


# Whole messages that open the language menu at any step, even a name question (none
# is a name). "LANG" and Haitian "LAN" are in intents.toml: they are names too, so
# they open the menu at every question but a name.
LANGUAGE_WORDS = frozenset(fold(word) for word in (
    "language", "languages", "idioma", "idiomas", "langue", "língua", "línguas", "lingua",
    "ngôn ngữ", "語言", "语言", "ភាសា", "язык", "языки", "اللغة", "لغة"))
MENU_WORDS = frozenset({"menu", "inicio", "main", "back", "volver", "atras", "0"})


def is_language_word(text: str) -> bool:
    return fold(text).strip(" .!?¡¿") in LANGUAGE_WORDS


def is_menu_word(text: str) -> bool:
    return keyword(text) in MENU_WORDS or fold(text) in {"main menu", "menu principal", "0"}


async def fallback(ctx: Context) -> None:
    ctx.say(ctx._("Sorry, I did not understand."))
    await show_menu(ctx)
