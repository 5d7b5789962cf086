"""What the listener may say, and what each saying means: pure, no audio, no model.

A spoken command is matched whole ("pause", "go on"), never found inside a sentence:
"I'm done with the dishes" is not "done", and the coach's own "Stop there." is not "stop
the session". The words come from the routine's phrase table (`heard_*` entries,
alternatives separated by "|"), so they follow its language and its `[phrases]`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from coach.plan.phrases import HEARD_KEYS, Phrases, alternatives, base_language
from coach.sound.player import Command

MEANINGS = {
    "heard_pause": Command.HOLD,
    "heard_resume": Command.RESUME,
    "heard_next": Command.NEXT,
    "heard_back": Command.BACK,
    "heard_repeat": Command.REPEAT,
    "heard_done": Command.DONE,
    "heard_stop": Command.QUIT,
    "heard_pain": Command.PAIN,
}

# Words around a command that do not change it ("next, please"; "okay, pause").
FILLERS = {
    "en": ("please", "okay", "ok", "coach", "um", "uh", "oh", "hey", "now"),
    "de": ("bitte", "okay", "ok", "äh", "ähm", "jetzt"),
    "es": ("por favor", "vale", "bueno", "eh"),
    "fr": ("s'il vous plaît", "s'il te plaît", "d'accord", "euh", "ok"),
}

# Endings written differently that sound the same, per language: Whisper spells what it hears one
# way or another. French -é, -ée, -és, -ées, -ez and -er are all /e/ ("passer", "passez",
# "passée"; "arrêtez la séance"): one saying, however Whisper writes it.
SAME_SOUND = {"fr": ((re.compile(r"(?<=\w)(?:ées|ée|és|ez|é)\b"), "er"),)}

Meaning = Command | int  # a command, or a number from 0 to 10 for the pain check-in

# Sayings that pause the coach: wrongly taken, it waits for a word to go on; missed while it
# talks, someone in pain is not heard
STOPS_THE_COACH = frozenset({Command.HOLD, Command.PAIN})
# Sayings that move the session on or back: taken for a stop, the coach talks on into the next
# movement, or the same one again, over someone who asked it to stop
MOVES_THE_SESSION = frozenset({Command.NEXT, Command.BACK, Command.REPEAT})
# What a guess Whisper wrote as a question may still be: asking to hear it again ("Say it
# again?"), and a pain word, a cry it writes as a question ("Yeah, how?" for an "Ouch.")
MAY_BE_ASKED = frozenset({Command.REPEAT, Command.PAIN})


def normalise(text: str) -> str:
    """Lower case, no accents or punctuation: how two spellings of one saying compare."""
    text = unicodedata.normalize("NFKD", text.replace("\N{RIGHT SINGLE QUOTATION MARK}", "'").lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[^\W_]+(?:'[^\W_]+)*", text))


@dataclass(frozen=True)
class Saying:
    words: str  # as the routine's table writes it: "go on"
    meaning: Meaning


@dataclass(frozen=True)
class Vocabulary:
    """The sayings one moment of the session listens for, in one language."""

    language: str
    sayings: tuple[Saying, ...]

    @classmethod
    def commands(cls, words: Phrases, language: str) -> Vocabulary:
        sayings = [Saying(alt, MEANINGS[key]) for key in HEARD_KEYS for alt in alternatives(words.table[key])]
        return cls(base_language(language), tuple(sayings))

    @classmethod
    def numbers(cls, words: Phrases, language: str) -> Vocabulary:
        """Zero to ten, for the pain check-in."""
        sayings = [Saying(alt, n) for n, alt in enumerate(alternatives(words.table["heard_numbers"]))]
        return cls(base_language(language), tuple(sayings))

    def narrowed_to(self, meanings: Collection[Meaning]) -> Vocabulary:
        """Only the sayings of what the session acts on now, and always those that pause it or
        go on.

        A saying that would do nothing now is only a rival taking what was said from one that
        would: over a television, "Continue." said to a paused coach came out nearer "again"
        than "go on" 7 times in 162 (docs/performance.md). Pausing and going on stay, acted on
        or not: said where the coach is not where the person thinks (a "pause" of theirs
        missed), they are heard as what they are and come to nothing, not taken for a rival (a
        "Continue." to a coach still playing was taken as "again"); and those that pause keep
        a pain word from being taken for going on."""
        kept = {*meanings, *STOPS_THE_COACH, Command.RESUME}
        return Vocabulary(self.language, tuple(s for s in self.sayings if s.meaning in kept))

    def match(self, heard: str) -> Saying | None:
        """The saying that is all of `heard` (fillers aside), or None. A saying said again
        ("pause, pause") is that saying, and so is Whisper's way of writing a short word
        it heard once: "Pause. Pause."."""
        said = self._without_fillers(self._sound(heard))
        if not said:
            return None
        numbers = [s for s in self.sayings if isinstance(s.meaning, int)]
        if numbers and said.isdigit():
            return next((s for s in numbers if s.meaning == int(said)), None)
        words = said.split()
        whole = next((s for s in self.sayings if _is_repeated(words, self._sound(s.words).split())), None)
        if whole is None:  # "noch mal" for "nochmal": one word written as two, or two as one
            joined = "".join(words)
            whole = next((s for s in self.sayings if "".join(self._sound(s.words).split()) == joined), None)
        return whole if whole is not None else self._one_meaning(words)

    def _sound(self, text: str) -> str:
        """`text` normalised, with endings that sound alike written alike."""
        text = text.lower()
        for ending, alike in SAME_SOUND.get(self.language, ()):
            text = ending.sub(alike, text)
        return normalise(text)

    def _one_meaning(self, words: list[str]) -> Saying | None:
        """Sayings of one meaning said one after another ("ouch, that hurts"; "wait, hold on"):
        that meaning, as its first saying. Sayings of two meanings ("next, back") are nothing."""
        sayings = [(s, self._sound(s.words).split()) for s in self.sayings if not isinstance(s.meaning, int)]
        for first, first_words in sayings:
            if words[: len(first_words)] != first_words or len(words) == len(first_words):
                continue
            rest = words[len(first_words) :]
            same = [(s, w) for s, w in sayings if s.meaning == first.meaning]
            if _made_of(rest, [w for _, w in same]):
                return first
        return None

    def _without_fillers(self, said: str) -> str:
        for filler in FILLERS.get(self.language, ()):
            said = re.sub(rf"(^| ){re.escape(normalise(filler))}(?= |$)", " ", said)
        return " ".join(said.split())


def _made_of(words: list[str], sayings: list[list[str]]) -> bool:
    """`words` are some of `sayings`, one after another, and nothing else."""
    if not words:
        return True
    return any(words[: len(s)] == s and _made_of(words[len(s) :], sayings) for s in sayings if s)


def _is_repeated(words: list[str], saying: list[str]) -> bool:
    """`words` are `saying` once, or more times over."""
    count, rest = divmod(len(words), len(saying))
    return count > 0 and rest == 0 and words == saying * count
