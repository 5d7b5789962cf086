"""Spoken commands (coach --listen): accuracy, false actions, latency, CPU and memory.

Accuracy: every English saying (pause, go on, next, ..., stop the session) and the
numbers of the check-in, spoken by voices other than the coach's own (eSpeak NG in three
accents, Piper joe at two other rates), clean and with noise at 10 dB SNR, each cut by
the listener's own segmenter and decided by its recogniser: the share acted on rightly,
rejected, and acted on wrongly. With --held-out, the same in five voices the recogniser's
rule was not tuned on (other eSpeak NG accents, Piper joe at 170 wpm).

False actions: the built-in routine's own phrases in the coach's voice, and ordinary
sentences (some with command words inside them), through the same path: how many would
have been acted on, per hour of that speech. The coach's voice is counted twice: by the
recogniser alone, and with the echo guard a session adds (the words it is playing).

Live (--live): a private PulseAudio whose null sink's monitor is the microphone; the
listener runs as in a session, commands are played into it with paplay, and the time
from the end of each command (paplay has drained it) to the listener's verdict is the
latency; the stream to the sound device adds ~2 ms more (scripts/bench_remote.py). Then
CPU over 30 s of silence, and the process's peak memory with the model loaded.

With --language de|es|fr: every saying of that language's table and its numbers, in three
eSpeak NG variants of the language's voice (not the coach's plain one), clean and noisy; then
ordinary sentences in that language in the same voices, and how many would have been acted on.
With --natural too, in voices made from recorded speech: MBROLA's diphone voices (driven by
eSpeak NG) and SVOX Pico, from Debian's contrib and non-free sections (`--natural` says which
packages it lacks). eSpeak NG's formant voices are harder to hear than a person: Whisper base
writes "Nick" for de+m3's "sechs", and "6." for MBROLA's de6 and Pico's.

    python scripts/bench_listen.py [--live | --only-live | --held-out | --language de [--natural]]
    (needs the listen extra)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import soxr
from benchlib import command_line, machine, percentile

from coach.common.audio import RATE
from coach.inputs.listening.denoise import having_heard
from coach.inputs.listening.recogniser import Hearing, Recogniser
from coach.inputs.listening.segmenter import SAMPLE_RATE, utterances_in
from coach.inputs.listening.vocabulary import Saying, Vocabulary
from coach.plan.phrases import Phrases
from coach.plan.routine import load_builtin
from coach.plan.script import SessionOptions, spoken_phrases
from coach.voice.voices import Voice, VoiceSettings

OTHER_VOICES = [
    VoiceSettings("gmw/en-US", 150),
    VoiceSettings("gmw/en-GB-x-rp", 180),
    VoiceSettings("gmw/en-GB-scotland", 140),
    VoiceSettings("en_US-joe-medium", 130),
    VoiceSettings("en_US-joe-medium", 200),
]
# Voices the recogniser's rule was not tuned on (--held-out): how well it carries over.
HELD_OUT_VOICES = [
    VoiceSettings("gmw/en-GB-x-gbclan", 160),
    VoiceSettings("gmw/en-GB-x-gbcwmd", 150),
    VoiceSettings("gmw/en-029", 150),
    VoiceSettings("en_US-joe-medium", 170),
    VoiceSettings("gmw/en", 170),
]
# Other languages (--language): eSpeak NG's variants of the language's voice, which differ from
# the coach's own (the plain voice) in pitch, formants and pace, rendered with the espeak-ng command.
LANGUAGE_VOICES = {
    "de": [("de+m3", 150), ("de+f2", 140), ("de+klatt", 170)],
    "es": [("es+m3", 150), ("es-419+f2", 140), ("es+klatt", 170)],
    "fr": [("fr+m3", 150), ("fr-be+f2", 140), ("fr+klatt", 170)],
}
# The same with voices made from recorded speech (--natural): MBROLA's through eSpeak NG, at a
# pace in words per minute, and Pico ("pico:"), which has one pace per language and is played
# faster or slower as a tape is (a speed in percent; its pitch moves with it). MBROLA's Spanish
# voices take eSpeak NG's phonemes badly ("e/-u unknown") and come out garbled, so Spanish has
# Pico's voice at three speeds.
NATURAL_VOICES = {
    "de": [("mb-de6", 160), ("mb-de7", 140), ("pico:de-DE", 100)],
    "es": [("pico:es-ES", 100), ("pico:es-ES", 88), ("pico:es-ES", 112)],
    "fr": [("mb-fr1", 160), ("mb-fr4", 140), ("pico:fr-FR", 100)],
}
NATURAL_PACKAGES = "mbrola mbrola-de6 mbrola-de7 mbrola-fr1 mbrola-fr4 libttspico-utils"

ORDINARY = [
    "I'm done with the dishes.",
    "Can you pass me the water?",
    "The next bus leaves at nine.",
    "My back feels a bit better today.",
    "Let's go back home after this.",
    "I will continue tomorrow morning.",
    "Wait for me at the door.",
    "What time is it?",
    "Stop it, that tickles.",
    "I need a pause from work.",
    "That was the last one, I think.",
    "The cat is sleeping on the sofa.",
    "Did you hear the phone ring?",
    "Again and again the same song.",
    "We finished the project on Friday.",
    "Hold on to the rail when you stand up.",
    "Skip the bread, please.",
    "Resume the download later.",
    "The session starts at ten.",
    "It is cold outside, put a jacket on.",
    "I think I'm going to make some tea.",
    "Turn the music down a little.",
    "She said she would call back.",
    "The doctor told me to rest.",
]


# Ordinary talk in each language (--language), some with a command word inside, as above.
ORDINARY_ELSEWHERE = {
    "de": [
        "Ich bin mit dem Abwasch fertig.",
        "Kannst du mir das Wasser geben?",
        "Der nächste Bus fährt um neun.",
        "Mein Rücken fühlt sich heute besser an.",
        "Warte an der Tür auf mich.",
        "Wie spät ist es?",
        "Ich mache morgen früh weiter.",
        "Die Katze schläft auf dem Sofa.",
        "Hast du das Telefon gehört?",
        "Wir haben das Projekt am Freitag geschafft.",
        "Halt dich am Geländer fest, wenn du aufstehst.",
        "Nach dem Essen will ich zurück nach Hause.",
        "Der Arzt hat gesagt, ich soll mich ausruhen.",
        "Es ist kalt draußen, zieh eine Jacke an.",
        "Ich glaube, ich koche mir einen Tee.",
        "Mach die Musik ein bisschen leiser.",
    ],
    "es": [
        "Ya terminé de lavar los platos.",
        "¿Me pasas el agua?",
        "El siguiente autobús sale a las nueve.",
        "Hoy la espalda me molesta un poco menos.",
        "Espera en la puerta, por favor.",
        "¿Qué hora es?",
        "Mañana sigo con el trabajo.",
        "El gato duerme en el sofá.",
        "¿Oíste sonar el teléfono?",
        "Otra vez la misma canción.",
        "Agárrate a la barandilla al levantarte.",
        "El café ya está listo.",
        "El médico me dijo que descansara.",
        "Hace frío fuera, ponte una chaqueta.",
        "Creo que voy a preparar un té.",
        "Baja un poco la música.",
    ],
    "fr": [
        "J'ai fini la vaisselle.",
        "Tu peux me passer l'eau ?",
        "Le prochain bus part à neuf heures.",
        "Mon dos va un peu mieux aujourd'hui.",
        "Attends-moi devant la porte.",
        "Quelle heure est-il ?",
        "Je continuerai demain matin.",
        "Le chat dort sur le canapé.",
        "Tu as entendu le téléphone sonner ?",
        "Encore et toujours la même chanson.",
        "Tiens-toi à la rampe en te levant.",
        "On rentre à la maison après le repas.",
        "Le médecin m'a dit de me reposer.",
        "Il fait froid dehors, mets une veste.",
        "Je crois que je vais faire du thé.",
        "Baisse un peu la musique.",
    ],
}


def as_16k(frames: bytes) -> np.ndarray:
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768
    return np.asarray(soxr.resample(samples, RATE, SAMPLE_RATE), dtype=np.float32)


def with_noise(speech: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Speech plus pink-ish noise (white, low-passed) at the given signal-to-noise ratio."""
    white = rng.standard_normal(len(speech)).astype(np.float32)
    noise = np.convolve(white, np.ones(8, np.float32) / 8, mode="same")
    loud = speech[np.abs(speech) > 0.01]
    speech_power = float(np.mean(loud**2)) if len(loud) else float(np.mean(speech**2))
    noise *= np.sqrt(speech_power / (10 ** (snr_db / 10)) / float(np.mean(noise**2)))
    return speech + noise


