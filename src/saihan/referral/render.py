"""Plans as text for people, in Japanese or English."""

from __future__ import annotations

import datetime as dt

from saihan.errors import ValidationError
from saihan.referral.case import Urgency
from saihan.referral.flows.model import FlowRun
from saihan.referral.plan import Reason, Recommendation, ReferralPlan
from saihan.text import LocalizedText

__all__ = ["plan_text"]

LANGUAGES = ("ja", "en")

_WORDS = {
    "title": ("紹介計画", "Referral plan"),
    "case": ("ケース", "case"),
    "at": ("時点", "as of"),
    "rules": ("規則", "rules"),
    "unmet": ("対応できる支援が見つからないニーズ", "Needs nothing eligible meets"),
    "excluded": ("対象外とした支援（理由）", "Services left out (why)"),
    "missing": ("必須の紹介先が見つからない", "Required referral not available"),
    "none": ("該当なし", "none"),
    "next": ("次に連絡できる", "next reachable"),
    "open_now": ("現在受付中", "open now"),
    "hours_unknown": ("受付時間不明", "hours unknown"),
    "ready": ("同意あり", "consent given"),
    "needs_consent": ("要同意（本人の同意を得てから）", "needs consent first"),
    "consent_refused": ("同意なし（本人が拒否）", "consent refused"),
    "derived": ("ケースから導いた事実", "Worked out from the case"),
    "changes": ("計画を変えた規則", "Rules that changed the plan"),
    "on_suspicion": ("疑いによる", "on suspicion"),
    "score": ("点", " points"),
    "added": ("規則により追加", "added by rule"),
    "more": ("ほか", "more"),
    "first": ("最初に", "first"),
    "added_flow": ("支援フローにより追加", "added by flow"),
    "flow": ("支援フロー", "Support flow"),
    "outcome": ("結果", "outcome"),
    "yes": ("はい", "yes"),
    "no": ("いいえ", "no"),
}

_URGENCY = {
    Urgency.URGENT: ("緊急", "urgent"),
    Urgency.HIGH: ("高", "high"),
    Urgency.NORMAL: ("通常", "normal"),
    Urgency.LOW: ("低", "low"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "ja" else pair[1]


def _say(text: LocalizedText, lang: str) -> str:
    if lang == "en" and text.en:
        return text.en
    return text.ja


def _time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M%z")


def _reason(reason: Reason, lang: str) -> str:
    head = _say(reason.text, lang)
    if reason.rule_id:
        head = f"[{reason.rule_id}] {head}"
    if reason.points:
        head += f" ({reason.points:+d})"
    if reason.facts:
        head += " — " + "; ".join(f"{fact.field}={fact.value}" for fact in reason.facts)
    return head


def _recommendation(rank: int, rec: Recommendation, lang: str) -> list[str]:
    marker = "★" if rec.first else " "
    status = _pick(_WORDS[rec.status.value], lang)
    lines = [
        f"  {rank}.{marker}{_say(rec.agency_name, lang)} / {_say(rec.name, lang)} "
        f"({rec.service_id}) {rec.score}{_pick(_WORDS['score'], lang)} [{status}]"
    ]
    channels = ", ".join(sorted(channel.value for channel in rec.channels)) or "-"
    if rec.next_open is None:
        when = _pick(_WORDS["hours_unknown"], lang)
    elif rec.open_now:
        when = _pick(_WORDS["open_now"], lang)
    else:
        when = f"{_pick(_WORDS['next'], lang)}: {_time(rec.next_open)}"
    lines.append(f"       {when} ({channels})")
    for reason in rec.reasons:
        if reason.code in ("need_fit", "area"):
            continue
        lines.append(f"       - {_reason(reason, lang)}")
    return lines


def _flow_lines(run: FlowRun, words: dict[str, str], lang: str) -> list[str]:
    """The path the plan's support flow took: each node, with the answer given there."""
    steps = []
    for step in run.path:
        if step.answer is None:
            steps.append(step.node)
        else:
            answer = (
                words.get(step.answer, step.answer) if step.answer in ("yes", "no") else step.answer
            )
            steps.append(f"{step.node} [{answer}]")
    lines = [
        "",
        f"{words['flow']}: {run.flow_id} {run.flow_version} — {_say(run.title, lang)}",
        "  " + " → ".join(steps),
    ]
    if run.outcome is not None:
        lines.append(f"  {words['outcome']}: {_say(run.outcome, lang)}")
    return lines


def plan_text(plan: ReferralPlan, lang: str = "ja") -> str:
    """The plan as a page a worker reads: needs, ranked services, and why."""
    if lang not in LANGUAGES:
        raise ValidationError(
            f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", path="lang"
        )
    words = {key: _pick(pair, lang) for key, pair in _WORDS.items()}
    lines = [
        f"{words['title']}: {words['case']} {plan.case_id} "
        f"({_time(plan.at)} {words['at']}; {words['rules']} {plan.rules_id} {plan.rules_version})"
    ]
    if plan.derived:
        lines.append("")
        lines.append(f"{words['derived']}:")
        lines.extend(f"  - {_reason(reason, lang)}" for reason in plan.derived)
    if plan.flow is not None:
        lines += _flow_lines(plan.flow, words, lang)
    for need_plan in plan.needs:
        lines.append("")
        urgency = _pick(_URGENCY[need_plan.urgency], lang)
        head = f"■ {_say(need_plan.label, lang)} ({need_plan.need}) [{urgency}]"
        if need_plan.added_by:
            added = "added_flow" if need_plan.added_by.startswith("flow:") else "added"
            head += f" — {words[added]} {need_plan.added_by}"
        lines.append(head)
        if not need_plan.recommendations:
            lines.append(f"  {words['none']}")
        for rank, rec in enumerate(need_plan.recommendations, start=1):
            lines.extend(_recommendation(rank, rec, lang))
        if need_plan.more:
            lines.append(f"  ({words['more']} {need_plan.more})")
    if plan.missing:
        lines.append("")
        lines.append(f"{words['missing']}:")
        lines.extend(
            f"  - [{item.rule_id}] {', '.join(item.needs)}: {_say(item.text, lang)}"
            for item in plan.missing
        )
    if plan.changes:
        lines.append("")
        lines.append(f"{words['changes']}:")
        for change in plan.changes:
            what = [change.effect]
            if change.added_need:
                what.append(change.added_need)
            elif change.needs:
                what.append(", ".join(change.needs))
            if change.services:
                what.append(", ".join(change.services))
            if change.on_suspicion:
                what.append(words["on_suspicion"])
            lines.append(f"  - [{change.rule_id}] " + " — ".join(what))
    lines.append("")
    unmet = ", ".join(plan.unmet_needs) if plan.unmet_needs else words["none"]
    lines.append(f"{words['unmet']}: {unmet}")
    if plan.excluded:
        lines.append(f"{words['excluded']}:")
        for exclusion in plan.excluded:
            why = "; ".join(_reason(reason, lang) for reason in exclusion.reasons)
            lines.append(f"  - {exclusion.service_id} ({exclusion.need}): {why}")
    return "\n".join(lines) + "\n"
