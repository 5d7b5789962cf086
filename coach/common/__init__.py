"""What every other folder stands on: the shared clip format and the chimes (audio),
the one-line errors every fault becomes, the user's folders, worker threads.

Imports nothing of coach's.
"""
