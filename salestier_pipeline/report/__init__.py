"""Static HTML report (one self-contained page per as-of date) drawn from the published marts.

charts.py   SVG primitives and charts (numbers in, SVG out)
sections.py one plain query and one renderer per section (rows in, HTML out)
page.py     assembly with templates/report.html.j2 and report.css; write_report / write_reports
"""

from salestier_pipeline.report.page import as_of_dates, render_report, report_path, write_report, write_reports

__all__ = ["as_of_dates", "render_report", "report_path", "write_report", "write_reports"]
