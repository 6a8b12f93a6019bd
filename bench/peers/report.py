"""The "Peers" section of ``bench/RESULTS.md``: the table, the settings, the targets."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any, Final

START: Final = "<!-- peers:start -->"
END: Final = "<!-- peers:end -->"
#: The library's row the targets are judged on: the default, ``synchronous`` FULL.
OURS: Final = "library-full"
RSS_LIMIT_MIB: Final = 60.0
APPEND_RATIO_TARGET: Final = 2.0

#: What one operation of each column is, per system.
OPERATIONS: Final = {
    "floor": (
        "one `INSERT` of a message row, committed",
        "`SELECT` of a session's messages in order",
        "`UPDATE` of the session row + `INSERT` of a transition, one commit",
        "50 of a user's sessions, newest first",
        "one `INSERT` of a session row, committed",
    ),
    "library-full": (
        "`send_message`: the candidate's message and the reply, each committed (2 a call)",
        "`get_transcript`",
        "`end_session`, evaluated at once (instant scripted evaluator)",
        "`list_sessions(user_id=..., limit=50)`",
        "`create_session` + `start_session` (opening question stored)",
    ),
    "agents-sdk": (
        "`await add_items([item])`: one item, one commit",
        "`await get_items()`",
        "none",
        "none",
        "none (the first `add_items` creates the row)",
    ),
    "adk": (
        "`await append_event(session, event)`: one event a message, one commit",
        "`await get_session(...)`: every event parsed",
        '`append_event` of an event with `state_delta={"status": "ended"}`',
        "`await list_sessions(app_name, user_id)`: all of the user's sessions (no page size)",
        "`await create_session(...)`",
    ),
}


def rates(run: dict[str, Any]) -> dict[str, float | None]:
    """One run's figures: operations (append: messages) per second, peak RSS in MiB."""
    steps: dict[str, dict[str, float]] = run["steps"]

    def per_second(step: str, *, count: str = "ops") -> float | None:
        figures = steps.get(step)
        return None if figures is None else figures[count] / figures["seconds"]

    create = steps.get("create")
    start = steps.get("start")
    opened = None
    if create is not None:
        seconds = create["seconds"] + (start["seconds"] if start is not None else 0.0)
        opened = create["ops"] / seconds
    return {
        "append_messages_per_s": per_second("append", count="messages"),
        "append_calls_per_s": per_second("append"),
        "read_per_s": per_second("read"),
        "end_per_s": per_second("end"),
        "list_per_s": per_second("list"),
        "create_per_s": per_second("create"),
        "start_per_s": per_second("start"),
        "create_start_per_s": opened,
        "peak_rss_mib": run["peak_rss_kib"] / 1024,
        "rss_after_import_mib": run["rss_after_import_kib"] / 1024,
        "total_seconds": run["total_seconds"],
    }