def padded(audio: np.ndarray, before: float = 0.5, after: float = 1.0) -> np.ndarray:
    silence = np.zeros(int(SAMPLE_RATE * before), np.float32), np.zeros(int(SAMPLE_RATE * after), np.float32)
    return np.concatenate([silence[0], audio, silence[1]])


def hearings(recogniser: Recogniser, audio: np.ndarray, vocabulary: Vocabulary) -> list[Hearing]:
    """What the recogniser makes of each utterance the listener's segmenter cuts from this
    sound. In a session the noise suppressor has heard the room long before anyone
    speaks; here it first hears this sound's lead-in (its first 0.25 s: silence or noise) for 2 s."""
    suppress = having_heard(audio[: SAMPLE_RATE // 4])
    return [recogniser.hear_utterance(u, vocabulary) for u in utterances_in(audio, suppress)]


def decide(recogniser: Recogniser, audio: np.ndarray, vocabulary: Vocabulary) -> list[tuple[str, Saying | None]]:
    """What the listener would act on in this stretch of sound: each utterance's guess and saying."""
    return [(hearing.guess, hearing.saying) for hearing in hearings(recogniser, audio, vocabulary)]


def rendered_frames(command: list[str], quiet: bool = False) -> tuple[bytes, int]:
    """What a speech command writes to the WAV file named "{wav}" in it: 16-bit mono frames
    and their rate. `quiet` drops its stderr (MBROLA warns of each diphone it lacks, and
    says it as silence)."""
    import wave

    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "said.wav")  # pico2wave wants a name ending in .wav
        subprocess.run(
            [out if part == "{wav}" else part for part in command],
            check=True,
            stderr=subprocess.DEVNULL if quiet else None,
        )
        with wave.open(out, "rb") as source:
            return source.readframes(source.getnframes()), source.getframerate()


def espeak_frames(voice: str, rate: int, text: str) -> tuple[bytes, int]:
    """`text` spoken by an eSpeak NG voice variant ("de+m3") alone, by the espeak-ng command."""
    return rendered_frames(["espeak-ng", "-v", voice, "-s", str(rate), "-w", "{wav}", text], quiet=True)


def said_by(voice: str, rate: int, text: str) -> np.ndarray:
    """`text` spoken by an eSpeak NG voice variant ("de+m3", or MBROLA's "mb-de6"), 16 kHz
    float32; or by Pico ("pico:de-DE"), `rate` then its speed in percent, played as a tape."""
    if voice.startswith("pico:"):
        frames, rate_in = rendered_frames(["pico2wave", "-l", voice[len("pico:") :], "-w", "{wav}", text])
        played_at = rate_in * rate / 100
    else:
        frames, played_at = espeak_frames(voice, rate, text)
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768
    return np.asarray(soxr.resample(samples, played_at, SAMPLE_RATE), dtype=np.float32)


def missing_natural_voices(language: str) -> list[str]:
    """What --natural lacks on this machine for `language`: Pico's command, MBROLA's voices."""
    voices = [voice for voice, _ in NATURAL_VOICES[language]]
    missing = ["pico2wave"] if any(v.startswith("pico:") for v in voices) and not shutil.which("pico2wave") else []
    for voice in voices:
        if voice.startswith("mb-") and not Path("/usr/share/mbrola", voice[3:]).exists():
            missing.append(f"MBROLA's {voice[3:]}")
    return missing


def person_speech(settings: VoiceSettings, text: str) -> np.ndarray:
    """A person's words, 16 kHz float32. eSpeak NG carries its state from phrase to phrase within
    a process, so a cached render of the same words depended on what had been rendered before
    it, by any benchmark, on that machine: an eSpeak voice is rendered alone, by the espeak-ng
    command, the same sound on every machine. Piper's voice through the coach's engine."""
    if settings.voice is not None and "/" in settings.voice:
        return said_by(settings.voice, settings.rate, text)
    return as_16k(Voice(settings).clip(text).frames)


def verdict(decided: list[tuple[str, Saying | None]], saying: Saying, label: str) -> tuple[str, str | None]:
    """How one spoken saying was taken: right, rejected or wrong, and a line saying how when not right."""
    acted = [s for _, s in decided if s is not None]
    guesses = [g for g, _ in decided]
    if acted and all(s.meaning == saying.meaning for s in acted):
        return "right", None
    if not acted:
        return "rejected", f"  rejected  {label} heard as {guesses}"
    return "wrong", f"  WRONG     {label} heard as {guesses} -> {[s.words for s in acted]}"


def language_accuracy(recogniser: Recogniser, language: str, natural: bool = False) -> None:
    """Every saying of a language's table (and its numbers), in three eSpeak NG variants (or,
    `natural`, three voices made from recorded speech), clean and at 10 dB SNR: right, rejected,
    wrong."""
    voices = (NATURAL_VOICES if natural else LANGUAGE_VOICES)[language]
    words = Phrases.for_language(language)
    commands, numbers = Vocabulary.commands(words, language), Vocabulary.numbers(words, language)
    rng = np.random.default_rng(7)
    tallies: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}  # by noisy
    lines: list[str] = []
    for voice, rate in voices:
        for vocabulary in (commands, numbers):
            for saying in vocabulary.sayings:
                speech = said_by(voice, rate, saying.words[:1].upper() + saying.words[1:] + ".")
                for noisy in (False, True):
                    audio = with_noise(padded(speech), 10, rng) if noisy else padded(speech)
                    label = f"{voice}@{rate}{' +noise' if noisy else ''}: {saying.words!r}"
                    kind, line = verdict(decide(recogniser, audio, vocabulary), saying, label)
                    tallies[noisy][kind] += 1
                    lines += [line] if line else []
    total = sum(tallies[False].values()) + sum(tallies[True].values())
    kind = "voices made from recorded speech" if natural else "eSpeak NG voices"
    print(f"{language}: {total} commands and numbers in {len(voices)} {kind}, clean and noisy")
    print_tally(tallies)
    print("\n".join(lines))
    speakers = [(f"{voice}@{rate}", partial(said_by, voice, rate)) for voice, rate in voices]
    seconds, acted = sentence_actions(recogniser, commands, ORDINARY_ELSEWHERE[language], speakers)
    sentences = len(ORDINARY_ELSEWHERE[language]) * len(voices)
    print_actions(f"ordinary sentences: {sentences} ({len(voices)} voices)", seconds, acted)


