"""Exercise sheets into routines: `coach import`.

A sheet (plain text, a PDF's text layer, a saved web page) is read into numbered lines
(`reading`), cut into exercises and sheet-wide notes (`finding`), each exercise's words
sorted into position, movement, hold, return and cautions and its dose found (`dosing`,
with each language's words in `languages`), and written as a routine draft whose every
field names the sheet's line it came from (`drafting`). `importer` runs the four.

May use: plan, common.
"""
