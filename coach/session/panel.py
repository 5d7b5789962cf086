"""The live panel: what a glance from the floor needs, redrawn a few times a second."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from rich.console import Group
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from coach.inputs.keys import HELP
from coach.inputs.listening.vocabulary import MEANINGS
from coach.plan.phrases import HEARD_KEYS, Phrases, alternatives
from coach.plan.preview import clock
from coach.plan.script import Cue, CueKind
from coach.sound.player import Command, Plan, Player, counted_phase, cue_at, phase_group

PANEL_WIDTH = 82  # wide enough for the key help; fixed so the box does not jump


@dataclass(frozen=True)
class Listening:
    """The microphone is on (coach --listen); `heard` is a saying just acted on."""

    heard: str | None = None


def phase_left(timeline: Plan, index: int, position: float) -> float:
    """Seconds until the current phase ends: the next cue that is not part of it."""
    cues = timeline.cues
    current = cues[index]
    key = phase_group(current)
    following = index + 1
    while (cue := cue_at(cues, following)) is not None:
        if phase_group(cue) != key:
            return max(0.0, cue.start - position)
        following += 1
    return max(0.0, timeline.total - position)


def phase_name(cue: Cue) -> str:
    names = {
        "intro": "Introduction",
        "next": "Coming up",
        "start": "Getting ready",
        "position": "Getting into position",
        "tips": "Tips and cautions",
        "settle": "Settle into position",
        "count": "Next rep",
        "move": "Move",
        "hold": "Hold",
        "return": "Return",
        "rest": "Rest",
        "switch": "Switch sides",
        "end": "Exercise done",
        "work": "Work",
        "own-pace": "Your own pace",
        "set": "Next set",
        "set-rest": "Rest between sets",
        "break": "Rest",
        "round": "Next round",
        "closing": "Closing",
        "farewell": "Ending",
    }
    phase = counted_phase(cue.phase) or ""
    return names.get(phase, phase.title())


def listening_hint(words: Phrases, acted_on: Collection[Command], paused: bool) -> str:
    """The first way of saying each command the coach acts on now, in the routine's language.
    Paused, that is going on or ending: a pain word is answered again, but it is not what to
    say next, and "next" or "again" would do nothing."""
    keys = [key for key in HEARD_KEYS if MEANINGS[key] in acted_on and not (paused and MEANINGS[key] is Command.PAIN)]
    return "say " + ", ".join(alternatives(words.table[key])[0] for key in keys)


def render(player: Player, listening: Listening | None = None, aside: tuple[str, float] | None = None) -> Panel:
    """The panel now. `aside`: words said outside the plan (the answer to a pain word) and
    the clock when, shown as said until a cue of the plan is said after them."""
    timeline = player.timeline
    total = timeline.known_total()
    position = player.position() if total is None else min(player.position(), total)
    last = next((p for p in reversed(player.played) if p.index >= 0), None)
    spans = {span.id: span for span in timeline.exercises}
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", style="dim")
    grid.add_column()
    if last is None:
        grid.add_row("", Text("Starting…", style="bold"))
    else:
        cue = last.cue
        span = spans.get(cue.exercise or "")
        rounds = max((s.round or 1 for s in timeline.exercises), default=1)
        if cue.round is not None:
            grid.add_row("Round", Text(f"{cue.round} of {rounds}", style="bold"))
        if span is not None:
            grid.add_row("Exercise", Text(f"{span.number} of {len(spans)}  {span.name}", style="bold"))
            if cue.set is not None:
                grid.add_row("Set", Text(f"{cue.set} of {span.sets}", style="bold cyan"))
            if cue.rep is not None:
                side = f"   {cue.side} side" if cue.side else ""
                grid.add_row("Rep", Text(f"{cue.rep} of {span.reps}{side}", style="bold cyan"))
        if cue.kind is CueKind.WAIT and player.await_listener:
            phase = f"{phase_name(cue)}   press space when you are done"
        else:
            phase = f"{phase_name(cue)}   {phase_left(timeline, last.index, position):.0f} s"
        grid.add_row("Now", Text(phase, style="bold yellow"))
        spoken = next((p for p in reversed(player.played) if p.cue.kind is CueKind.SPEECH), None)
        said = spoken.cue.text if spoken is not None else None
        if aside is not None and (spoken is None or aside[1] >= spoken.clock):
            said = aside[0]
        if said is not None:  # what was just spoken: a glance explains what was missed
            grid.add_row("Said", Text(said, overflow="fold"))
    if listening is not None and not player.ended:
        if listening.heard is not None:
            grid.add_row("Heard", Text(listening.heard, style="bold green"))
        else:
            hint = listening_hint(player.timeline.words, player.meaningful, player.paused)
            grid.add_row("Listening", Text(hint, style="dim"))
    if total is None:
        grid.add_row("Session", Text(f"{clock(player.elapsed())} elapsed   (the voice is still preparing the rest)"))
    else:
        grid.add_row("Session", ProgressBar(total=total, completed=position, width=44))
        grid.add_row("", Text(f"{clock(player.elapsed())} elapsed   {clock(total - position)} left"))
    if player.ended:  # the last frame stays on the screen: no keys or words offered that do nothing now
        status = Text("Ended early, as asked" if player.quit else "Done", style="bold")
    elif player.paused:
        status = Text("PAUSED: space to resume", style="bold reverse")
    else:
        status = Text(HELP, style="dim")
    return Panel(Group(grid, Text(""), status), title=timeline.title, width=PANEL_WIDTH)