def sentence_actions(
    recogniser: Recogniser,
    commands: Vocabulary,
    sentences: list[str],
    speakers: list[tuple[str, Callable[[str], np.ndarray]]],
) -> tuple[float, list[str]]:
    """Ordinary sentences said by each (label, speak) in turn, each heard alone: the seconds
    of sound, and a line for every action they would have caused."""
    seconds, acted = 0.0, []
    for label, speak in speakers:
        for sentence in sentences:
            audio = padded(speak(sentence), 0.3, 0.6)
            seconds += len(audio) / SAMPLE_RATE
            acted += [
                f"{sentence!r} ({label}) heard as {guess!r} -> {saying.words}"
                for guess, saying in decide(recogniser, audio, commands)
                if saying is not None
            ]
    return seconds, acted


def print_actions(what: str, seconds: float, acted: list[str]) -> None:
    print(f"{what}, {seconds / 60:.1f} min: {len(acted)} actions ({len(acted) / (seconds / 3600):.1f} per hour)")
    for line in acted:
        print("   ", line)


def print_tally(tallies: dict[bool, Counter[str]]) -> None:
    """Right, rejected and wrong in all, then right and wrong clean and in noise apart."""
    both = tallies[False] + tallies[True]
    total = sum(both.values())
    for key in ("right", "rejected", "wrong"):
        print(f"  {key:9} {both[key]:4}  {100 * both[key] / total:5.1f}%")
    for noisy, name in ((False, "clean"), (True, "at 10 dB SNR")):
        tally, count = tallies[noisy], sum(tallies[noisy].values())
        print(
            f"  {name}: right {100 * tally['right'] / count:.1f}%, wrong {100 * tally['wrong'] / count:.1f}% "
            f"(of {count})"
        )


