"""Plans as text for people, in Japanese or English.

What a worker acts on comes first for each service: how to reach it (contacts, today's
hours, the address) and whose consent is needed; then why it is there, as a point
breakdown (fit + area + rules, see docs/referral.md) with the rules and the facts they
used in words.  A service met under several needs is shown in full once, with the
needs it covers; elsewhere a line refers to it.  Lines are wrapped to ``width``
terminal columns (a Japanese character takes two).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from saihan.errors import ValidationError
from saihan.referral import _words as words
from saihan.referral.case import Urgency
from saihan.referral.contacts import address_in_romaji
from saihan.referral.flows.model import FlowRun
from saihan.referral.plan import (
    NeedPlan,
    OpenInterval,
    Reason,
    Recommendation,
    RecommendationStatus,
    ReferralPlan,
)
from saihan.text import LocalizedText

__all__ = ["plan_text"]

LANGUAGES = ("ja", "en")
WIDTH = 100

_WORDS = {
    "title": ("紹介計画", "Referral plan"),
    "case": ("ケース", "case"),
    "at": ("時点", "as of"),
    "rules": ("規則", "rules"),
    "unmet": ("対応できる支援が見つからないニーズ", "Needs nothing eligible meets"),
    "excluded": ("対象外とした支援（理由ごとの件数）", "Services left out, by reason"),
    "excluded_all": (
        "1件ずつの一覧は --near-misses all で表示",
        "to list each one, use --near-misses all",
    ),
    "excluded_count": ("{n:,}件: {why}（例: {ids}）", "{n:,}: {why} (for example {ids})"),
    "excluded_each": ("対象外とした支援（1件ずつ）", "Services left out, one by one"),
    "missing": ("必須の紹介先が見つからない", "Required referral not available"),
    "none": ("該当なし", "none"),
    "derived": ("ケースから導いた事実", "Worked out from the case"),
    "changes": ("計画を変えた規則", "Rules that changed the plan"),
    "on_suspicion": ("疑いによる", "on suspicion"),
    "points": ("点", " points"),
    "added": ("規則により追加", "added by rule"),
    "added_flow": ("支援フローにより追加", "added by flow"),
    "flow": ("支援フロー", "Support flow"),
    "outcome": ("結果", "outcome"),
    "yes": ("はい", "yes"),
    "no": ("いいえ", "no"),
    "more": ("ほか {n} 件: --per-need all で表示", "{n} more: show them with --per-need all"),
    "id": ("ID", "id"),
    "covers": ("対応するニーズ", "Needs it covers"),
    "hours": ("受付", "Hours"),
    "open_now": ("現在受付中", "open now"),
    "closed_today": ("この日は受付なし", "closed that day"),
    "next": ("次の受付", "next open"),
    "hours_unknown": ("受付時間不明", "hours unknown"),
    "never": ("受付の予定なし", "no opening ahead"),
    "contacts": ("連絡先", "Contact"),
    "no_contacts": ("公開の連絡先なし", "no public contact"),
    "web": ("Web", "Web"),
    "address": ("所在地", "Address"),
    "channels": ("連絡手段", "Can reach by"),
    "score": ("得点", "Score"),
    "fit": ("適合", "need"),
    "area": ("地域", "place"),
    "rule": ("規則", "rule"),
    "rules_sum": ("規則", "rules"),
    "because": ("根拠", "because"),
    "see": (
        "連絡先と受付は「{need}」の {rank} を参照",
        "contacts and hours: see {rank} under {need}",
    ),
    "first": (
        "★ 優先してつなぐ（規則: {rule}）: 点数より先に並べる",
        "★ connect first (rule: {rule}): ranked before higher scores",
    ),
    "required": ("必ず含める（規則: {rule}）", "always included (rule: {rule})"),
}

_STATUS = {
    RecommendationStatus.READY: ("同意あり", "consent given"),
    RecommendationStatus.NEEDS_CONSENT: (
        "要同意（本人の同意を得てから）",
        "needs consent first",
    ),
    RecommendationStatus.CONSENT_REFUSED: ("同意なし（本人が拒否）", "consent refused"),
}

_URGENCY = {
    Urgency.URGENT: ("緊急", "urgent"),
    Urgency.HIGH: ("高", "high"),
    Urgency.NORMAL: ("通常", "normal"),
    Urgency.LOW: ("低", "low"),
}

_EFFECTS = {
    "add_need": ("ニーズを追加", "added a need"),
    "require": ("必ず含める", "required"),
    "exclude": ("対象外とする", "left out"),
    "prefer": ("優先する（加点）", "preferred (points added)"),
    "demote": ("後回しにする（減点）", "put later (points taken)"),
    "first": ("優先してつなぐ", "connect first"),
}

# Characters a Japanese line may not start with (行頭禁則), and may not end with.
_NO_START = set(
    "、。，．）」』】〕］｝〉》・：；！？ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ,.):;!?]}%"
)
_NO_END = set("（「『【〔［｛〈《([{")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "ja" else pair[1]


def _say(text: LocalizedText, lang: str) -> str:
    if lang == "en" and text.en:
        return text.en
    return text.ja


# -- wrapping --------------------------------------------------------------------------


def cell_width(text: str) -> int:
    """Terminal columns of ``text``: two for wide and ambiguous East Asian characters."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in text)


