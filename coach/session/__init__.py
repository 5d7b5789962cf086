"""A session put together and run: prepare (request -> routine, voice, timeline), live
(the player, the inputs and the history wired together), the panel, export and subtitles.

May use: record, inputs, sound, voice, plan, common.
"""