def accuracy(recogniser: Recogniser, words: Phrases, voices: list[VoiceSettings] = OTHER_VOICES) -> None:
    commands, numbers = Vocabulary.commands(words, "en"), Vocabulary.numbers(words, "en")
    rng = np.random.default_rng(7)
    tallies: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}  # by noisy
    wrong: list[str] = []
    times: list[float] = []
    cases = [(s, commands, v) for v in voices for s in commands.sayings]
    cases += [(s, numbers, v) for v in (voices[0], voices[3]) for s in numbers.sayings]
    for saying, vocabulary, settings in cases:
        speech = person_speech(settings, saying.words[:1].upper() + saying.words[1:] + ".")
        for noisy in (False, True):
            audio = with_noise(padded(speech), 10, rng) if noisy else padded(speech)
            started = time.perf_counter()
            decided = decide(recogniser, audio, vocabulary)
            times.append(time.perf_counter() - started)
            label = f"{settings.voice}@{settings.rate}{' +noise' if noisy else ''}: {saying.words!r}"
            kind, line = verdict(decided, saying, label)
            tallies[noisy][kind] += 1
            wrong += [line] if line else []
    total = sum(tallies[False].values()) + sum(tallies[True].values())
    print(f"spoken commands: {total} ({len(voices)} voices x {len(commands.sayings)} sayings, numbers x 2 voices;")
    print("  each clean and at 10 dB SNR)")
    print_tally(tallies)
    print(
        f"  recognition time per command (segmenting included): median {percentile(times, 0.5):.2f} s, "
        f"p95 {percentile(times, 0.95):.2f} s"
    )
    print("\n".join(wrong))