def _tokens(text: str) -> list[str]:
    """Pieces a line may break between: words of narrow characters (with the space
    before them), and single wide characters, keeping 禁則 characters attached."""
    pieces: list[str] = []
    for char in text:
        wide = unicodedata.east_asian_width(char) in "WFA"
        if not pieces:
            pieces.append(char)
        elif char in _NO_START or pieces[-1][-1] in _NO_END:
            pieces[-1] += char
        elif (
            wide
            or char == " "
            or pieces[-1][-1] == " "
            or unicodedata.east_asian_width(pieces[-1][-1]) in "WFA"
        ):
            pieces.append(char)
        else:
            pieces[-1] += char
    return pieces


def _wrap(line: str, width: int | None) -> list[str]:
    """``line`` cut to ``width`` columns; the rest hangs under the first word's start."""
    if width is None or cell_width(line) <= width:
        return [line]
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    head = stripped.split(" ", 1)[0]
    if (
        head in ("-", "→")
        or head.rstrip(".★").isdigit()
        or head.startswith("■")
        or (head.endswith(":") and stripped.count(" ") > 0)
    ):
        indent += cell_width(head) + 1
    hang = " " * min(indent, width // 2)
    lines: list[str] = []
    current = ""
    for piece in _tokens(line):
        if piece == " " and cell_width(current) + 1 > width:
            lines.append(current.rstrip(" "))
            current = hang
            continue
        if current.strip() and cell_width(current) + cell_width(piece) > width:
            lines.append(current.rstrip(" "))
            current = hang + piece.lstrip(" ")
        else:
            current += piece
        while cell_width(current) > width:  # one piece longer than a line: cut it
            cut = len(current)
            while cut > len(hang) + 1 and cell_width(current[:cut]) > width:
                cut -= 1
            lines.append(current[:cut])
            current = hang + current[cut:]
    if current.strip():
        lines.append(current.rstrip(" "))
    return lines


# -- one recommendation ----------------------------------------------------------------


def _interval(interval: OpenInterval, lang: str) -> str:
    opens, closes = interval.opens, interval.closes
    end = "24:00" if closes.date() > opens.date() else words.clock(closes, lang)
    if opens.time() == dt.time() and end == "24:00":
        return "終日" if lang == "ja" else "all day"
    dash = "～" if lang == "ja" else "–"
    return f"{words.clock(opens, lang)}{dash}{end}"


def _hours(rec: Recommendation, day: dt.date, lang: str) -> str:
    """「2024年11月5日（火） 8:30～17:15（現在受付中）」 and the like."""
    w = {key: _pick(pair, lang) for key, pair in _WORDS.items()}
    when = words.day(day, lang)
    if rec.hours_today:
        spans = ("、" if lang == "ja" else ", ").join(
            _interval(interval, lang) for interval in rec.hours_today
        )
        text = f"{when} {spans}"
    elif rec.next_open is None:
        return w["hours_unknown"]
    else:
        text = f"{when} {w['closed_today']}"
    if rec.open_now:
        note = w["open_now"]
    elif rec.next_open is None:
        note = w["never"]
    elif rec.next_open.date() == day:
        note = f"{w['next']} {words.clock(rec.next_open, lang)}"
    else:
        note = f"{w['next']} {words.moment(rec.next_open, lang)}"
    return f"{text}（{note}）" if lang == "ja" else f"{text} ({note})"


def _contacts(rec: Recommendation, lang: str) -> str:
    parts = []
    for contact in rec.contacts:
        label = words.pick(words.CHANNELS[contact.channel], lang)
        if lang == "en":
            label = label.capitalize() if contact.channel.value != "fax" else "Fax"
        text = f"{label} {contact.value}"
        if contact.label is not None:
            what = _say(contact.label, lang)
            text += f"（{what}）" if lang == "ja" else f" ({what})"
        parts.append(text)
    if rec.website:
        parts.append(f"{_pick(_WORDS['web'], lang)} {rec.website}")
    if not parts:
        return _pick(_WORDS["no_contacts"], lang)
    return ("、" if lang == "ja" else "; ").join(parts)


def _fit_word(points: int, lang: str) -> str:
    from saihan.referral.match import (
        FIT_BROADER,
        FIT_EXACT,
        FIT_NARROWER,
        FIT_SIBLING,
        FIT_WHOLE_FIELD,
    )

    table = {
        FIT_EXACT: ("ニーズそのもの", "the need itself"),
        FIT_NARROWER: ("より具体的", "more specific"),
        FIT_WHOLE_FIELD: ("分野全体", "whole field"),
        FIT_SIBLING: ("関連するニーズ", "a related need"),
        FIT_BROADER: ("より広い分野", "broader field"),
    }
    found = table.get(points)
    return "" if found is None else _pick(found, lang)


def _breakdown(rec: Recommendation, lang: str) -> str:
    """「74点 = 適合 60（ニーズそのもの）+ 地域 10 + 規則 +16」."""
    w = {key: _pick(pair, lang) for key, pair in _WORDS.items()}
    fit = sum(r.points for r in rec.reasons if r.code == "need_fit")
    area = sum(r.points for r in rec.reasons if r.code == "area")
    rules = [r.points for r in rec.reasons if r.code not in ("need_fit", "area") and r.points]
    word = _fit_word(fit, lang)
    shown = f"{w['fit']} {fit}"
    if word:
        shown += f"（{word}）" if lang == "ja" else f" ({word})"
    parts = [shown, f"{w['area']} {area}"]
    if rules:
        parts.append(f"{w['rules_sum']} " + " ".join(f"{points:+d}" for points in rules))
    total = f"{rec.score}{w['points']}"
    return f"{w['score']} {total} = " + " + ".join(parts)


def _rule_line(reason: Reason, lang: str, with_facts: bool) -> str:
    w = {key: _pick(pair, lang) for key, pair in _WORDS.items()}
    effect = _pick(_EFFECTS.get(reason.code, (reason.code, reason.code)), lang)
    points = f" {reason.points:+d}" if reason.points else ""
    rule = f"[{reason.rule_id}] " if reason.rule_id else ""
    line = f"- {w['rule']}{points} {rule}{effect}: {_say(reason.text, lang)}"
    if with_facts:
        because = words.facts(reason.facts, lang)
        if because:
            line += (
                f"（{w['because']}: {because}）"
                if lang == "ja"
                else f" ({w['because']}: {because})"
            )
    return line


def _head(rank: int, rec: Recommendation, lang: str) -> str:
    marker = "★" if rec.first else ""
    status = _pick(_STATUS[rec.status], lang)
    name = f"{_say(rec.agency_name, lang)} / {_say(rec.name, lang)}"
    return (
        f"  {rank}.{marker} {name} 【{status}】"
        if lang == "ja"
        else (f"  {rank}.{marker} {name} [{status}]")
    )


def _first_lines(rec: Recommendation, lang: str) -> list[str]:
    lines = []
    for reason in rec.reasons:
        if reason.code == "first" and reason.rule_id:
            text = _pick(_WORDS["first"], lang).format(rule=reason.rule_id)
            lines.append(f"     {text}")
    return lines


def _full(
    rank: int,
    rec: Recommendation,
    needs: list[NeedPlan],
    day: dt.date,
    lang: str,
) -> list[str]:
    """A service the first time it is shown: how to reach it, then why."""
    w = {key: _pick(pair, lang) for key, pair in _WORDS.items()}
    pad = "     "
    lines = [_head(rank, rec, lang), f"{pad}{w['id']}: {rec.service_id}"]
    lines += _first_lines(rec, lang)
    if len(needs) > 1:
        covered = ("、" if lang == "ja" else ", ").join(_say(n.label, lang) for n in needs)
        lines.append(f"{pad}{w['covers']}: {covered}")
    lines.append(f"{pad}{w['hours']}: {_hours(rec, day, lang)}")
    lines.append(f"{pad}{w['contacts']}: {_contacts(rec, lang)}")
    if rec.address:
        # In English the place in romaji too; the line as written stays, for a letter.
        place = address_in_romaji(rec.address) if lang == "en" else None
        where = f"{rec.address} ({place})" if place else rec.address
        lines.append(f"{pad}{w['address']}: {where}")
    if rec.channels:
        reach = words.values(
            "service.channels", ", ".join(sorted(c.value for c in rec.channels)), lang
        )
        lines.append(f"{pad}{w['channels']}: {('・' if lang == 'ja' else ', ').join(reach)}")
    lines += _why(rec, lang, with_facts=True)
    return lines


def _why(rec: Recommendation, lang: str, *, with_facts: bool) -> list[str]:
    w = {key: _pick(pair, lang) for key, pair in _WORDS.items()}
    pad = "     "
    lines = [f"{pad}{_breakdown(rec, lang)}"]
    for reason in rec.reasons:
        if reason.code in ("need_fit", "area") and not with_facts:
            continue  # shown in full where the service is; the breakdown names the fit
        if reason.code == "need_fit":
            lines.append(f"{pad}  - {w['fit']} {reason.points}: {_say(reason.text, lang)}")
        elif reason.code == "area":
            lines.append(f"{pad}  - {w['area']} {reason.points}: {_say(reason.text, lang)}")
        elif reason.code != "first":
            lines.append(f"{pad}  {_rule_line(reason, lang, with_facts)}")
    return lines


def _reference(rank: int, rec: Recommendation, where: tuple[str, int], lang: str) -> list[str]:
    """A service shown in full under an earlier need: its rank, score and a pointer."""
    need, first_rank = where
    see = _pick(_WORDS["see"], lang).format(need=need, rank=f"{first_rank}.")
    lines = [_head(rank, rec, lang), f"     → {see}"]
    lines += _first_lines(rec, lang)
    lines += _why(rec, lang, with_facts=False)
    return lines


# -- the plan --------------------------------------------------------------------------


def _flow_lines(run: FlowRun, w: dict[str, str], lang: str) -> list[str]:
    """The path the plan's support flow took: each node, with the answer given there."""
    steps = []
    for step in run.path:
        if step.answer is None:
            steps.append(step.node)
        else:
            answer = (
                w.get(step.answer, step.answer) if step.answer in ("yes", "no") else step.answer
            )
            steps.append(f"{step.node} [{answer}]")
    lines = [
        "",
        f"{w['flow']}: {run.flow_id} {run.flow_version} — {_say(run.title, lang)}",
        "  " + " → ".join(steps),
    ]
    if run.outcome is not None:
        lines.append(f"  {w['outcome']}: {_say(run.outcome, lang)}")
    return lines


def _exclusion_reason(reason: Reason, lang: str) -> str:
    text = _say(reason.text, lang)
    if reason.rule_id:
        text = f"[{reason.rule_id}] {text}"
    because = words.facts(reason.facts, lang)
    if because:
        text += f"（{because}）" if lang == "ja" else f" ({because})"
    return text


def _change_line(change: object, plan: ReferralPlan, w: dict[str, str], lang: str) -> str:
    from saihan.referral.plan import RuleChange

    assert isinstance(change, RuleChange)
    what = [_pick(_EFFECTS.get(change.effect, (change.effect, change.effect)), lang)]
    labels = {need.need: _say(need.label, lang) for need in plan.needs}
    sep = "、" if lang == "ja" else ", "
    if change.added_need:
        what.append(labels.get(change.added_need) or words.need_label(change.added_need, lang))
    elif change.needs:
        what.append(sep.join(labels.get(n) or words.need_label(n, lang) for n in change.needs))
    if change.services:
        what.append(sep.join(change.services))
    if change.on_suspicion:
        what.append(w["on_suspicion"])
    return f"  - [{change.rule_id}] " + " — ".join(what)


def plan_text(plan: ReferralPlan, lang: str = "ja", *, width: int | None = WIDTH) -> str:
    """The plan as a page a worker reads: needs, ranked services, how to reach them, why.

    ``width`` wraps long lines to that many terminal columns (None: no wrapping).
    """
    if lang not in LANGUAGES:
        raise ValidationError(
            f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", path="lang"
        )
    if width is not None and (isinstance(width, bool) or not isinstance(width, int) or width < 40):
        raise ValidationError("width must be a whole number of at least 40, or None", path="width")
    w = {key: _pick(pair, lang) for key, pair in _WORDS.items()}
    day = plan.at.date()
    when = words.moment(plan.at, lang)
    when = f"{when} {w['at']}" if lang == "ja" else f"{w['at']} {when}"
    lines = [
        f"{w['title']}: {w['case']} {plan.case_id}",
        f"  {when} / {w['rules']} {plan.rules_id} {plan.rules_version}",
    ]
    if plan.derived:
        lines.append("")
        lines.append(f"{w['derived']}:")
        lines.extend(f"  - {_say(reason.text, lang)}" for reason in plan.derived)
    if plan.flow is not None:
        lines += _flow_lines(plan.flow, w, lang)
    # Where each service is first shown, and every need it is recommended for.
    first_at: dict[str, tuple[str, int]] = {}
    needs_of: dict[str, list[NeedPlan]] = {}
    for need_plan in plan.needs:
        for rec in need_plan.recommendations:
            needs_of.setdefault(rec.service_id, []).append(need_plan)
    for need_plan in plan.needs:
        lines.append("")
        urgency = _pick(_URGENCY[need_plan.urgency], lang)
        head = f"■ {_say(need_plan.label, lang)} [{urgency}]"
        if need_plan.added_by:
            added = "added_flow" if need_plan.added_by.startswith("flow:") else "added"
            head += f" — {w[added]} {need_plan.added_by}"
        lines.append(head)
        if not need_plan.recommendations:
            lines.append(f"  {w['none']}")
        for rank, rec in enumerate(need_plan.recommendations, start=1):
            if rec.service_id in first_at:
                lines.extend(_reference(rank, rec, first_at[rec.service_id], lang))
            else:
                # The person's day: the day its hours are for, else the plan's date.
                on = rec.hours_today[0].opens.date() if rec.hours_today else day
                lines.extend(_full(rank, rec, needs_of[rec.service_id], on, lang))
                first_at[rec.service_id] = (_say(need_plan.label, lang), rank)
        if need_plan.more:
            lines.append("  " + w["more"].format(n=need_plan.more))
    if plan.missing:
        lines.append("")
        lines.append(f"{w['missing']}:")
        sep = "、" if lang == "ja" else ", "
        lines.extend(
            f"  - [{item.rule_id}] {sep.join(words.need_label(n, lang) for n in item.needs)}: "
            f"{_say(item.text, lang)}"
            for item in plan.missing
        )
    if plan.changes:
        lines.append("")
        lines.append(f"{w['changes']}:")
        lines.extend(_change_line(change, plan, w, lang) for change in plan.changes)
    lines.append("")
    labels = {need.need: _say(need.label, lang) for need in plan.needs}
    unmet = (
        ("、" if lang == "ja" else ", ").join(
            labels.get(code) or words.need_label(code, lang) for code in plan.unmet_needs
        )
        if plan.unmet_needs
        else w["none"]
    )
    lines.append(f"{w['unmet']}: {unmet}")
    summary = plan.near_miss_summary()
    if summary:
        lines.append(f"{w['excluded']}:")
        if not plan.excluded:
            lines.append(f"  {w['excluded_all']}")
        shown_need = None
        for group in summary:
            if group.need != shown_need:
                shown_need = group.need
                lines.append(f"  {labels.get(group.need) or words.need_label(group.need, lang)}:")
            why = "; ".join(_exclusion_reason(reason, lang) for reason in group.reasons)
            examples = ", ".join(group.examples)
            if group.count > len(group.examples):
                examples += " …"
            lines.append(
                "    - " + w["excluded_count"].format(n=group.count, why=why, ids=examples)
            )
    if plan.excluded:
        lines.append(f"{w['excluded_each']}:")
        for exclusion in plan.excluded:
            why = "; ".join(_exclusion_reason(reason, lang) for reason in exclusion.reasons)
            need = labels.get(exclusion.need) or words.need_label(exclusion.need, lang)
            lines.append(
                f"  - {exclusion.service_id}（{need}）: {why}"
                if lang == "ja"
                else (f"  - {exclusion.service_id} ({need}): {why}")
            )
    wrapped = [piece for line in lines for piece in _wrap(line, width)]
    return "\n".join(wrapped) + "\n"
