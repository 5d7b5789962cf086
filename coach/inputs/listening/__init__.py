"""Spoken commands: the microphone cut into utterances (segmenter), the coach's own sound
taken back out (sounding, denoise), and a closed set of sayings heard by Whisper
(recogniser, vocabulary). The listener ties them together and puts commands on the stream.

May use: sound (the Command type and the Sink protocol), plan (phrases), common.
"""
