"""The record: every session in SQLite (history), what reads it (report: the sums; report_page:
the page and its charts), and the headless browser that turns the page into a PDF or PNG.

May use: common.
"""
