"""The ways a listener steers a running session, side by side.

Each input turns what it notices into a player `Command` and puts it on the one
`CommandStream` the player waits on; none of them knows the player. The keys read the
terminal, the remote answers MPRIS calls on D-Bus, the listener hears spoken commands.
A new input is one more module here that calls `put`.

May use: sound (the Command type), plan, common.
"""
