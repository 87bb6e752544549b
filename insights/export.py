"""The report as CSV: one section per table of the page, in the same numbers."""

from __future__ import annotations

import csv
import io
from typing import Any


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.1f}"
    if value is None:
        return ""
    text = str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def report_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)

    def row(*cells: Any) -> None:
        writer.writerow([_cell(c) for c in cells])

    row("business", report["business"]["name"])
    row("time zone", report["time_zone"])
    row("from", report["start"], "to", report["end"])
    row()
    row("date", "opened", "resolved")
    for day in report["days"]:
        row(day["date"], day["opened"], day["resolved"])
    row()
    row("measure", "count", "median seconds", "p90 seconds")
    for name in ("first_response_seconds", "resolution_seconds"):
        spread = report[name]
        row(
            name.replace("_seconds", "").replace("_", " "),
            spread["count"],
            spread["median"],
            spread["p90"],
        )
    row()
    csat = report["csat"]
    row("csat average", csat["average"], "answers", csat["count"])
    row("score", "answers")
    for score, count in csat["distribution"].items():
        row(score, count)
    row()
    row("sla", "met", "breached", "pending", "attainment")
    for name, sla in report["sla"].items():
        row(
            name.replace("_", " "),
            sla["met"],
            sla["breached"],
            sla["pending"],
            sla["attainment"],
        )
    if report["by_agent"]:
        row()
        row(
            "agent",
            "first responses",
            "median first response s",
            "resolved",
            "median resolution s",
            "csat average",
            "csat answers",
        )
        for a in report["by_agent"]:
            row(
                a["agent"],
                a["first_responses"],
                a["first_response_median"],
                a["resolved"],
                a["resolution_median"],
                a["csat_average"],
                a["csat_count"],
            )
    if report["by_team"]:
        row()
        row(
            "team",
            "opened",
            "median first response s",
            "resolved",
            "median resolution s",
            "csat average",
        )
        for t in report["by_team"]:
            row(
                t["team"],
                t["opened"],
                t["first_response_median"],
                t["resolved"],
                t["resolution_median"],
                t["csat_average"],
            )
    if report["by_label"]:
        row()
        row(
            "label",
            "opened",
            "first responses",
            "median first response s",
            "resolved",
            "median resolution s",
            "csat average",
            "csat answers",
        )
        for label in report["by_label"]:
            row(
                label["label"],
                label["opened"],
                label["first_responses"],
                label["first_response_median"],
                label["resolved"],
                label["resolution_median"],
                label["csat_average"],
                label["csat_count"],
            )
    return out.getvalue()
