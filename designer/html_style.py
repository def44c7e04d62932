"""The look shared by the program's self-contained HTML pages (the simulation report in
designer/export/reports.py, the fix comparison and sweep in designer/capacity/html.py):
page, headings, tables and the good/bad colours.  Plain CSS, no Qt; each page adds its own
rules after it."""

BASE_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#1b2430;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #d8dee6}
.meta{color:#5a6675}table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{padding:.3em .6em;border-bottom:1px solid #e3e8ee;text-align:left;vertical-align:top}
th{background:#f3f6f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b3261e;font-weight:600}.ok{color:#1e7d32}
"""
