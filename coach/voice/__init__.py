"""Voices: engines behind one small interface (engines/, one module per backend, chosen at
run time), each phrase rendered once into a cache of clips (voices), and Piper's catalogue
for adding voices (catalogue). A new voice engine is one more module in engines/.

May use: common.
"""