def medians(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    """The median of each figure over the repetitions (``None`` where a system has no such
    operation)."""
    each = [rates(run) for run in runs]
    found: dict[str, float | None] = {}
    for name in each[0]:
        values = [r[name] for r in each if r[name] is not None]
        found[name] = statistics.median(values) if values else None
    return found


def _rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return None if ours is None or theirs is None or theirs == 0 else ours / theirs


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """Each target: what, measured, goal, met."""
    systems = results["systems"]
    ours = systems[OURS]["median"]
    agents = systems["agents-sdk"]["median"]
    adk = systems["adk"]["median"]
    found: list[tuple[str, str, str, bool]] = []
    append = _ratio(ours["append_messages_per_s"], agents["append_messages_per_s"])
    if append is not None:
        found.append(
            (
                "append: our messages/s ÷ Agents SDK messages/s",
                f"{append:.2f}x",
                f"≥ {APPEND_RATIO_TARGET:g}x",
                append >= APPEND_RATIO_TARGET,
            )
        )
    end = _ratio(ours["end_per_s"], adk["end_per_s"])
    if end is not None:
        found.append(("end: our `end_session`/s ÷ ADK's end/s", f"{end:.2f}x", "> 1x", end > 1))
    start = _ratio(ours["create_start_per_s"], adk["create_per_s"])
    if start is not None:
        found.append(
            (
                "start: our `create_session`+`start_session`/s ÷ ADK's `create_session`/s",
                f"{start:.2f}x",
                "> 1x",
                start > 1,
            )
        )
    rss = ours["peak_rss_mib"]
    limit = f"< {RSS_LIMIT_MIB:g} MiB"
    found.append(("our peak RSS", f"{rss:.1f} MiB", limit, rss < RSS_LIMIT_MIB))
    for key, name in (("agents-sdk", "Agents SDK"), ("adk", "ADK")):
        theirs = systems[key]["median"]["peak_rss_mib"]
        found.append(
            (
                f"our peak RSS vs {name}'s",
                f"{rss:.1f} vs {theirs:.1f} MiB",
                "below",
                rss < theirs,
            )
        )
    return found


def render(results: dict[str, Any]) -> str:
    """The section, between its markers."""
    sizes = results["sizes"]
    machine = results["machine"]
    systems = results["systems"]
    runs = sizes["repeat"]
    lines = [
        START,
        "## Peers",
        "",
        f"Measured on {machine['date']} at commit {machine['commit']}{_moved(results)} by "
        f"`{results['command']}` (one run took {results['wall_seconds'] / 60:.1f} min). "
        f"{sizes['sessions']:,} sessions × {sizes['messages']} messages for "
        f"{sizes['users']:,} users, on a new SQLite file per system and repetition; "
        f"{runs} interleaved repetitions (each runs every system once, each in a fresh "
        f"process), every figure the median of the {runs}.",
        "",
        "### Targets",
        "",
        "| target | measured | goal | result |",
        "| --- | ---: | --- | --- |",
    ]
    for what, measured, goal, met in targets(results):
        lines.append(f"| {what} | {measured} | {goal} | **{'met' if met else 'missed'}** |")
    lines += [
        "",
        "The targets are judged on the library's default, `synchronous` FULL.",
        "",
        "### Figures",
        "",
        "| system | journal, `synchronous` | append messages/s | read a history/s | end/s "
        "| list a page/s | create/s (ours: create + start) | peak RSS MiB (after imports) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for system in systems.values():
        median = system["median"]
        settings = system["runs"][0].get("settings", {})
        lines.append(
            f"| {system['label']} "
            f"| {settings.get('journal_mode', '?')}, {settings.get('synchronous', '?')} "
            f"| {_rate(median['append_messages_per_s'])} "
            f"| {_rate(median['read_per_s'])} "
            f"| {_rate(median['end_per_s'])} "
            f"| {_rate(median['list_per_s'])} "
            f"| {_rate(median['create_start_per_s'])} "
            f"| {_mib(median['peak_rss_mib'])} ({_mib(median['rss_after_import_mib'])}) |"
        )
    lines += ["", *_spread(results)]
    lines += ["", "What one operation of each column is:", ""]
    lines += [
        "| system | append | read a history | end | list a page | create |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, system in systems.items():
        operations = OPERATIONS["library-full" if key.startswith("library") else key]
        lines.append(f"| {system['label']} | " + " | ".join(operations) + " |")
    lines += ["", *_settings(results), "", *_caveats(results), "", *_reproduce(), END]
    return "\n".join(lines) + "\n"


def _moved(results: dict[str, Any]) -> str:
    end = results.get("commit_end")
    return "" if end in (None, results["machine"]["commit"]) else f" ({end} at the end)"


def _spread(results: dict[str, Any]) -> list[str]:
    """The lowest and highest of each run's figures: how much the machine moved them."""
    lines = [
        "Lowest–highest over the runs (a busy machine moves the single runs; the medians "
        "above are what the targets use):",
        "",
        "| system | append messages/s | end/s | create/s | peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for system in results["systems"].values():
        each = [rates(run) for run in system["runs"]]

        def span(name: str, show: Any, figures: list[dict[str, Any]] = each) -> str:
            values = [f[name] for f in figures if f[name] is not None]
            return f"{show(min(values))}–{show(max(values))}" if values else "—"

        lines.append(
            f"| {system['label']} | {span('append_messages_per_s', _rate)} "
            f"| {span('end_per_s', _rate)} | {span('create_start_per_s', _rate)} "
            f"| {span('peak_rss_mib', _mib)} |"
        )
    sources = {
        run.get("library_source")
        for key, system in results["systems"].items()
        if key.startswith("library")
        for run in system["runs"]
    }
    if len(sources) > 1:
        lines += [
            "",
            f"The library's source changed during this run: its {len(sources)} different "
            "states are in the runs of `bench/out/peers.json` (`library_source`), so its "
            "runs did not all measure the same code.",
        ]
    return lines


def _settings(results: dict[str, Any]) -> list[str]:
    machine = results["machine"]
    systems = results["systems"]
    agents = systems["agents-sdk"]["runs"][0]
    adk = systems["adk"]["runs"][0]
    ours = machine["packages"]
    load = machine.get("load_average_start")
    end = results.get("load_average_end")
    return [
        "### Machine, versions, settings",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
        f"{machine['os']}; SQLite files on {machine['filesystem']}; load average "
        f"{load} at the start, {end} at the end.",
        f"- The library and the floor: Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"interview-orchestrator {ours.get('interview-orchestrator')}, SQLAlchemy "
        f"{ours.get('sqlalchemy')} (the project's venv).",
        f"- The peers: openai-agents {agents.get('version')}, google-adk {adk.get('version')}; "
        f"Python {agents['python']}, SQLite {agents['sqlite']} (`bench/.peers-venv`, "
        "installed only for this benchmark).",
        "- Journal and `synchronous`: the floor and the library set WAL and their "
        "`synchronous`; the Agents SDK sets WAL and leaves `synchronous` at SQLite's default; "
        "ADK sets neither (a rollback journal, DELETE). The column shows what each "
        "system's connection reported.",
    ]


def _caveats(results: dict[str, Any]) -> list[str]:
    messages = results["sizes"]["messages"]
    per_user = results["sizes"]["sessions"] // results["sizes"]["users"]
    return [
        "### What is not equal",
        "",
        f"- Messages: each peer and the floor store the {messages} messages of a session one "
        f"by one (one commit each); the library stores them {messages // 2} calls of "
        "`send_message`, each committing the candidate's message and the interviewer's reply "
        "separately (counted as 2 messages a call), and its transcript has one more message, "
        "the opening question `start_session` stores. The texts are the same: `ANSWER` and "
        "`QUESTIONS` of `bench/plan.py`, candidate and interviewer alternating.",
        "- The library does more per operation than the peers: every operation checks the "
        "session's state and version, a turn asks the (instant) interviewer and keeps its "
        "state, `end_session` stores an evaluation. The peers store what they are given.",
        "- Both peers are async: the Agents SDK runs each call's `sqlite3` work in a worker "
        "thread (`asyncio.to_thread`); ADK opens an `aiosqlite` connection (a thread) per "
        "call. That overhead is part of their API and is measured; the library is "
        "synchronous.",
        "- Agents SDK: a `SQLiteSession` object per conversation, built, connected and closed "
        "outside the clock; the event loop's executor has one thread, so each object keeps one "
        "connection (in the default pool it opens one in each thread a call lands on). It "
        "has no create, end or listing.",
        "- ADK: end is not an ADK operation; the closest, an event with a state delta, is "
        "measured, given the session object held since create (no read inside the clock). "
        "Its listing returns all of a user's sessions oldest first, with no page size (here "
        f"each user has about {per_user} sessions, so every system's page holds the same "
        f"{min(per_user, 50)}). It runs on a "
        "rollback journal (its default), which costs more per commit than WAL.",
        "- Peak RSS is the process's high-water mark (VmHWM), imports included: the figure "
        "in parentheses is the mark after the system's imports, before any work. The peers "
        "import their whole packages (`agents`, `google.adk`), as an application does.",
    ]


def _reproduce() -> list[str]:
    return [
        "### Reproduce",
        "",
        "```sh",
        "make bench-peers                       # creates bench/.peers-venv, runs, writes here",
        "make bench-peers PEERS_ARGS='--sessions 2000 --messages 40'   # the reference sizes",
        "```",
        "",
    ]


def write_section(path: Path, section: str) -> None:
    """Replace the marked Peers section of ``path`` (appended when absent), nothing else."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if START in text and END in text and text.index(START) < text.index(END):
        before = text[: text.index(START)]
        after = text[text.index(END) + len(END) :].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