def false_actions(recogniser: Recogniser, words: Phrases) -> None:
    commands = Vocabulary.commands(words, "en")
    coach = Voice(VoiceSettings())
    phrases = spoken_phrases(load_builtin(), SessionOptions())
    seconds, alone, guarded = 0.0, [], []
    for phrase in phrases:
        audio = padded(as_16k(coach.clip(phrase).frames), 0.3, 0.6)
        seconds += len(audio) / SAMPLE_RATE
        for hearing in hearings(recogniser, audio, commands):
            if hearing.saying is not None:
                alone.append(f"{phrase!r} heard as {hearing.guess!r} -> {hearing.saying.words}")
                # In a session the coach is sounding: only a plain saying counts, and not its own words.
                if hearing.plain and not echo_guarded(hearing.guess, hearing.saying, phrase):
                    guarded.append(alone[-1])
    hours = seconds / 3600
    print(f"\nthe coach's own voice: {len(phrases)} phrases of the built-in routine, {seconds / 60:.1f} min")
    print(f"  recogniser alone: {len(alone)} actions ({len(alone) / hours:.1f} per hour)")
    print(f"  with the echo guard of a session: {len(guarded)} actions ({len(guarded) / hours:.1f} per hour)")
    for line in alone:
        print("   ", line)
    speakers = [(str(settings.voice), partial(person_speech, settings)) for settings in OTHER_VOICES]
    seconds, acted = sentence_actions(recogniser, commands, ORDINARY, speakers)
    print_actions(f"ordinary sentences: {len(ORDINARY)} x {len(OTHER_VOICES)} voices", seconds, acted)


def echo_guarded(guess: str, saying: Saying, playing: str) -> bool:
    from coach.inputs.listening.sounding import is_echo

    return is_echo(guess, playing) or is_echo(saying.words, playing)


