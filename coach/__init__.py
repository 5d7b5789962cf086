"""coach: a hands-free, voice-guided exercise coach.

One folder per concern; imports run one way only, down this list (tests/test_layout.py
checks it):

    cli        the `coach` command: one module per command, the only printer
    session    a session put together and run: live, the panel, export, subtitles
    record     the history (SQLite) and what reads it: the summary, the report
    inputs     what steers a running session: keys, the MPRIS remote, listening/
    sound      the player on one clock, and the sink it plays through
    voice      voice engines behind one interface, and the cache of their clips
    plan       routine (data) -> script (pure) -> a timeline of frozen cues
    common     the clip format, errors, paths, worker threads
"""

__version__ = "0.1.0"
