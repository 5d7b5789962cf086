"""coach: a hands-free, voice-guided exercise coach.

Read top to bottom: routine (the data) -> script (the pure engine that makes the
timeline) -> voice (speech clips) -> player (plays the timeline on time) -> cli.
"""

__version__ = "0.1.0"