def live(words: Phrases) -> None:
    """Through a real PulseAudio microphone: latency, CPU on silence, memory."""
    from coach.inputs.listening.listener import Listener

    home = Path(tempfile.mkdtemp(prefix="coach-bench-listen-"))
    socket = home / "native"
    (home / "server.pa").write_text(
        "load-module module-null-sink sink_name=mic\nset-default-sink mic\nset-default-source mic.monitor\n"
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket}\n"
    )
    (home / "asound.conf").write_text(f'pcm.!default {{ type pulse server "unix:{socket}" }}\n')
    os.environ.update(
        HOME=str(home),
        XDG_RUNTIME_DIR=str(home),
        PULSE_SERVER=f"unix:{socket}",
        ALSA_CONFIG_PATH=str(home / "asound.conf"),
    )
    server = subprocess.Popen(
        ["pulseaudio", "-n", "-F", str(home / "server.pa"), "--daemonize=no", "--exit-idle-time=-1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "PulseAudio did not start"
            time.sleep(0.1)
        commands = Vocabulary.commands(words, "en")
        heard: list[tuple[float, Saying]] = []
        arrived = threading.Event()

        def deliver(saying: Saying) -> bool:
            heard.append((time.monotonic(), saying))
            arrived.set()
            return True

        listener = Listener(commands, deliver, lambda line: print(line))
        listener.load()
        child = listener._process.pid  # the listening runs in a process of its own
        print(
            f"\nlive, through PulseAudio: peak memory with the model loaded {peak_mb():.0f} MB here, "
            f"{child_peak_mb(child):.0f} MB in the listening process"
        )
        assert listener.start()
        time.sleep(1)
        voices = [Voice(OTHER_VOICES[0]), Voice(OTHER_VOICES[3])]
        sayings = [s for s in commands.sayings if s.words in ("pause", "go on", "next", "back", "again", "done")]
        latencies, missed, wrong = [], 0, 0
        for _ in range(3):
            for voice in voices:
                for saying in sayings:
                    clip = voice.clip(saying.words[:1].upper() + saying.words[1:] + ".")
                    wav = home / "say.wav"
                    write_wav(wav, clip.frames)
                    arrived.clear()
                    subprocess.run(["paplay", "--latency-msec=20", str(wav)], check=True)
                    ended = time.monotonic()
                    if not arrived.wait(3):
                        missed += 1
                    elif heard[-1][1].meaning != saying.meaning:
                        wrong += 1
                        print(f"  WRONG {voice.settings.voice}: {saying.words!r} taken as {heard[-1][1].words!r}")
                    else:
                        latencies.append(heard[-1][0] - ended)
                    time.sleep(0.3)
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        print(f"  latency, end of the command (paplay drained) to the listener's verdict, {len(latencies)} commands")
        print(f"  ({missed} not acted on, {wrong} wrong): p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(latencies):.2f} s")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before, wall_before = usage.ru_utime + usage.ru_stime + child_cpu(child), time.monotonic()
        time.sleep(30)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime + child_cpu(child) - cpu_before
        print(
            f"  CPU while listening to silence, 30 s: {100 * cpu / (time.monotonic() - wall_before):.2f}% of one core"
        )
        listener.stop()
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(home, ignore_errors=True)


def write_wav(path: Path, frames: bytes) -> None:
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_cpu(pid: int) -> float:
    """CPU seconds of a running process of ours (the listening process), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live", action="store_true", help="also through a private PulseAudio microphone")
    parser.add_argument("--only-live", action="store_true", help="just the live part")
    parser.add_argument("--held-out", action="store_true", help="accuracy in untuned voices")
    parser.add_argument("--language", choices=sorted(LANGUAGE_VOICES), help="accuracy in German, Spanish or French")
    parser.add_argument("--natural", action="store_true", help="with --language: MBROLA and Pico voices")
    args = parser.parse_args()
    if args.natural and not args.language:
        parser.error("--natural goes with --language")
    if args.natural and (missing := missing_natural_voices(args.language)):
        sys.exit(
            f"bench_listen: --natural needs {', '.join(missing)}: enable Debian's contrib and non-free "
            f"sections and install {NATURAL_PACKAGES}"
        )
    print(f"# {command_line()}  ({machine()})")
    if args.language:
        language_accuracy(Recogniser(), args.language, args.natural)
        return
    words = Phrases.for_language("en")
    if args.held_out:
        accuracy(Recogniser(), words, HELD_OUT_VOICES)
        return
    if not args.only_live:
        recogniser = Recogniser()
        accuracy(recogniser, words)
        false_actions(recogniser, words)
    if args.live or args.only_live:
        live(words)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
