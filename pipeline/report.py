"""``newsingest report``: one self-contained HTML file describing a run (or all runs).

The page has inline CSS and inline SVG charts only: no scripts, no fonts, no external
references, so it can be mailed or archived as is. Everything taken from the data is
HTML-escaped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from html import escape

import orjson
from apache_beam.io.filesystems import FileSystems

from newsingest.pipeline._report_data import NO_DATE, Cluster, ReportData, UnknownRunError, collect
from newsingest.pipeline._report_svg import PALETTE, bar_chart, column_chart, legend
from newsingest.pipeline.exitcodes import ExitCode
from newsingest.pipeline.load import DatasetNotFoundError
from newsingest.transforms.core.decoding import REASONS
from newsingest.transforms.formats import INPUT_REASONS

__all__ = ["REPORTS_FOLDER", "default_report_path", "main", "render", "write_report"]

REPORTS_FOLDER = "_reports"

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;color:#222;margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px;box-sizing:border-box}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:1px solid #ccd;
padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.sub{color:#667;margin:0 0 16px}.empty{color:#667;font-style:italic}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:24px}.card span{color:#667}
.ok{color:#2d7a46;font-weight:600}.bad{color:#b3261e;font-weight:600}
table{border-collapse:collapse;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #dde;padding:4px 8px;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#eef0f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px;align-items:start}
.chart{background:#fff;border:1px solid #dde;border-radius:6px;max-width:100%;height:auto}
.legend span{margin-right:14px}.legend i{display:inline-block;width:11px;height:11px;
margin-right:4px;vertical-align:-1px}
.cluster{background:#fff;border:1px solid #dde;border-radius:6px;padding:10px 14px;margin:14px 0}
.cluster h3{margin:0 0 8px}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px;align-items:start}
.doc{border:1px solid #e3e5ea;border-radius:4px;padding:8px 10px;margin-bottom:8px;
background:#fcfcfd}
.doc.canonical{border-left:4px solid #3b6ea8;position:sticky;top:8px}
.doc.duplicate{border-left:4px solid #e08a2c}
.doc .meta{color:#667;font-size:12px;word-break:break-all}
.doc .title{font-weight:600;margin:4px 0}.doc p{margin:4px 0;white-space:pre-wrap}
.note{color:#8a5a00;font-size:12px;font-style:italic}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px;color:#fff}
code{font-size:12px;word-break:break-all}
footer{color:#889;font-size:12px;margin-top:32px}
"""

_METHOD_COLORS = {"exact": PALETTE[0], "near": PALETTE[1], "story": PALETTE[2]}


def _color(method: str) -> str:
    return _METHOD_COLORS.get(method, PALETTE[3 + sum(map(ord, method)) % 3])


def _e(value) -> str:
    return escape("" if value is None else str(value))


def _n(value) -> str:
    return f"{value:,}" if isinstance(value, int) else _e(value)


def _table(header: Sequence[str], rows: Sequence[Sequence], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header) if any(header) else ""
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_n(v)}</td>' if i in numeric else f"<td>{_e(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    head = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{body}</section>'


def _setting(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, bool) or value is None:
        return orjson.dumps(value).decode()
    return str(value)


