"""The plan: routine (TOML data) -> selection -> script (pure) -> a timeline of frozen cues.

No I/O beyond reading a routine, no clock, no sound: the dry-run, the live run and the
export all play what this folder lays out. `unfolding` is the same layout run ahead of a
live session while a cold cache renders. `phrases` are the coach's own words per language.

May use: common.
"""
