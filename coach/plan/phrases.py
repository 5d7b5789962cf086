"""The coach's own words, in the routine's language.

Everything the listener hears that the routine's author did not write (the count of
reps, "Next:", "Switch sides", the countdown, the check-in questions) comes from one
phrase table, chosen by the routine's `language`. Built-in tables exist for English,
German, Spanish and French, each written in that language's own imperative (formal
address: Sie, usted, vous, as a physiotherapist's sheet would); a routine's `[phrases]`
table overrides any entry. A language with no built-in table uses the English one
until the routine supplies its own words.

Longer than 400 lines because it holds four languages' tables side by side, entry for
entry, so that a translator sees every key in every language at once.

Each entry may use only its own placeholders, checked when the routine is loaded, so a
session never speaks a "{raw placeholder}".

The `heard_*` entries go the other way: what the listener may say to steer the session
(`coach --listen`), alternatives separated by "|". They are matched whole, never spoken.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Every phrase key, with the placeholders its text may use.
PLACEHOLDERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "welcome": frozenset(),  # spoken when the routine has no intro of its own
        "farewell": frozenset(),  # when the listener ends the session early
        "first": frozenset({"name", "amount"}),
        "next": frozenset({"name", "amount"}),
        "exercise": frozenset({"number", "total", "name"}),
        "rep": frozenset({"number", "total"}),
        # {direction} says where to move ("to the left"); {side} is kept for routines that
        # reworded this phrase around it before.
        "rep_side": frozenset({"number", "total", "side", "direction"}),
        "set": frozenset({"number", "total"}),
        "round": frozenset({"number", "total"}),
        "left": frozenset(),
        "right": frozenset(),
        "to_left": frozenset(),
        "to_right": frozenset(),
        "now_side": frozenset({"side"}),
        "switch_sides": frozenset(),
        "once": frozenset(),
        "times": frozenset({"count"}),
        "times_each_side": frozenset({"count"}),
        "seconds": frozenset({"seconds"}),
        "seconds_each_side": frozenset({"seconds"}),
        # One second is not "1 seconds": these stand in for the three above when it is 1.
        "seconds_one": frozenset({"seconds"}),
        "seconds_each_side_one": frozenset({"seconds"}),
        "rest_one": frozenset({"seconds"}),
        "with_sets": frozenset({"amount", "sets"}),
        "go": frozenset(),
        "stop": frozenset(),
        "rest": frozenset({"seconds"}),
        # A self-paced set ends when the person says so; the words say how: a key, a
        # spoken "done" (--listen), or, where nobody can (an export), a time to take.
        "own_pace": frozenset({"amount"}),
        "own_pace_said": frozenset({"amount", "done"}),
        "own_pace_timed": frozenset({"amount", "seconds"}),
        "own_pace_timed_one": frozenset({"amount", "seconds"}),
        "count_3": frozenset(),
        "count_2": frozenset(),
        "count_1": frozenset(),
        "checkin_before": frozenset(),
        "checkin_after": frozenset(),
        # With --listen the question asks for the number aloud, and a number heard is said
        # back ({number} in words, as it is listened for), so a mishearing can be put right.
        # Their numbers are words, as the listener hears them: the coach's own "ten" is its echo.
        "checkin_before_said": frozenset(),
        "checkin_after_said": frozenset(),
        "checkin_heard": frozenset({"number"}),
        # The answer to a pain word ("ouch", "it hurts"): paused, and how to go on or end.
        "paused_for_pain": frozenset({"resume", "stop"}),
        # Said before the first cue when the room talks (a television): over it, commands are heard
        # less often (docs/performance.md), so the person knows, and stops on pain heard or not.
        "room_talking": frozenset(),
        # Spoken commands (coach --listen): "|" between the ways of saying one thing.
        "heard_pause": frozenset(),
        "heard_resume": frozenset(),
        "heard_next": frozenset(),
        "heard_back": frozenset(),
        "heard_repeat": frozenset(),
        "heard_done": frozenset(),
        "heard_stop": frozenset(),
        "heard_pain": frozenset(),  # pauses at once, whatever the coach is saying
        "heard_numbers": frozenset(),  # 0 to 10 in order, for the pain check-in
    }
)

# What each spoken command does, as the key that does the same would.
HEARD_KEYS = (
    "heard_pause",
    "heard_resume",
    "heard_next",
    "heard_back",
    "heard_repeat",
    "heard_done",
    "heard_stop",
    "heard_pain",
)

# Parts of a sentence; every other entry is a sentence of its own, spoken as one cue.
FRAGMENTS = frozenset(
    {
        "left",
        "right",
        "to_left",
        "to_right",
        "once",
        "times",
        "times_each_side",
        "seconds",
        "seconds_each_side",
        "seconds_one",
        "seconds_each_side_one",
        "with_sets",
    }
)

ENGLISH: Mapping[str, str] = {
    "welcome": "Let's begin.",
    "farewell": "Stopping here. Well done.",
    "first": "First: {name}, {amount}.",
    "next": "Next: {name}, {amount}.",
    # "out of", not "of": a listener (and a recogniser) hears "4 of 4" as "404".
    "exercise": "Exercise {number} out of {total}: {name}.",
    # "Number", not "Rep": "Rep 3 of 3" was heard as "Rat 303", "left side" as "let's
    # side", and "rep" is gym jargon (scripts/bench_intelligibility.py).
    "rep": "Number {number} out of {total}.",
    # A direction, not a body position: "on your left side" told someone lying on their
    # back, rolling their knees to the left, to turn onto their side.
    "rep_side": "Number {number} out of {total}, {direction}.",
    "set": "Set {number} out of {total}.",
    "round": "Round {number} out of {total}.",
    "left": "left",
    "right": "right",
    "to_left": "to the left",
    "to_right": "to the right",
    "now_side": "Now the {side} side.",
    "switch_sides": "Switch sides.",
    "once": "once",
    "times": "{count} times",
    "times_each_side": "{count} on each side",
    "seconds": "{seconds} seconds",
    "seconds_each_side": "{seconds} seconds on each side",
    "seconds_one": "{seconds} second",
    "seconds_each_side_one": "{seconds} second on each side",
    "rest_one": "Rest for {seconds} second.",
    "with_sets": "{amount}, {sets} sets",
    # Not "Go." (heard as "Yo", "No", "Hello" in 5 of 6 renders) nor "Stop." (once as
    # "Start!"): 0 of 18 wrong each (scripts/bench_intelligibility.py --repeat).
    "go": "Ready, go.",
    "stop": "Stop there.",
    "rest": "Rest for {seconds} seconds.",
    "own_pace": "{amount}, at your own pace. Press space when you are done.",
    "own_pace_said": "{amount}, at your own pace. When you have finished, say {done}.",
    "own_pace_timed": "{amount}, at your own pace. You have {seconds} seconds.",
    "own_pace_timed_one": "{amount}, at your own pace. You have {seconds} second.",
    "count_3": "three",
    "count_2": "two",
    "count_1": "one",
    "checkin_before": "Before we start: how is your pain right now, from 0 to 10? Press a number key, or X for 10.",
    "checkin_after": "How is your pain now, from 0 to 10? Press a number key, or X for 10.",
    "checkin_before_said": "Before we start: how is your pain right now, from zero to ten? Say the number.",
    "checkin_after_said": "How is your pain now, from zero to ten? Say the number.",
    "checkin_heard": "I heard {number}. If that is wrong, say the right number.",
    "paused_for_pain": (
        "I have paused. Rest as long as you need. When you are ready, say {resume}. To end, say {stop}."
    ),
    "room_talking": (
        "I can hear talking in the room, perhaps a television. Over it, I may not hear you: turn it down "
        "if you can. If you feel pain, stop and rest, whether I have heard you or not."
    ),
    "heard_pause": "pause | wait | hold on",
    "heard_resume": "continue | go on | resume",
    "heard_next": "next | skip",
    "heard_back": "back | start again",
    "heard_repeat": "again | repeat | say that again",
    "heard_done": "done | finished",
    "heard_stop": "stop the session | I'm done for today",
    "heard_pain": "stop | ouch | it hurts | that hurts",
    "heard_numbers": "zero | one | two | three | four | five | six | seven | eight | nine | ten",
}

GERMAN: Mapping[str, str] = {
    "welcome": "Fangen wir an.",
    "farewell": "Wir hören hier auf. Gut gemacht.",
    "first": "Zuerst: {name}, {amount}.",
    "next": "Als Nächstes: {name}, {amount}.",
    "exercise": "Übung {number} von {total}: {name}.",
    "rep": "Wiederholung {number} von {total}.",
    "rep_side": "Wiederholung {number} von {total}, {direction}.",
    "set": "Satz {number} von {total}.",
    "round": "Runde {number} von {total}.",
    # Adverbs, not adjectives: "links" needs no case ending wherever {side} stands.
    "left": "links",
    "right": "rechts",
    "to_left": "nach links",
    "to_right": "nach rechts",
    "now_side": "Jetzt {side}.",
    "switch_sides": "Wechseln Sie die Seite.",
    "once": "einmal",
    "times": "{count} Mal",
    "times_each_side": "{count} Mal pro Seite",
    "seconds": "{seconds} Sekunden",
    "seconds_each_side": "{seconds} Sekunden pro Seite",
    "seconds_one": "{seconds} Sekunde",
    "seconds_each_side_one": "{seconds} Sekunde pro Seite",
    "rest_one": "Ruhen Sie sich {seconds} Sekunde aus.",
    "with_sets": "{amount}, {sets} Sätze",
    "go": "Los.",
    "stop": "Und Schluss.",
    "rest": "Ruhen Sie sich {seconds} Sekunden aus.",
    "own_pace": "{amount}, in Ihrem eigenen Tempo. Drücken Sie die Leertaste, wenn Sie fertig sind.",
    "own_pace_said": "{amount}, in Ihrem eigenen Tempo. Wenn Sie fertig sind, sagen Sie {done}.",
    "own_pace_timed": "{amount}, in Ihrem eigenen Tempo. Sie haben {seconds} Sekunden.",
    "own_pace_timed_one": "{amount}, in Ihrem eigenen Tempo. Sie haben {seconds} Sekunde.",
    "count_3": "drei",
    "count_2": "zwei",
    "count_1": "eins",
    "checkin_before": (
        "Bevor wir beginnen: Wie stark sind Ihre Schmerzen gerade, von 0 bis 10? Drücken Sie eine Zahl, oder X für 10."
    ),
    "checkin_after": "Wie stark sind Ihre Schmerzen jetzt, von 0 bis 10? Drücken Sie eine Zahl, oder X für 10.",
    "checkin_before_said": (
        "Bevor wir beginnen: Wie stark sind Ihre Schmerzen gerade, von null bis zehn? Sagen Sie die Zahl."
    ),
    "checkin_after_said": "Wie stark sind Ihre Schmerzen jetzt, von null bis zehn? Sagen Sie die Zahl.",
    "checkin_heard": "Ich habe {number} verstanden. Falls das nicht stimmt, sagen Sie die richtige Zahl.",
    "paused_for_pain": (
        "Ich habe pausiert. Ruhen Sie sich aus, so lange Sie brauchen. "
        "Wenn Sie bereit sind, sagen Sie {resume}. Zum Beenden sagen Sie {stop}."
    ),
    "room_talking": (
        "Ich höre im Raum jemanden sprechen, vielleicht einen Fernseher. Darüber höre ich Sie womöglich nicht: "
        "Stellen Sie ihn leiser, wenn Sie können. Wenn Sie Schmerzen spüren, hören Sie auf und ruhen Sie sich aus, "
        "ob ich Sie gehört habe oder nicht."
    ),
    "heard_pause": "Pause | warten | Moment",
    "heard_resume": "weiter | weitermachen | fortsetzen",
    "heard_next": "nächste Übung | überspringen",
    "heard_back": "zurück | von vorn | von vorne",
    "heard_repeat": "nochmal | wiederholen | wie bitte",
    "heard_done": "fertig | geschafft",
    "heard_stop": "Training beenden | Schluss für heute",
    "heard_pain": "stopp | au | aua | es tut weh | das tut weh",
    "heard_numbers": "null | eins | zwei | drei | vier | fünf | sechs | sieben | acht | neun | zehn",
}

SPANISH: Mapping[str, str] = {
    "welcome": "Empecemos.",
    "farewell": "Terminamos aquí. Buen trabajo.",
    "first": "Primero: {name}, {amount}.",
    "next": "A continuación: {name}, {amount}.",
    "exercise": "Ejercicio {number} de {total}: {name}.",
    "rep": "Repetición {number} de {total}.",
    "rep_side": "Repetición {number} de {total}, {direction}.",
    "set": "Serie {number} de {total}.",
    "round": "Ronda {number} de {total}.",
    "left": "izquierdo",
    "right": "derecho",
    "to_left": "hacia la izquierda",
    "to_right": "hacia la derecha",
    "now_side": "Ahora, el lado {side}.",
    "switch_sides": "Cambie de lado.",
    "once": "una vez",
    "times": "{count} veces",
    "times_each_side": "{count} veces por lado",
    "seconds": "{seconds} segundos",
    "seconds_each_side": "{seconds} segundos por lado",
    "seconds_one": "{seconds} segundo",
    "seconds_each_side_one": "{seconds} segundo por lado",
    "rest_one": "Descanse {seconds} segundo.",
    "with_sets": "{amount}, {sets} series",
    "go": "¡Ya!",
    "stop": "Pare.",
    "rest": "Descanse {seconds} segundos.",
    "own_pace": "{amount}, a su ritmo. Pulse la barra espaciadora cuando termine.",
    "own_pace_said": "{amount}, a su ritmo. Cuando termine, diga {done}.",
    "own_pace_timed": "{amount}, a su ritmo. Tiene {seconds} segundos.",
    "own_pace_timed_one": "{amount}, a su ritmo. Tiene {seconds} segundo.",
    "count_3": "tres",
    "count_2": "dos",
    "count_1": "uno",
    "checkin_before": ("Antes de empezar: ¿cuánto le duele ahora, de 0 a 10? Pulse un número, o X para 10."),
    "checkin_after": "¿Cuánto le duele ahora, de 0 a 10? Pulse un número, o X para 10.",
    "checkin_before_said": "Antes de empezar: ¿cuánto le duele ahora, de cero a diez? Diga el número.",
    "checkin_after_said": "¿Cuánto le duele ahora, de cero a diez? Diga el número.",
    "checkin_heard": "He entendido {number}. Si no es así, diga el número correcto.",
    "paused_for_pain": (
        "He hecho una pausa. Descanse todo lo que necesite. "
        "Cuando esté listo, diga {resume}. Para terminar, diga {stop}."
    ),
    "room_talking": (
        "Oigo hablar en la sala, quizá una televisión. Puede que no le oiga por encima: bájela si puede. "
        "Si siente dolor, deténgase y descanse, le haya oído o no."
    ),
    "heard_pause": "pausa | espera | un momento",
    "heard_resume": "sigue | continuar | seguimos",
    "heard_next": "siguiente | saltar",
    "heard_back": "atrás | desde el principio",
    "heard_repeat": "otra vez | repite | cómo",
    "heard_done": "listo | terminé",
    "heard_stop": "terminar la sesión | basta por hoy",
    "heard_pain": "para | ay | me duele | duele",
    "heard_numbers": "cero | uno | dos | tres | cuatro | cinco | seis | siete | ocho | nueve | diez",
}

FRENCH: Mapping[str, str] = {
    "welcome": "Commençons.",
    "farewell": "Nous nous arrêtons ici. Bravo.",
    "first": "D'abord : {name}, {amount}.",
    "next": "Ensuite : {name}, {amount}.",
    "exercise": "Exercice {number} sur {total} : {name}.",
    "rep": "Répétition {number} sur {total}.",
    "rep_side": "Répétition {number} sur {total}, {direction}.",
    "set": "Série {number} sur {total}.",
    "round": "Tour {number} sur {total}.",
    "left": "gauche",
    "right": "droit",
    "to_left": "vers la gauche",
    "to_right": "vers la droite",
    "now_side": "Maintenant, le côté {side}.",
    "switch_sides": "Changez de côté.",
    "once": "une fois",
    "times": "{count} fois",
    "times_each_side": "{count} fois de chaque côté",
    "seconds": "{seconds} secondes",
    "seconds_each_side": "{seconds} secondes de chaque côté",
    "seconds_one": "{seconds} seconde",
    "seconds_each_side_one": "{seconds} seconde de chaque côté",
    "rest_one": "Reposez-vous {seconds} seconde.",
    "with_sets": "{amount}, {sets} séries",
    "go": "Allez-y.",
    "stop": "Arrêtez.",
    "rest": "Reposez-vous {seconds} secondes.",
    "own_pace": "{amount}, à votre rythme. Appuyez sur espace quand vous avez terminé.",
    "own_pace_said": "{amount}, à votre rythme. Quand vous avez terminé, dites {done}.",
    "own_pace_timed": "{amount}, à votre rythme. Vous avez {seconds} secondes.",
    "own_pace_timed_one": "{amount}, à votre rythme. Vous avez {seconds} seconde.",
    "count_3": "trois",
    "count_2": "deux",
    "count_1": "un",
    "checkin_before": (
        "Avant de commencer : quelle est votre douleur en ce moment, de 0 à 10 ? Appuyez sur un chiffre, ou X pour 10."
    ),
    "checkin_after": "Quelle est votre douleur maintenant, de 0 à 10 ? Appuyez sur un chiffre, ou X pour 10.",
    "checkin_before_said": (
        "Avant de commencer : quelle est votre douleur en ce moment, de zéro à dix ? Dites le nombre."
    ),
    "checkin_after_said": "Quelle est votre douleur maintenant, de zéro à dix ? Dites le nombre.",
    "checkin_heard": "J'ai compris {number}. Si ce n'est pas ça, dites le bon nombre.",
    "paused_for_pain": (
        "J'ai fait une pause. Reposez-vous autant qu'il le faut. "
        "Quand vous êtes prêt, dites {resume}. Pour arrêter, dites {stop}."
    ),
    "room_talking": (
        "J'entends parler dans la pièce, peut-être une télévision. Par-dessus, je risque de ne pas vous entendre : "
        "baissez-la si vous le pouvez. Si vous avez mal, arrêtez-vous et reposez-vous, que je vous aie entendu ou non."
    ),
    "heard_pause": "pause | attends | attendez",
    "heard_resume": "reprendre | continue | on continue",
    "heard_next": "suivant | passer",
    "heard_back": "retour | recommencer",
    "heard_repeat": "encore | répète | pardon",
    "heard_done": "fini | terminé",
    "heard_stop": "arrêter la séance | c'est tout pour aujourd'hui",
    "heard_pain": "stop | aïe | ça fait mal | j'ai mal",
    "heard_numbers": "zéro | un | deux | trois | quatre | cinq | six | sept | huit | neuf | dix",
}

BUILT_IN: Mapping[str, Mapping[str, str]] = {"en": ENGLISH, "de": GERMAN, "es": SPANISH, "fr": FRENCH}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def problem(key: str, text: str) -> str | None:
    """What is wrong with `text` as the phrase `key`, or None: for the routine loader."""
    if key not in PLACEHOLDERS:
        return f"unknown phrase (known phrases: {', '.join(sorted(PLACEHOLDERS))})"
    allowed = PLACEHOLDERS[key]
    for name in _PLACEHOLDER.findall(text):
        if name not in allowed:
            usable = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
            return f"unknown placeholder {{{name}}} (this phrase can use: {usable})"
    if re.search(r"[{}]", _PLACEHOLDER.sub("", text)):
        return "has an unmatched brace"
    if key.startswith("heard_"):
        sayings = alternatives(text)
        if not sayings:
            return 'needs at least one saying ("pause | wait")'
        if key == "heard_numbers" and len(sayings) != 11:
            return f"needs the numbers 0 to 10, eleven sayings separated by |; has {len(sayings)}"
    return None


def alternatives(entry: str) -> list[str]:
    """The ways of saying one command, from a `heard_*` entry: "pause | wait"."""
    return [part.strip() for part in entry.split("|") if part.strip()]


def base_language(language: str) -> str:
    return language.split("-")[0].lower()


@dataclass(frozen=True)
class Phrases:
    """One language's table with a routine's overrides applied."""

    table: Mapping[str, str]

    @classmethod
    def for_language(cls, language: str, overrides: Mapping[str, str] | None = None) -> Phrases:
        table = dict(BUILT_IN.get(base_language(language), ENGLISH))
        table.update(overrides or {})
        for key, text in (overrides or {}).items():  # a routine's own wording, for one second too
            if f"{key}_one" in table and f"{key}_one" not in (overrides or {}):
                table[f"{key}_one"] = text
        return cls(MappingProxyType(table))

    def say(self, key: str, **values: object) -> str:
        if str(values.get("seconds")) == "1" and f"{key}_one" in self.table:
            key = f"{key}_one"  # "1 second", never "1 seconds"
        text = _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), self.table[key])
        if key not in FRAGMENTS:  # "Once, at your own pace.", not "once, ..."
            text = text[:1].upper() + text[1:]
        return text

    def pain_answer(self) -> str:
        """What the coach says when a pain word pauses it: how to go on, and how to end."""
        return self.say(
            "paused_for_pain", resume=self.first_saying("heard_resume"), stop=self.first_saying("heard_stop")
        )

    def pain_answer_parts(self) -> list[str]:
        """The pain answer as the coach says it: sentence by sentence, and the sayings it asks
        for ("resume") as parts of their own, so the listener knows when the coach itself says
        them. A "resume" said over "When you are ready, say" is the person's; over the coach's
        own "resume." it cannot be told from it."""
        marks = {"resume": "\x00resume\x00", "stop": "\x00stop\x00"}
        sayings = {"resume": self.first_saying("heard_resume"), "stop": self.first_saying("heard_stop")}
        parts: list[str] = []
        for sentence in sentences(self.say("paused_for_pain", **marks)):
            for piece in re.split(r"(\x00\w+\x00[^\w\s\x00]*)", sentence):
                piece = re.sub(r"\x00(\w+)\x00", lambda found: sayings[found.group(1)], piece).strip()
                if piece:
                    parts.append(piece)
        return parts

    def first_saying(self, key: str) -> str:
        """The first way of saying a spoken command ("done"): the one the coach asks for."""
        return alternatives(self.table[key])[0]

    def side(self, side: str) -> str:
        """A side ("left" or "right") in this language."""
        return self.table[side]

    def direction(self, side: str) -> str:
        """Toward a side ("to the left"), in this language."""
        return self.table[f"to_{side}"]

    @property
    def countdown(self) -> tuple[str, str, str]:
        return (self.table["count_3"], self.table["count_2"], self.table["count_1"])


ENGLISH_PHRASES = Phrases.for_language("en")


def sentences(text: str) -> list[str]:
    """A phrase's sentences, each with its stop: "Rest. Say resume." -> ["Rest.", "Say resume."]."""
    return [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]
