"""The sound path: the player, which plays a timeline against one monotonic origin and
waits on absolute deadlines, and the simpleaudio sink it plays through. `Command`, what
the inputs ask the player for, is defined here, below the inputs that send it.

May use: plan, common.
"""
