"""`coach voices`: the installed voices; Piper's catalogue; adding and removing a Piper voice.

Thin, as the rest of the CLI: coach.voice.voices lists what is installed, coach.voice.catalogue
reads the catalogue and moves the files.
"""

from __future__ import annotations

from typing import Annotated

import typer

from coach.common.errors import OptionError, VoiceUnavailable

voices_app = typer.Typer(
    add_completion=False,
    rich_markup_mode=None,
    help="Every engine's installed voices (for --voice); `add` and `remove` install Piper voices.",
)

FromOption = Annotated[
    str | None,
    typer.Option("--from", metavar="URL", help="A mirror of Piper's voice catalogue (default: Piper's own)."),
]
LanguageOption = Annotated[str | None, typer.Option("--language", help="Only voices for this language, e.g. de.")]


@voices_app.callback(invoke_without_command=True)
def voices(
    context: typer.Context,
    language: LanguageOption = None,
    available: Annotated[
        bool, typer.Option("--available", help="What Piper's catalogue offers, * where installed.")
    ] = False,
    source: FromOption = None,
) -> None:
    """List every engine's installed voices (for --voice); neural ones are the easiest to follow."""
    if context.invoked_subcommand is not None:
        return
    if available:
        _available(language, source)
        return
    from coach.voice.voices import INSTALL_HINT, all_voices, resolve_voice

    shown = all_voices(language)
    if not shown:
        if language is None:
            raise VoiceUnavailable(f"no voice engine is installed: {INSTALL_HINT}")
        raise OptionError(f"no installed voice for language '{language}'")
    _engine, default = resolve_voice(None, "en")
    table = [(" ", "id", "language", "engine", "kind", "name")] + [
        (
            "*" if info == default else " ",
            info.id,
            info.language,
            engine.name,
            "neural" if info.neural else "formant",
            info.name,
        )
        for engine, info in shown
    ]
    # Columns as wide as their longest entry: eSpeak NG has ids like "sit/cmn-latn-pinyin".
    widths = [max(len(row[column]) for row in table) for column in range(5)]
    for row in table:
        typer.echo(" ".join(f"{cell:<{width}}" for cell, width in zip(row[:5], widths, strict=True)) + f" {row[5]}")
    typer.echo("* the default for English routines; a routine's language picks the first voice listed for it")


def _available(language: str | None, source: str | None) -> None:
    from coach.voice.catalogue import catalogue_address, read_catalogue
    from coach.voice.engines import language_matches
    from coach.voice.engines.piper import voices_folder

    catalogue = read_catalogue(catalogue_address(source))
    folder = voices_folder()
    offered = [v for v in catalogue.values() if language is None or language_matches(v.language, language)]
    if not offered:
        raise OptionError(f"Piper's catalogue has no voice for language '{language}'")
    for voice in sorted(offered, key=lambda v: v.key):
        installed = "*" if (folder / f"{voice.key}.onnx").exists() else " "
        size = f"{voice.size / 1e6:.0f} MB"
        typer.echo(
            f"{installed} {voice.key:<36} {voice.language:<7} {voice.quality:<7} {size:>7}  {voice.language_name}"
        )
    typer.echo("* installed; `coach voices add NAME` installs one")


@voices_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The voice, as the catalogue names it: de_DE-thorsten-medium.")],
    source: FromOption = None,
    force: Annotated[bool, typer.Option("--force", help="Fetch it again though it is installed.")] = False,
) -> None:
    """Download a Piper voice from its catalogue into your voices folder, each file checked."""
    from coach.cli.progress_bar import progress_bar
    from coach.plan.phrases import base_language
    from coach.voice.catalogue import catalogue_address, find_voice, free_space_for, install, read_catalogue
    from coach.voice.engines.piper import voices_folder

    address = catalogue_address(source)
    voice = find_voice(read_catalogue(address), name)
    folder = voices_folder()
    if force or not any((folder / file.name).exists() for file in voice.files):
        free_space_for(voice, folder)
    with progress_bar(f"{voice.key}, {voice.size / 1e6:.0f} MB", transfer=True) as report:
        installed = install(voice, address, folder, force, report)
    typer.echo(f"{voice.key}: installed in {installed[0].parent}, checked against the catalogue")
    language = base_language(voice.language)
    typer.echo(f'A routine with language = "{language}" now speaks with it; or --voice {voice.key}')


@voices_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="An installed voice: de_DE-thorsten-medium.")]) -> None:
    """Remove a Piper voice from your voices folder."""
    from coach.voice.catalogue import remove as remove_voice
    from coach.voice.engines.piper import voices_folder

    removed = remove_voice(name, voices_folder())
    typer.echo(f"{name}: removed ({', '.join(path.name for path in removed)})")