def _flatten(settings: dict, prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, value in settings.items():
        if isinstance(value, dict):
            rows += _flatten(value, f"{prefix}{key}.")
        else:
            rows.append((prefix + key, _setting(value)))
    return rows


def _total(manifests: list[dict], key: str) -> int:
    return sum(m["counts"][key] for m in manifests)


def _summary(data: ReportData) -> str:
    read, kept = _total(data.manifests, "read"), _total(data.manifests, "kept")
    dups, quarantined = _total(data.manifests, "duplicates"), _total(data.manifests, "quarantined")
    cards = "".join(
        f'<div class="card"><b>{value:,}</b><span>{label}</span></div>'
        for label, value in (
            ("read", read),
            ("kept", kept),
            ("duplicates", dups),
            ("quarantined", quarantined),
        )
    )
    balanced = read == kept + dups + quarantined
    accounting = (
        f"<p>Accounting: read {read:,} = kept {kept:,} + duplicates {dups:,} + quarantined "
        f"{quarantined:,} "
        + ('<span class="ok">✓ balanced</span>' if balanced else '<span class="bad">✗ off</span>')
        + "</p>"
    )
    expected = {"kept": kept, "duplicates": dups, "quarantined": quarantined}
    if expected == data.rows:
        check = '<p>Rows found in the dataset match the manifest <span class="ok">✓</span></p>'
    else:
        found = ", ".join(f"{k} {v:,}" for k, v in data.rows.items())
        check = (
            f'<p class="bad">Rows found in the dataset ({_e(found)}) differ from the '
            "manifest: a compaction in progress, or files removed?</p>"
        )
    parts = [
        '<section id="summary"><h2>Summary</h2>',
        f'<div class="cards">{cards}</div>',
        accounting,
        check,
    ]
    if data.scope == "all":
        parts.append(f"<h3>Runs ({len(data.manifests):,})</h3>")
        parts.append(
            _table(
                ["run", "committed at", "read", "kept", "duplicates", "quarantined", "wall s"],
                [
                    (
                        m["run_id"],
                        m.get("committed_at"),
                        m["counts"]["read"],
                        m["counts"]["kept"],
                        m["counts"]["duplicates"],
                        m["counts"]["quarantined"],
                        m.get("timings_s", {}).get("wall", m.get("timings_s", {}).get("pipeline")),
                    )
                    for m in data.manifests
                ],
                numeric=(2, 3, 4, 5, 6),
            )
        )
    else:
        [m] = data.manifests
        details = [
            ("run_id", m["run_id"]),
            ("status", m.get("status")),
            ("ingested at", m.get("ingested_at")),
            ("committed at", m.get("committed_at")),
            ("files", len(m.get("files", []))),
        ]
        counts = m["counts"]
        parts.append('<div class="grid2"><div><h3>Run</h3>')
        parts.append(_table(["", ""], details))
        parts.append(_counts_table("duplicates by method", counts.get("duplicates_by_method")))
        parts.append(_counts_table("quarantined by reason", counts.get("quarantined_by_reason")))
        parts.append(_timings(m.get("timings_s") or {}))
        parts.append("</div><div><h3>Settings</h3>")
        parts.append(_table(["setting", "value"], _flatten(m.get("settings") or {})))
        parts.append("</div></div>")
    parts.append("</section>")
    return "".join(parts)


def _counts_table(what: str, counts: dict | None) -> str:
    """A ``what`` | count table (``none`` when empty)."""
    label = what.split(" by ")[-1]
    if not counts:
        return f'<h3>{_e(what.capitalize())}</h3><p class="empty">none</p>'
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return f"<h3>{_e(what.capitalize())}</h3>" + _table([label, "count"], rows, numeric=(1,))


def _seconds(value: float) -> str:
    return f"{value:,.3f}"


def _timings(timings: dict) -> str:
    """Wall/pipeline seconds, CPU seconds per stage (with shares) and counters, as tables."""
    scalars = sorted((k, v) for k, v in timings.items() if isinstance(v, (int, float)))
    stages = timings.get("stage_cpu") or {}
    counters = timings.get("counters") or {}
    if not (scalars or stages or counters):
        return '<h3>Timings</h3><p class="empty">none recorded</p>'
    parts = ["<h3>Timings</h3>"]
    if scalars:
        parts.append(_table(["phase", "seconds"], [(k, _seconds(v)) for k, v in scalars], (1,)))
    if stages:
        total = sum(stages.values()) or 1.0
        rows = [
            (stage, _seconds(cpu), f"{100 * cpu / total:.1f} %")
            for stage, cpu in sorted(stages.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        rows.append(("total", _seconds(sum(stages.values())), "100.0 %"))
        parts.append("<h3>CPU per stage</h3>")
        parts.append(_table(["stage", "cpu seconds", "share"], rows, numeric=(1, 2)))
    if counters:
        parts.append("<h3>Counters</h3>")
        parts.append(_table(["counter", "value"], sorted(counters.items()), numeric=(1,)))
    return "".join(parts)


def _dates(data: ReportData) -> str:
    title = f"Kept articles per {data.per_date_unit}"
    chart = column_chart(
        [label for label, _ in data.per_date],
        [("articles", [n for _, n in data.per_date])],
        title,
        x_title=f"published {data.per_date_unit} ({NO_DATE!r} = missing or invalid date)",
    )
    status = _table(["date_status", "articles"], list(data.date_status.items()), numeric=(1,))
    return f'<section id="dates"><h2>{_e(title)}</h2>{chart}{status}</section>'


def _duplicates(data: ReportData) -> str:
    methods = list(data.methods.items())
    by_method = bar_chart(methods, "Duplicates by method", [_color(m) for m, _ in methods])
    names = list(data.similarities)
    colors = [_color(name) for name in names]
    values = [v for vs in data.similarities.values() for v in vs]
    if values:
        start = min(int(min(values) * 20), 19)
        edges = [round(b / 20, 2) for b in range(start, 21)]
        labels = [f"{lo:.2f}–{hi:.2f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
        series = []
        for name in names:
            counts = [0] * len(labels)
            for v in data.similarities[name]:
                counts[min(max(int(v * 20) - start, 0), len(labels) - 1)] += 1
            series.append((name, counts))
        histogram = column_chart(
            labels, series, "Similarity of duplicates", x_title="similarity", colors=colors
        ) + legend(names, colors)
    else:
        histogram = '<p class="empty">No duplicates.</p>'
    return (
        '<section id="duplicates"><h2>Duplicates</h2><div class="grid2">'
        f"<div><h3>By method</h3>{by_method}</div>"
        f"<div><h3>Similarity histogram</h3>{histogram}</div></div></section>"
    )


def _doc(kind: str, heading: str, meta: list[str], title: str | None, text: str, note) -> str:
    body = f"<p>{_e(text)}</p>" if text else ""
    return (
        f'<div class="doc {kind}"><div class="meta"><b>{_e(heading)}</b> · '
        + " · ".join(_e(m) for m in meta if m)
        + "</div>"
        + (f'<div class="title">{_e(title)}</div>' if title else "")
        + body
        + (f'<div class="note">{_e(note)}</div>' if note else "")
        + "</div>"
    )


def _cluster(index: int, cluster: Cluster) -> str:
    canonical = _doc(
        "canonical",
        "kept",
        [
            cluster.canonical_id,
            cluster.canonical_uri,
            cluster.canonical_date,
            cluster.canonical_run,
        ],
        cluster.canonical.title,
        cluster.canonical.text,
        cluster.canonical.note,
    )
    members = "".join(
        _doc(
            "duplicate",
            f"{m.method} {m.similarity:.3f}",
            [m.article_id, m.source_uri, m.run_id],
            m.snippet.title,
            m.snippet.text,
            m.snippet.note,
        )
        for m in cluster.members
    )
    hidden = cluster.size - len(cluster.members)
    if hidden:
        members += f'<p class="empty">… and {hidden:,} more duplicates</p>'
    return (
        f'<div class="cluster" id="cluster-{index}" data-canonical="{_e(cluster.canonical_id)}">'
        f"<h3>#{index} · {cluster.size:,} duplicate{'s' if cluster.size != 1 else ''} of "
        f"{_e(cluster.canonical.title or cluster.canonical_uri or cluster.canonical_id)}</h3>"
        f'<div class="pair"><div>{canonical}</div><div>{members}</div></div></div>'
    )


def _clusters(data: ReportData) -> str:
    if not data.clusters:
        return _section("clusters", "Largest clusters", '<p class="empty">No duplicates.</p>')
    intro = (
        f'<p class="sub">{len(data.clusters):,} largest of {data.n_clusters:,} clusters. '
        "Left: the kept article as stored. Right: each dropped duplicate, re-read from its "
        "source file (duplicates' texts are not stored).</p>"
    )
    blocks = "".join(_cluster(i, c) for i, c in enumerate(data.clusters, 1))
    return f'<section id="clusters"><h2>Largest clusters</h2>{intro}{blocks}</section>'


def _quarantine(data: ReportData) -> str:
    if not data.reasons:
        return _section("quarantine", "Quarantine", '<p class="empty">Nothing quarantined.</p>')
    reasons = _table(
        ["reason", "files", "meaning"],
        [(r, n, REASONS.get(r, INPUT_REASONS.get(r, ""))) for r, n in data.reasons.items()],
        numeric=(1,),
    )
    total = sum(data.reasons.values())
    shown = len(data.quarantine)
    rows = _table(
        ["reason", "source", "detail", "bytes", "sha256", "run"],
        [
            (
                r["reason"],
                r["source_uri"],
                r["detail"],
                r["size_bytes"],
                (r["sha256"] or "")[:16],
                r["run_id"],
            )
            for r in data.quarantine
        ],
        numeric=(3,),
    )
    more = (
        f'<p class="empty">{shown:,} of {total:,} quarantined files listed.</p>'
        if shown < total
        else ""
    )
    return (
        '<section id="quarantine"><h2>Quarantine</h2><h3>Reasons</h3>'
        f"{reasons}<h3>Files</h3>{rows}{more}</section>"
    )


def render(data: ReportData) -> str:
    """The report page for ``data``."""
    heading = f"All runs ({len(data.manifests):,})" if data.scope == "all" else f"Run {data.scope}"
    generated = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>newsingest · {_e(heading)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>newsingest · {_e(heading)}</h1>"
        f'<p class="sub">dataset <code>{_e(data.output)}</code> · '
        f"{len(data.all_runs):,} committed run(s) · generated {_e(generated)}</p>"
        + _summary(data)
        + _dates(data)
        + _duplicates(data)
        + _clusters(data)
        + _quarantine(data)
        + "<footer>Generated by newsingest report. Self-contained: no scripts, no external "
        "resources.</footer></main></body></html>\n"
    )


def default_report_path(dataset: str, scope: str) -> str:
    """Where ``newsingest report DIR`` writes without ``--out``: ``DIR/_reports/``."""
    return f"{dataset.rstrip('/')}/{REPORTS_FOLDER}/report-{scope}.html"


def write_report(html: str, path: str) -> None:
    """Writes ``html`` to a local or bucket path (``-`` for stdout)."""
    if path == "-":
        sys.stdout.write(html)
        return
    with FileSystems.create(path) as handle:
        handle.write(html.encode("utf-8"))


_EPILOG = """\
examples:
  newsingest report /data/news          # latest run -> /data/news/_reports/report-<run_id>.html
  newsingest report /data/news --run 20240402T0600Z-a1b2c3 --out run.html
  newsingest report /data/news --all --out all.html
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsingest report",
        description=(
            "Write one self-contained HTML report (inline CSS and SVG, no scripts or external "
            "resources) of a run: counts and accounting, timings, settings, articles per date, "
            "duplicates by method, a similarity histogram, the largest duplicate clusters side "
            "by side, and quarantine reasons."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", metavar="DIR", help="Dataset root (newsingest run --output).")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--run", metavar="RUN_ID", help="Report this run (default: the latest).")
    scope.add_argument("--all", action="store_true", help="Report the whole dataset.")
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="Output HTML file, local or bucket; '-' for stdout (default: "
        "DIR/_reports/report-<run_id>.html, or report-all.html, next to the dataset's data; "
        "readers of DIR/articles never see it).",
    )
    parser.add_argument(
        "--clusters",
        type=int,
        default=10,
        metavar="N",
        help="How many of the largest duplicate clusters to show (default 10).",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """``newsingest report``."""
    parser = _parser()
    args = parser.parse_args(list(argv))
    if args.clusters < 0:
        parser.error("--clusters must be >= 0")
    try:
        data = collect(args.dataset, run_id=args.run, all_runs=args.all, clusters=args.clusters)
    except (DatasetNotFoundError, UnknownRunError) as error:
        print(f"newsingest report: error: {error}", file=sys.stderr)
        return ExitCode.NOT_FOUND
    out = args.out or default_report_path(data.output, data.scope)
    write_report(render(data), out)
    if out != "-":
        print(f"wrote {out} ({data.scope if data.scope == 'all' else 'run ' + data.scope})")
    return 0
