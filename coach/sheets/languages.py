"""The words a sheet's language writes its doses, sides, positions and cautions in.

One `SheetLanguage` per language; `finding` and `dosing` know none of the words themselves,
so a language is added here and nowhere else. Patterns run on a sentence whose number words
are already digits ("five" -> "5", "twice" -> "2 times"); `{N}` in a pattern is a number, a
range ("5-10", "5 to 10", "2 or 3") or "up to" one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _pattern(text: str, names: tuple[str, ...] = ()) -> re.Pattern[str]:
    """`{A}`, `{B}`... become named number groups; flags: ignore case."""
    number = (
        r"(?:(?:up to|bis zu|jusqu'à|hasta|about|approx\.?|approximately|around|ca\.|etwa)\s+)?"
        r"\d+(?:[.,]\d+)?(?:\s*(?:-|to|or|bis|oder|à|a|ou|o)\s*\d+(?:[.,]\d+)?)?"
    )
    for name in names:
        text = text.replace("{" + name + "}", f"(?P<{name}>{number})")
    return re.compile(text, re.IGNORECASE)


@dataclass(frozen=True)
class SheetLanguage:
    code: str
    number_words: dict[str, str]  # "five" -> "5", "twice" -> "2 times"
    shorthand: list[tuple[str, str]]  # regex, replacement: what the coach says in full
    # doses, each with named groups: F (times a day), W (days a week), S (sets), R (reps), H (hold), T (timed)
    times_a_day: list[re.Pattern[str]]
    days_a_week: list[re.Pattern[str]]
    every_other_day: re.Pattern[str]
    every_day: re.Pattern[str]
    sets_and_reps: list[re.Pattern[str]]
    sets: list[re.Pattern[str]]
    reps: list[re.Pattern[str]]
    hold: list[re.Pattern[str]]  # H with group `unit`
    hold_breath: re.Pattern[str]  # "take one deep breath": a hold of one breath
    breaths: re.Pattern[str]  # "hold for 5 deep breaths"
    timed: list[re.Pattern[str]]  # T with group `unit`
    minute_unit: re.Pattern[str]
    alternate: re.Pattern[str]
    each_side: re.Pattern[str]
    collective: re.Pattern[str]  # "each exercise", "these exercises": the sheet speaking of all of them
    progression: re.Pattern[str]  # "add 1 or 2 repetitions every few days": not today's dose
    # the kinds of sentence
    position: re.Pattern[str]
    returning: re.Pattern[str]
    hold_start: re.Pattern[str]
    caution: re.Pattern[str]
    instruction: re.Pattern[str]  # a sentence that tells the body what to do
    pain_clause: re.Pattern[str]  # "... or fewer if you feel pain": a caution wherever it stands
    general_note: re.Pattern[str]  # "You can do this sitting or lying": about the exercise, said before it
    form_cue: re.Pattern[str]  # "Keep your back straight", after the movement: a tip on form
    body: re.Pattern[str]  # the body and its props: an exercise names some
    exercise_words: re.Pattern[str]  # a sheet about exercise at all
    # the labels sheets put before a part: "Starting position:", "Ausführung:"
    labels: dict[str, str] = field(default_factory=dict)  # label (lowercase) -> position | movement | dose | tip
    general_headings: re.Pattern[str] = re.compile("^$")
    heading_prefix: re.Pattern[str] = re.compile("^$")  # "Exercise 3:", "Übung 1:"
    filler: frozenset[str] = frozenset()  # words left when a sentence said only a dose
    seconds_said: str = "{seconds} seconds"  # a hold's time, said by the coach in the sheet's sentence
    hold_said: str = "Hold for {seconds} seconds."  # a hold the sheet gives only as a number


BREATH_SECONDS = 5.0  # one slow, deep breath: in for two, out for three

ENGLISH = SheetLanguage(
    code="en",
    number_words={
        "one": "1",
        "two": "2",
        "three": "3",
        "four": "4",
        "five": "5",
        "six": "6",
        "seven": "7",
        "eight": "8",
        "nine": "9",
        "ten": "10",
        "eleven": "11",
        "twelve": "12",
        "fifteen": "15",
        "twenty": "20",
        "thirty": "30",
        "forty": "40",
        "sixty": "60",
        "a minute": "1 minute",
        "twice": "2 times",
        "once": "1 time",
        "thrice": "3 times",
        "a few": "a few",
    },
    shorthand=[
        (r"\bsecs?\b\.?", "seconds"),
        (r"\bmins?\b\.?", "minutes"),
        (r"\bhrs?\b\.?", "hours"),
        (r"\bexs\b", "exercises"),
        (r"\bex\b\.?", "exercise"),
        (r"\breps\b", "repetitions"),
        (r"\bw/\s*", "with "),
        (r"\bapprox\.?", "about"),
        (r"\be\.g\.,?", "for example"),
        (r"\bi\.e\.,?", "that is"),
        (r"\betc\.", "and so on"),
        (r"\s*&\s*", " and "),
        (r"(\d+)\s*°", r"\1 degrees"),
        (r"(\d+)\s*deg\b\.?", r"\1 degrees"),
        (r"(\d+)\s*cm\b", r"\1 centimetres"),
        (r"(\d+)\s*kg\b", r"\1 kilograms"),
        (r"\bx\s*(\d+)\b", r"\1 times"),
        (r"\b(\d+)\s*x\b(?!\s*\d)", r"\1 times"),
        (r"\bL\b(?=\s|$|[.,])", "left"),
        (r"\bR\b(?=\s|$|[.,])", "right"),
        (r"(?<=[a-z])/(?=[a-z])", " or "),
        (r"(\d+)\s*/\s*10\b", r"\1 out of 10"),
        (r"\s*>\s*", " more than "),
    ],
    times_a_day=[
        _pattern(r"{F}\s*(?:x|times?)\s*(?:/\s*|an?\s+|per\s+|each\s+|every\s+)?(?:day|daily)\b", ("F",)),
        _pattern(r"{F}\s*x?\s*/\s*(?:day|daily)\b", ("F",)),
    ],
    days_a_week=[
        _pattern(
            r"(?:on\s+)?{W}\s*(?:x|times?|days?)\s*(?:/\s*|an?\s+|per\s+|each\s+|every\s+|in\s+a\s+)?week\b", ("W",)
        ),
    ],
    every_other_day=re.compile(r"\bevery (?:second|other) day\b|\bon alternate days\b", re.IGNORECASE),
    every_day=re.compile(r"\bevery day\b|\bdaily\b", re.IGNORECASE),
    sets_and_reps=[
        _pattern(r"{S}\s*sets?\s*(?:of|x|\u00d7)\s*{R}\s*(?:reps?\b|repetitions?\b|times\b)?", ("S", "R")),
        _pattern(r"{R}\s*(?:reps?|repetitions?)\s*(?:x|\u00d7|,)\s*{S}\s*sets?\b", ("S", "R")),
        _pattern(
            r"\b{S}\s*(?:x|\u00d7)\s*{R}\b(?!\s*(?:x|times?)?\s*(?:/|an?\s|per\s|each\s)?\s*(?:day|daily|week))",
            ("S", "R"),
        ),
    ],
    sets=[_pattern(r"\bsets?\s*:?\s*{S}\b", ("S",)), _pattern(r"\b{S}\s*sets?\b", ("S",))],
    reps=[
        _pattern(r"\b(?:reps?|repetitions?)\s*:?\s*{R}\b", ("R",)),
        _pattern(r"\b{R}\s*(?:x\b|times\b|reps?\b|repetitions?\b)", ("R",)),
        _pattern(r"(?<![\w])x\s*{R}\b", ("R",)),
        _pattern(
            r"\b(?:do|repeat|perform)\s+(?:this\s+|it\s+)?{R}\s+(?:of these|of them|on|with|to|each|more)\b", ("R",)
        ),
    ],
    hold=[
        _pattern(
            r"\b(?:hold|holding|held|stay|staying|keep it|balance|sustain|count)\b[^.;]*?"
            r"(?:\bfor\s+)?(?:a count of\s+)?"
            r"{H}\s*(?P<unit>seconds?|secs?|s|counts?|minutes?|mins?)\b",
            ("H",),
        ),
        _pattern(r"\bfor a count of {H}(?P<unit>)\b", ("H",)),
        _pattern(r"\bcount(?:ing)? to {H}(?P<unit>)\b", ("H",)),
        _pattern(r"\bhold\s+{H}\s*(?P<unit>s|seconds?)\b", ("H",)),
    ],
    hold_breath=re.compile(r"\b(?:hold|take)\b[^.;]*?\b(?:1|a|one) (?:deep |slow |long )?breath\b", re.IGNORECASE),
    breaths=_pattern(r"\bhold\b[^.;]*?\bfor\s+{H}\s+(?:deep |slow )?breaths\b", ("H",)),
    timed=[
        _pattern(r"\bfor\s+{T}\s*(?P<unit>minutes?|mins?|seconds?|secs?)\b", ("T",)),
        _pattern(r"^\s*(?:duration|time)?\s*:?\s*{T}\s*(?P<unit>minutes?|mins?|seconds?|secs?|s)\s*$", ("T",)),
    ],
    minute_unit=re.compile(r"^(?:minutes?|mins?)$", re.IGNORECASE),
    alternate=re.compile(
        r"\balternat(?:e|es|ing|ely)\b|\bto each side\b|\bin each direction\b|\b(?:1|one) side,? then the other\b"
        r"|\b(?:left|right)\b[^.]*\b(?:left|right)\b[^.]*\b(?:1|one) repetition\b",
        re.IGNORECASE,
    ),
    each_side=re.compile(
        r"\b(?:each|either) (?:side|leg|arm|hand|foot)\b|\bboth sides\b|\bdo the other side\b"
        r"|\b(?:repeat|then|now)\b(?:\s+\w+){0,3}?\s+(?:with|on|to|using) the (?:other|opposite)"
        r" (?:side|leg|arm|hand|foot)\b"
        r"|\b(?:swap|switch|change) (?:legs|sides|hands|arms|feet|over)\b|\b(?:left|l) (?:&|and) (?:right|r)\b"
        r"|\b(?:right|r) (?:&|and) (?:left|l)\b",
        re.IGNORECASE,
    ),
    collective=re.compile(
        r"\b(?:each|all|both|these|every)\s+(?:of\s+(?:these|the)\s+)?(?:\w+\s+)?(?:exercises?|exs|movements|stretches)\b"
        r"|\beach (?:1|one)\b|\beach of these\b|\bthe exercises\b|\bany (?:of these )?exercises?\b",
        re.IGNORECASE,
    ),
    progression=re.compile(r"\b(?:add|increase|build up|gradually|progress|work up|as you get)\b", re.IGNORECASE),
    position=re.compile(
        r"^(?:(?:slowly|gently|now|first)\s+)?(?:lie|lying|sit|sitting|stand|standing|kneel|kneeling|get (?:down )?on"
        r"|start|starting|begin|place|put|with your|with bare|on your|do this exercise|you (?:should|can) do this"
        r"|face|facing|lean over|hold (?:a|the) (?:towel|band|stick|ball)|the \w+ is)\b",
        re.IGNORECASE,
    ),
    returning=re.compile(
        r"^(?:and\s+|then\s+)*(?:slowly\s+|gently\s+)?(?:return|come back|go back|lower|relax|release|let (?:go|it|them"
        r"|(?:your|the) \w+ (?:go|relax|down))|ease off|back to|straighten up|rest\b|slide (?:it|them) back"
        r"|bring (?:it|them) back)",
        re.IGNORECASE,
    ),
    hold_start=re.compile(
        r"^(?:and\s+|then\s+)?(?:hold|stay)(?:\s*[,.]|\s+(?:it|this|that|there|still|for|the (?:stretch|position"
        r"|squeeze|pose|contraction))\b|\s*$)",
        re.IGNORECASE,
    ),
    caution=re.compile(
        r"^(?:do not|don't|never|avoid|stop\b|only\b|try not|take care|be careful|make sure|ensure|if\b|you may feel"
        r"|you should feel|you will feel|it is normal|keep breathing|breathe normally|go gently|work within|remember"
        r"|some (?:aching|discomfort)|a little discomfort|see a doctor|ask your|contact|call)",
        re.IGNORECASE,
    ),
    instruction=re.compile(
        r"^(?:(?:slowly|gently|now|then|and|first|next|keeping [\w ]+,)\s+)*"
        r"(?:lie|lying|sit|sitting|stand|standing|kneel"
        r"|kneeling|bend|lift|raise|lower|hold|keep|pull|push|press|roll|turn|tilt|squeeze|tighten|stretch|slide"
        r"|straighten|bring|place|put|rest|relax|breathe|repeat|do|start|begin|get|let|take|draw|nod|swing|lean"
        r"|step|rise|make|grab|move|reach|cross|link|fold|use|point|extend|return|come|hug|trace|tuck|arch|round"
        r"|balance|stay|sag|curl|walk|march|imagine|with|on|go|sit|swap|switch|change|aim|try|squat|loop|clasp|stay"
        r"|face|facing|tense|contract|open|close|drop|shrug|look|using|scrunch|grip|circle|wiggle|flex|nod)\b",
        re.IGNORECASE,
    ),
    pain_clause=re.compile(
        r"\bif (?:you feel|it (?:hurts|causes)|there is|you have) (?:any |sharp )?(?:pain|discomfort)", re.IGNORECASE
    ),
    general_note=re.compile(
        r"^(?:you can|you could|you may|this can be|this exercise can|some people)\b", re.IGNORECASE
    ),
    form_cue=re.compile(r"^(?:keep|remember to keep|try to keep|make sure)\b", re.IGNORECASE),
    body=re.compile(
        r"\b(?:knees?|back|legs?|arms?|shoulders?|hips?|neck|feet|foot|ankles?|wrists?|hands?|muscles?|chin|pelvis"
        r"|pelvic|heels?|toes?|thighs?|calf|calves|elbows?|spine|head|stomach|tummy|buttocks?|bottom|forearms?"
        r"|fingers?|palms?|chest|body|floor|chair|wall|bed|towel|band|mat|fours)\b",
        re.IGNORECASE,
    ),
    exercise_words=re.compile(
        r"\b(?:exercises?|stretch(?:es)?|physio\w*|repetitions?|reps|hold|sets?|muscles?)\b", re.IGNORECASE
    ),
    labels={
        "starting position": "position",
        "start position": "position",
        "position": "position",
        "start": "position",
        "movement": "movement",
        "action": "movement",
        "how to do it": "movement",
        "instructions": "movement",
        "instruction": "movement",
        "key movement": "movement",
        "method": "movement",
        "repetitions": "dose",
        "reps": "dose",
        "sets": "dose",
        "hold": "dose",
        "frequency": "dose",
        "dose": "dose",
        "note": "tip",
        "notes": "tip",
        "tip": "tip",
        "tips": "tip",
        "caution": "tip",
        "warning": "tip",
        "important": "tip",
        "special instructions": "tip",
    },
    general_headings=re.compile(
        r"^(?:introduction|about (?:this|these|the) \w+|how many and how often|how often|when to stop|additional notes"
        r"|notes?|special instructions|contents|important|warning|patient information|information|further help"
        r"|contact us|references|more information)\b",
        re.IGNORECASE,
    ),
    heading_prefix=re.compile(r"^(?:exercise|ex\.?|stretch|step)\s*\d+\s*[:.)\-\u2013]?\s*", re.IGNORECASE),
    filler=_words(
        "repeat repeating do doing perform this it the all every exercise exercises exs each side sides leg legs arm "
        "arms hand hands on with to and then or as often directed times time of a an per day daily week "
        "sets set reps repetitions other swap switch change over both either alternating alternate start "
        "about let go at your own pace is one repetition counts as again more these them aim for hold "
        "holding begin try with frequency duration x s seconds minutes"
    ),
)

GERMAN = SheetLanguage(
    code="de",
    number_words={
        "eins": "1",
        "einer": "1",
        "eine": "1",
        "zwei": "2",
        "drei": "3",
        "vier": "4",
        "fünf": "5",
        "sechs": "6",
        "sieben": "7",
        "acht": "8",
        "neun": "9",
        "zehn": "10",
        "zwölf": "12",
        "fünfzehn": "15",
        "zwanzig": "20",
        "dreißig": "30",
        "einmal": "1 mal",
        "zweimal": "2 mal",
        "dreimal": "3 mal",
    },
    shorthand=[
        (r"\bSek\.?(?=\s|$)", "Sekunden"),
        (r"\bMin\.?(?=\s|$)", "Minuten"),
        (r"\bWdh\.?(?=\s|$)", "Wiederholungen"),
        (r"\bz\.\s?B\.", "zum Beispiel"),
        (r"\bca\.", "etwa"),
        (r"\bbzw\.", "beziehungsweise"),
        (r"\bggf\.", "gegebenenfalls"),
        (r"\s*&\s*", " und "),
        (r"\bx\s*(\d+)\b", r"\1 Mal"),
    ],
    times_a_day=[
        _pattern(r"{F}\s*(?:x|mal)\s*(?:pro\s+tag|am\s+tag|täglich|am\s+tage?)\b", ("F",)),
    ],
    days_a_week=[
        _pattern(r"(?:an\s+)?{W}\s*(?:x|mal|tagen?)\s*(?:pro|in\s+der|die|je)\s+woche\b", ("W",)),
    ],
    every_other_day=re.compile(r"\bjeden zweiten tag\b", re.IGNORECASE),
    every_day=re.compile(r"\bjeden tag\b|\btäglich\b", re.IGNORECASE),
    sets_and_reps=[
        _pattern(r"\b{S}\s*(?:x|\u00d7|mal)\s*{R}\s*(?:wiederholungen|wdh\.?)?", ("S", "R")),
        _pattern(r"\b{S}\s*(?:sätze|serien|durchgänge)\s*(?:à|a|zu|mit|von)\s*{R}\b", ("S", "R")),
    ],
    sets=[
        _pattern(r"\b{S}\s*(?:sätze|serien|durchgänge)\b", ("S",)),
        _pattern(r"\b(?:sätze|serien)\s*:?\s*{S}\b", ("S",)),
    ],
    reps=[
        _pattern(r"\b{R}\s*(?:wiederholungen|wdh\.?|-?mal\b)", ("R",)),
        _pattern(r"\bwiederholungen\s*:?\s*{R}\b", ("R",)),
    ],
    hold=[
        _pattern(
            r"{H}\s*(?P<unit>sekunden|minuten?|sek\.?)\s*(?:lang\s+)?(?:halten|gehalten|hältst|halten sie)", ("H",)
        ),
        _pattern(r"\bhalten\b[^.;]*?{H}\s*(?P<unit>sekunden|minuten?)\b", ("H",)),
    ],
    hold_breath=re.compile(r"\beinen (?:tiefen )?atemzug\b", re.IGNORECASE),
    breaths=_pattern(r"\b{H}\s+(?:tiefe )?atemzüge\b", ("H",)),
    timed=[_pattern(r"\b{T}\s*(?P<unit>minuten|sekunden)\s*lang\b", ("T",))],
    minute_unit=re.compile(r"^minuten?$", re.IGNORECASE),
    alternate=re.compile(r"\babwechselnd\b|\bim wechsel\b|\bwechselseitig\b", re.IGNORECASE),
    each_side=re.compile(
        r"\b(?:jede|pro|je) seite\b|\bbeide seiten\b|\b(?:jedes|pro|je) bein\b|\bseite wechseln\b"
        r"|\bseitenwechsel\b|\bandere(?:n)? seite\b",
        re.IGNORECASE,
    ),
    collective=re.compile(r"\b(?:die|alle|diese|jede|eine)\s+übung(?:en)?\b", re.IGNORECASE),
    progression=re.compile(r"\bsteigern\b|\berhöhen\b", re.IGNORECASE),
    position=re.compile(
        r"^(?:rückenlage|bauchlage|seitlage|vierfüßlerstand|sitz|stand|kniestand|unterarmstütz|legen sie|setzen sie"
        r"|stellen sie|knien sie|sie liegen|sie sitzen|sie stehen|im (?:sitzen|stehen|liegen))",
        re.IGNORECASE,
    ),
    returning=re.compile(
        r"^(?:und\s+|dann\s+)*(?:langsam\s+)?(?:zurück|absenken|senken|lösen|entspannen|lassen sie)", re.IGNORECASE
    ),
    hold_start=re.compile(r"^(?:\d+\s*sekunden\s*)?halten\b|^halten sie\b", re.IGNORECASE),
    caution=re.compile(
        r"^(?:nicht|niemals|vermeiden|hören sie auf|achten sie|bei schmerzen|wenn es schmerzt|vorsicht)", re.IGNORECASE
    ),
    instruction=re.compile(
        r"^(?:(?:langsam|dann|nun|jetzt)\s+)*(?:\w+en sie\b|heben|senken|strecken|halten|ziehen|drücken|legen|setzen"
        r"|stellen|rollen|drehen|kippen|spannen|atmen|wiederholen|beugen)",
        re.IGNORECASE,
    ),
    pain_clause=re.compile(r"\b(?:wenn|falls) (?:es|sie) (?:schmerzt|schmerzen)", re.IGNORECASE),
    general_note=re.compile(r"^(?:sie können|man kann)\b", re.IGNORECASE),
    form_cue=re.compile(r"^(?:achten sie|halten sie den rücken|der rücken bleibt)\b", re.IGNORECASE),
    body=re.compile(
        r"\b(?:knie|rücken|beine?|arme?|schultern?|hüfte|nacken|füße|fuß|hände|hand|becken|fersen?|kopf|boden"
        r"|ellenbogen|unterarme?n?|oberschenkel|rumpf|bauch|gesäß|wirbelsäule|zehen)\b",
        re.IGNORECASE,
    ),
    exercise_words=re.compile(
        r"\b(?:übung(?:en)?|wiederholungen|dehnung|halten|physiotherap\w*|muskeln?)\b", re.IGNORECASE
    ),
    labels={
        "ausgangsposition": "position",
        "ausgangsstellung": "position",
        "ausführung": "movement",
        "durchführung": "movement",
        "wiederholungen": "dose",
        "dosierung": "dose",
        "häufigkeit": "dose",
        "hinweis": "tip",
        "hinweise": "tip",
        "tipp": "tip",
        "achtung": "tip",
        "ziel": "tip",
        "steigerung": "skip",
    },
    general_headings=re.compile(r"^(?:einleitung|hinweise?|wichtig|allgemeines|kontakt)\b", re.IGNORECASE),
    heading_prefix=re.compile(r"^(?:übung|uebung)\s*\d+\s*[:.)\-\u2013]?\s*", re.IGNORECASE),
    filler=_words(
        "wiederholen wiederholungen üben machen führen durch alle übungen sie die übung mal pro tag "
        "woche jede seite je beide und dann oder "
        "sätze serien x halten häufigkeit abwechselnd im wechsel täglich"
    ),
    seconds_said="{seconds} Sekunden",
    hold_said="{seconds} Sekunden halten.",
)

LANGUAGES = {language.code: language for language in (ENGLISH, GERMAN)}

GERMAN_MARKERS = re.compile(
    r"\b(?:übung(?:en)?|wiederholungen|sekunden|halten sie|und|der|die|das|nicht|ihre?n?)\b", re.IGNORECASE
)
ENGLISH_MARKERS = re.compile(r"\b(?:the|and|your|with|repeat|times|seconds|hold)\b", re.IGNORECASE)


def detect(text: str) -> SheetLanguage:
    """The sheet's language, by its commonest words; English when unsure."""
    german = len(GERMAN_MARKERS.findall(text))
    english = len(ENGLISH_MARKERS.findall(text))
    return GERMAN if german > english else ENGLISH
