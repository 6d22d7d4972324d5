"""The allocation report as documents a planner files: HTML page, CSV, XLSX and PDF.

One tabulation (`reports.records`) feeds every format, so the numbers in the
spreadsheet, the CSV, the page and the PDF are the ones of the JSON answer.
"""
