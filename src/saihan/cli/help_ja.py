"""The command line's help in Japanese: ``saihan --lang ja --help``, or ``SAIHAN_LANG=ja``.

The catalogue maps each English help text (of a command, an option or an argument) to
its Japanese; the parser is built in English and :func:`translate` swaps the texts.
A test walks the parser and fails for a help text with no Japanese here, so a new
option says what it does in both languages.  Keep ``%(default)s`` and ``%(choices)s``
where the English has them: argparse fills them in.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable

__all__ = ["CATALOGUE", "japanese", "missing", "translate"]

_STORE = "(既定: $SAIHAN_STORE_URL、なければ組み込みのストア)"

CATALOGUE: dict[str, str] = {
    # saihan itself
    "Find support in Tokyo's recidivism-prevention support network.": (
        "東京の再犯防止支援ネットワークから支援を探します。"
    ),
    "show this help message and exit": "このヘルプを表示して終了する",
    "show program's version number and exit": "バージョンを表示して終了する",
    "language of help and of what is printed: ja or en (default: $SAIHAN_LANG, else en "
    "for help and ja for output)": (
        "ヘルプと出力の言語: ja または en (既定: $SAIHAN_LANG、なければヘルプは en、出力は ja)"
    ),
    # the options every command shares (saihan.cli.main._STANDARD_HELP)
    "language of what is printed: ja or en (default: $SAIHAN_LANG, else ja)": (
        "出力の言語: ja または en (既定: $SAIHAN_LANG、なければ ja)"
    ),
    "output format: %(choices)s (default: %(default)s)": (
        "出力形式: %(choices)s (既定: %(default)s)"
    ),
    "output format: text or json (default: text)": "出力形式: text または json (既定: text)",
    "the moment to ask about, ISO 8601 (2024-11-05T10:30+09:00; no offset: Tokyo time)": (
        "問い合わせる日時、ISO 8601 (2024-11-05T10:30+09:00。オフセットなしは東京時間)"
    ),
    "act as this principal: WORKER[@ORG][/CODE,...]:ROLE[,...] (default: $SAIHAN_PRINCIPAL)": (
        "この主体として操作する: WORKER[@ORG][/CODE,...]:ROLE[,...] (既定: $SAIHAN_PRINCIPAL)"
    ),
    "the worker id recorded as having done it (default: the principal's id)": (
        "操作した者として記録する職員 ID (既定: 主体の ID)"
    ),
    "write to this file instead of standard output": "標準出力の代わりにこのファイルに書く",
    "show no progress on standard error (it is shown only when that is a terminal)": (
        "標準エラーに進捗を表示しない (進捗は端末のときだけ表示されます)"
    ),
    # command groups
    "validate, export and search directories": "ディレクトリの検証・書き出し・検索",
    "opening hours of a service; holidays": "サービスの受付時間、祝日",
    "propose services for a consultation case, with reasons": (
        "相談ケースにサービスを理由つきで提案する"
    ),
    "unmet and poorly met needs over many cases, by municipality": (
        "多数のケースで満たされない・不十分なニーズを市区町村別に集計する"
    ),
    "check or show referral rule files": "紹介規則ファイルを検査・表示する",
    "list, check, draw and run support flows": "支援フローの一覧・検査・図示・実行",
    "print or write the JSON Schemas of the models": "モデルの JSON Schema を表示・書き出す",
    "keep a directory in a database (storage backends)": (
        "ディレクトリをデータベースに保存する (ストレージバックエンド)"
    ),
    "write a directory (sample, file or store) through any exporter": (
        "ディレクトリ (サンプル、ファイル、ストア) を任意のエクスポーターで書き出す"
    ),
    "read a file through any importer and store it atomically": (
        "ファイルを任意のインポーターで読み、不可分に保存する"
    ),
    "open, close and record consent on stored cases": ("保存したケースの開始・終了と同意の記録"),
    "make, move, follow up and show referrals": "紹介の作成・状態変更・フォローアップ・表示",
    "referrals due for follow-up, most overdue first": (
        "フォローアップ期日の来た紹介 (期限超過の長い順)"
    ),
    "the audit trail of cases and referrals (field paths, never values)": (
        "ケースと紹介の監査証跡 (フィールドのパスのみ、値は出さない)"
    ),
    # directory
    "check a directory file; list every error": "ディレクトリファイルを検査し、すべての誤りを示す",
    "write a directory through an exporter plugin": "ディレクトリをエクスポーターで書き出す",
    "find services by need, place, kind or text": "ニーズ・地域・種別・語でサービスを探す",
    "list the need taxonomy": "ニーズの分類を一覧する",
    "list the agency kinds": "機関の種別を一覧する",
    "list Tokyo's 62 municipalities": "東京都の62市区町村を一覧する",
    "a directory document (JSON)": "ディレクトリ文書 (JSON)",
    "importer to read the file with (default: json)": (
        "ファイルの読み込みに使うインポーター (既定: json)"
    ),
    "importer to read the file with (default: fhir)": (
        "ファイルの読み込みに使うインポーター (既定: fhir)"
    ),
    "deprecated: the old spelling of --importer NAME": "非推奨: --importer NAME の古い書き方",
    "output format: text or json (default: text); an importer's name here is the old "
    "spelling of --importer NAME (deprecated)": (
        "出力形式: text または json (既定: text)。インポーター名を書くのは --importer NAME の"
        "古い書き方 (非推奨)"
    ),
    "directory document to use (default: the bundled sample)": (
        "使うディレクトリ文書 (既定: 同梱のサンプル)"
    ),
    "exporter name (default: json)": "エクスポーター名 (既定: json)",
    "file to write (default: stdout)": "書き出すファイル (既定: 標準出力)",
    "keep confidential addresses (for a private backup, never for publishing)": (
        "非公開の住所も残す (内部のバックアップ用。公開には使わない)"
    ),
    "need code, e.g. housing or drug_alcohol.treatment": (
        "ニーズのコード (例: housing、drug_alcohol.treatment)"
    ),
    "code or name: 131016, 八王子市, hachioji": "コードまたは名称: 131016、八王子市、hachioji",
    "agency kind code, e.g. hello_work": "機関の種別コード (例: hello_work)",
    "who consults": "相談する人",
    "how to reach it": "連絡方法",
    "words in names or descriptions (any width, kana)": (
        "名称・説明に含まれる語 (全角・半角、かなを問わない)"
    ),
    "language of tables": "表の言語",
    # calendar
    "when a service next opens": "サービスが次に受付を始める日時",
    "a month grid of a service's open days and hours": "サービスの受付日と時間の月間表",
    "write a service's calendar through an exporter": (
        "サービスのカレンダーをエクスポーターで書き出す"
    ),
    "Japan's national holidays of a year": "ある年の日本の祝日",
    "the service's id": "サービスの ID",
    "ISO date-time (default: now; no offset = the service's zone)": (
        "ISO 形式の日時 (既定: 現在。オフセットなしはサービスのタイムゾーン)"
    ),
    "YYYY-MM, e.g. 2024-12": "YYYY-MM (例: 2024-12)",
    "exporter name (default: ical)": "エクスポーター名 (既定: ical)",
    "first date (default: reception period)": "最初の日 (既定: 受付期間)",
    "last date (default: reception period)": "最後の日 (既定: 受付期間)",
    "ical: the domain in every UID (default: saihan.invalid)": (
        "ical: 各 UID のドメイン (既定: saihan.invalid)"
    ),
    "the year, e.g. 2025": "年 (例: 2025)",
    # referral
    "a case document (JSON)": "ケース文書 (JSON)",
    "read the directory from this store (sqlite:///saihan.db, postgresql://...)": (
        "このストアからディレクトリを読む (sqlite:///saihan.db、postgresql://...)"
    ),
    "rule file, YAML or JSON (default: Tokyo's)": (
        "規則ファイル、YAML または JSON (既定: 東京都の規則)"
    ),
    "ISO date-time the plan is for (default: when the case was received)": (
        "プランの基準日時、ISO 形式 (既定: ケースの受付日時)"
    ),
    "recommendations per need: a number, or 'all' (default 5)": (
        "ニーズごとの推薦数: 数、または 'all' (既定 5)"
    ),
    "services left out: counted by reason with a few examples (summary), or each one too (all)": (
        "対象外とした支援: 理由ごとの件数と数件の例 (summary)、または1件ずつも (all)"
    ),
    "follow a support flow first: a bundled flow id or a file": (
        "先に支援フローをたどる: 同梱のフロー ID またはファイル"
    ),
    "case documents, or folders of them": "ケース文書、またはそのフォルダー",
    "validate a rule file and run saihan's properties on it (needs hypothesis)": (
        "規則ファイルを検証し、saihan の性質を検査する (hypothesis が必要)"
    ),
    "list the rules of a file (default: Tokyo's)": "ファイルの規則を一覧する (既定: 東京都の規則)",
    "YAML or JSON rule file": "YAML または JSON の規則ファイル",
    "cases per property": "性質ごとのケース数",
    "seed, to repeat a run exactly": "シード (同じ実行を再現する)",
    "only the rules that apply on this date (YYYY-MM-DD)": "この日に有効な規則だけ (YYYY-MM-DD)",
    # portal
    "the directory as a static web site (リスタネット)": (
        "ディレクトリを静的なウェブサイトにする（リスタネット）"
    ),
    "write the portal site: works from a file share or any web server": (
        "ポータルサイトを書き出す: ファイル共有からもウェブサーバーからも使える"
    ),
    "folder to write the site into": "サイトを書き出すフォルダ",
    "language of the top pages; the other is under en/ or ja/ (default ja)": (
        "トップのページの言語。もう一方は en/ または ja/ の下 (既定 ja)"
    ),
    "address the site is served from: canonical links and sitemap.xml": (
        "サイトを公開するアドレス: canonical リンクと sitemap.xml に使う"
    ),
    "weeks of openings to compute for 'open now' (default 8)": (
        "「いま受付中か」のために受付時間を計算する週数 (既定 8)"
    ),
    # guidebook
    "the supporters' guidebook: directory, flowcharts and columns": (
        "支援者向けガイドブック: 支援機関の一覧、フローチャート、コラム"
    ),
    "write the guidebook as a printable A4 PDF or one HTML file": (
        "ガイドブックを印刷用の A4 PDF または 1 つの HTML ファイルとして書き出す"
    ),
    "the file to write": "書き出すファイル",
    "pdf or html (default: from the output's suffix, else pdf)": (
        "pdf または html (既定: 出力ファイルの拡張子から、なければ pdf)"
    ),
    "folder of Markdown column files for part 3 (default: the bundled samples)": (
        "第3部のコラムにする Markdown ファイルのフォルダー (既定: 同梱のサンプル)"
    ),
    # flows
    "the bundled flows and the plan sections they cite": "同梱のフローと、それが引く計画の節",
    "check a flow file; exit 1 listing every problem": (
        "フローファイルを検査する。問題があればすべて示して終了コード 1"
    ),
    "draw a flow as Mermaid, Graphviz DOT or SVG": "フローを Mermaid、Graphviz DOT、SVG で描く",
    "follow a flow for a case: path, actions, end": (
        "ケースについてフローをたどる: 経路、対応、結末"
    ),
    "YAML or JSON flow file": "YAML または JSON のフローファイル",
    "a bundled flow id or a flow file": "同梱のフロー ID またはフローファイル",
    "write here": "ここに書く",
    # schema
    "model name, e.g. Service (default: all)": "モデル名 (例: Service。既定: すべて)",
    "write every schema into DIR": "すべてのスキーマを DIR に書き出す",
    # store
    "create the store (or migrate it) and say where it is": (
        "ストアを作成 (または移行) し、その場所を示す"
    ),
    "replace the stored directory with a file, atomically": (
        "保存したディレクトリをファイルの内容で不可分に置き換える"
    ),
    "write the stored directory through an exporter": (
        "保存したディレクトリをエクスポーターで書き出す"
    ),
    "backend, schema version and record counts": "バックエンド、スキーマの版、記録数",
    "list stored cases: id, municipality, day received (never their contents)": (
        "保存したケースの一覧: ID、市区町村、受付日 (内容は出さない)"
    ),
    "store URL, e.g. sqlite:///saihan.db or postgresql://host/db (default: "
    "$SAIHAN_STORE_URL, else the embedded store; --url is an old alias)": (
        "ストアの URL (例: sqlite:///saihan.db、postgresql://host/db) "
        "(既定: $SAIHAN_STORE_URL、なければ組み込みのストア。--url は旧名)"
    ),
    "who acts, WORKER[@ORGANISATION][/CODE,CODE...]:ROLE[,ROLE...], e.g. "
    "worker-7@org-1/132012:desk-worker (default: $SAIHAN_PRINCIPAL; see docs/access.md)": (
        "操作する主体、WORKER[@ORGANISATION][/CODE,CODE...]:ROLE[,ROLE...] "
        "(例: worker-7@org-1/132012:desk-worker。既定: $SAIHAN_PRINCIPAL。docs/access.md 参照)"
    ),
    "a directory document": "ディレクトリ文書",
    "progress bar on standard error: auto (when it is a terminal), bar, none": (
        "標準エラーの進捗表示: auto (端末のとき)、bar (常に)、none (表示しない)"
    ),
    "also run the integrity check": "整合性の検査も行う",
    "handling municipality (code or name)": "担当の市区町村 (コードまたは名称)",
    "worker id": "職員 ID",
    "need code (sub-needs included)": "ニーズのコード (下位のニーズを含む)",
    "at most this many cases": "最大のケース数",
    # export and import
    "store URL, e.g. sqlite:///saihan.db or postgresql://host/db "
    "(default: $SAIHAN_STORE_URL, else the embedded store); read from it": (
        f"ストアの URL (例: sqlite:///saihan.db、postgresql://host/db) {_STORE}。そこから読む"
    ),
    "an option of the format plugin, VALUE as JSON when it parses (bom=true); repeat it": (
        "形式プラグインのオプション。VALUE は JSON として読めれば JSON (bom=true)。繰り返し可"
    ),
    "the file to read": "読むファイル",
    "text encoding, for formats that take one (opendata-csv: utf-8, the default, or cp932, "
    "the Shift_JIS many municipalities publish); the plugin's encoding option": (
        "文字コード、それを受け付ける形式で (opendata-csv: utf-8 が既定、または多くの自治体が"
        "公開に使う Shift_JIS の cp932)。プラグインの encoding オプション"
    ),
    "load the good records, report the skipped ones": (
        "正しい記録だけを読み込み、飛ばした記録を報告する"
    ),
    "write the import report (JSON if .json)": "インポートの報告を書く (.json なら JSON)",
    "store URL, e.g. sqlite:///saihan.db or postgresql://host/db "
    "(default: $SAIHAN_STORE_URL, else the embedded store)": (
        f"ストアの URL (例: sqlite:///saihan.db、postgresql://host/db) {_STORE}"
    ),
    "merge into the stored directory by id (pages of a feed, several sources) instead of "
    "replacing it; conflicts go to the report": (
        "置き換えずに、保存したディレクトリへ ID で統合する (フィードの各ページ、複数の情報源)。"
        "食い違いは報告に書く"
    ),
    "read and check everything, say what would be added, changed, removed and skipped, "
    "and write nothing to the store": (
        "すべて読んで検査し、追加・変更・削除・スキップされるものを示す。ストアには何も書かない"
    ),
    # cases
    "store a new case from a case document (audited)": (
        "ケース文書から新しいケースを保存する (監査対象)"
    ),
    "close a case whose referrals have all ended": "紹介がすべて終わったケースを閉じる",
    "open a closed case again": "閉じたケースを再開する",
    "record a consent or a refusal, or withdraw a consent (cancelling the referrals it "
    "covered)": "同意または拒否を記録する、または同意を撤回する (その同意による紹介は取り消す)",
    "a stored case: what a worker needs, never its sensitive fields unless asked": (
        "保存したケース: 職員に必要な事項 (求められない限り機微な項目は出さない)"
    ),
    "store URL, e.g. sqlite:///saihan.db (default: $SAIHAN_STORE_URL, else the embedded "
    "store)": f"ストアの URL (例: sqlite:///saihan.db) {_STORE}",
    "the worker the change is recorded for (default: the --as principal's id; only a "
    "system principal may name another)": (
        "変更を記録する職員 (既定: --as の主体の ID。ほかの職員を指定できるのは system の主体だけ)"
    ),
    "when, ISO 8601 with its UTC offset, e.g. 2024-11-05T10:30+09:00 (default: now)": (
        "日時、UTC オフセットつきの ISO 8601 (例: 2024-11-05T10:30+09:00。既定: 現在)"
    ),
    "a consent document": "同意の文書",
    "the position of the consent (from 0)": "同意の位置 (0 から)",
    "the person was asked and said no, for the --agency and --agency-kind given": (
        "本人が尋ねられて断った (--agency と --agency-kind で示す機関について)"
    ),
    "with --refuse (repeatable)": "--refuse と共に (繰り返し可)",
    "with --refuse: every agency of this kind (repeatable)": (
        "--refuse と共に: この種別のすべての機関 (繰り返し可)"
    ),
    "--withdraw: withdrawn from this day; --refuse: the day they were asked (default: "
    "--at's day, the person's day)": (
        "--withdraw: この日から撤回。--refuse: 尋ねた日 (既定: --at の日、本人の日付)"
    ),
    "also print the summary, name, birth date, notes and consents": (
        "概要・氏名・生年月日・メモ・同意も表示する"
    ),
    # referrals
    "refer a stored case to a stored service": "保存したケースを保存したサービスに紹介する",
    "move a referral to another status": "紹介の状態を変える",
    "record a follow-up: the status stays": "フォローアップを記録する (状態は変わらない)",
    "a referral and its history": "紹介とその履歴",
    "stored referrals: id, case, service, status": "保存した紹介: ID、ケース、サービス、状態",
    "write a stored referral through an exporter (fhir: the SDOH Clinical Care IG's Task, "
    "ServiceRequest and Consent; needs the saihan-fhir plugin)": (
        "保存した紹介をエクスポーターで書き出す (fhir: SDOH Clinical Care IG の Task、"
        "ServiceRequest、Consent。saihan-fhir プラグインが必要)"
    ),
    "store a referral from a file through an importer (default: fhir)": (
        "ファイルの紹介をインポーターで読んで保存する (既定: fhir)"
    ),
    "send it at once (requested; needs consent)": "すぐに送る (requested。同意が必要)",
    "the need it is for": "対象のニーズ",
    "the referring service (its days count)": "紹介元のサービス (その開庁日で数える)",
    "the stored plan it came from": "もとになった保存済みのプラン",
    "the referral id (default: CASE.SERVICE.N)": "紹介の ID (既定: CASE.SERVICE.N)",
    "why (needed for rejected, on-hold ...)": "理由 (rejected、on-hold などで必要)",
    "what came of it": "結果",
    "refuse if the referral is no longer at this version": "紹介がこの版でなければ拒否する",
    "what the follow-up found": "フォローアップでわかったこと",
    "also print reasons and outcomes (the worker's words about the person)": (
        "理由と結果も表示する (本人について職員が書いた言葉)"
    ),
    "one case's referrals": "あるケースの紹介",
    "referrals to one service": "あるサービスへの紹介",
    "now in this status": "現在この状態のもの",
    "only those not yet ended": "まだ終わっていないものだけ",
    "exporter name (default: fhir)": "エクスポーター名 (既定: fhir)",
    "also write reasons and outcomes (the worker's words about the person)": (
        "理由と結果も書く (本人について職員が書いた言葉)"
    ),
    "also write the case's consent that covers the referral (reads the case, audited)": (
        "紹介を対象とするケースの同意も書く (ケースを読むので監査対象)"
    ),
    # follow-ups and audit
    "the moment asked about (default: now)": "問い合わせる日時 (既定: 現在)",
    "cases handled there (code or name)": "そこで担当するケース (コードまたは名称)",
    "cases of this worker": "この職員のケース",
    "only those past their due day": "期日を過ぎたものだけ",
    "group them by worker or municipality": "職員別または市区町村別にまとめる",
    "one record: case:ID or referral:ID": "一つの記録: case:ID または referral:ID",
    "one actor's changes": "ある記録者の変更",
    "first UTC day": "最初の日 (UTC)",
    "last UTC day": "最後の日 (UTC)",
    "check the audit trail's hash chain and coverage (exit 1 if broken)": (
        "監査証跡のハッシュチェーンと網羅性を検査する (壊れていれば終了コード 1)"
    ),
    "store URL (default: $SAIHAN_STORE_URL, else the embedded store)": f"ストアの URL {_STORE}",
    # plan monitoring (saihan.cli.monitoring_commands)
    "demonstration data: a synthetic caseload": "デモ用データ: 架空のケース群",
    "write made-up cases, plans, consents and referral histories of a fiscal year": (
        "ある年度の架空のケース・紹介計画・同意・紹介の経過を書き込む"
    ),
    "how many cases to make": "作るケースの数",
    "random seed (default: 0)": "乱数のシード (既定: 0)",
    "fiscal year, April to March, named by its April (default: 2024, 令和6年度)": (
        "年度 (4月から3月、4月の属する年で呼ぶ。既定: 2024 = 令和6年度)"
    ),
    "case examples for the liaison meeting, without personal data": (
        "連絡会で共有する事例 (個人情報を含まない)"
    ),
    "write cases with their referrals' paths and outcomes, k-anonymous (generalised, then "
    "suppressed)": "ケースを紹介の経過と結果とともに k-匿名化して書き出す (一般化してから秘匿)",
    "every row shares its quasi-identifiers with at least K-1 other rows (2..1000)": (
        "どの行も準識別子の組合せが他の K-1 行以上と同じになる (2..1000)"
    ),
    "who the export is for, as an id (recorded in the audit trail), e.g. liaison-meeting-2024-10": (
        "書き出しの提供先を ID で (監査証跡に記録される)。例: liaison-meeting-2024-10"
    ),
    "only cases received in this fiscal year": "この年度に受け付けたケースだけ",
    "only cases handled there (code or name)": "そこで担当するケースだけ (コードまたは名称)",
    "largest share of cases that may be left out rather than generalised further "
    "(default: 0.1)": "さらに一般化せずに除外してよいケースの割合の上限 (既定: 0.1)",
    "mark a case's summary as edited for sharing (audited), or clear it": (
        "ケースの概要を共有用に編集済みとして記録する (監査対象)、または外す"
    ),
    "case id": "ケース ID",
    "the summary as edited for sharing": "共有用に編集した概要",
    "read the edited summary from this file": "編集した概要をこのファイルから読む",
    "remove the mark: share no text": "記録を外す: 文章を共有しない",
    "the plan's figures of a fiscal year, small counts suppressed (html, csv, json)": (
        "ある年度の計画の指標 (小さい度数は秘匿。html、csv、json)"
    ),
    "fiscal year, April to March, named by its April (2024 is 令和6年度)": (
        "年度 (4月から3月、4月の属する年で呼ぶ。2024 = 令和6年度)"
    ),
    "counts below K are suppressed (default: 5)": "K 未満の度数を秘匿する (既定: 5)",
    "who the report is for, as an id (recorded in the audit trail; default: plan-review)": (
        "報告の提供先を ID で (監査証跡に記録される。既定: plan-review)"
    ),
    # saihan events and saihan newsletter (docs/outreach.md)
    "a JSON array of event documents": ("イベント文書の JSON 配列"),
    "an address to unsubscribe by": ("配信停止を受け付けるメールアドレス"),
    "an issue for this municipality (code or name; repeat for more)": (
        "この区市町村向けの号にする (コードまたは名称。複数は繰り返す)"
    ),
    "compare with the last issue up to this day": ("この日までに作成した直近の号と比べる"),
    "compose and send the e-mail newsletter": ("メールマガジンを作成・配信する"),
    "compose the next issue from the directory's changes and coming events": (
        "支援機関情報の更新と今後のイベントから次の号を作成する"
    ),
    "end a subscription at once, by its token": ("トークンで購読を直ちに停止する"),
    "events for this audience": ("この対象者向けのイベント"),
    "events for this municipality (code or name), and those for all of Tokyo": (
        "この区市町村 (コードまたは名称) 向けと都内全域向けのイベント"
    ),
    "events of this organiser (agency id)": ("この主催者 (機関 ID) のイベント"),
    "events starting on or after": ("この日以降に始まるイベント"),
    "events starting on or before": ("この日までに始まるイベント"),
    "feed format: ical (RFC 5545); HSDS 3.1 defines no event record": (
        "フィードの形式: ical (RFC 5545)。HSDS 3.1 にはイベントの記録がありません"
    ),
    "https:// URL with {token}: each subscriber's one-click unsubscribe link": (
        "{token} を含む https:// の URL: 購読者ごとのワンクリック配信停止リンク"
    ),
    "list events, by start": ("イベントを開始順に一覧する"),
    "outreach events and their iCalendar feeds": (
        "研修・連絡会などのイベントと iCalendar フィード"
    ),
    "send the latest unsent issue to consenting subscribers": (
        "未配信の最新号を同意した購読者に送る"
    ),
    "store events from a JSON array of events": ("イベントの JSON 配列をストアに登録する"),
    "store the bundled FY2024 sample events": ("同梱の令和6年度サンプルイベントを登録する"),
    "the From address": ("差出人 (From) のアドレス"),
    "the SMTP server": ("SMTP サーバー"),
    "the bundled FY2024 sample events, not a store's": (
        "ストアではなく同梱の令和6年度サンプルイベント"
    ),
    "the editor's text, in Markdown": ("編集者の文章 (Markdown)"),
    "the feed's name (X-WR-CALNAME)": ("フィードの名前 (X-WR-CALNAME)"),
    "the issue (default: latest unsent)": ("号の番号 (既定: 未配信の最新号)"),
    "the publisher's domain, the right-hand side of every UID (default: saihan.invalid)": (
        "発行者のドメイン。各 UID の @ の右側 (既定: saihan.invalid)"
    ),
    "the token of the unsubscribe link": ("配信停止リンクのトークン"),
    "weeks ahead for closures and events (default: %(default)s)": (
        "臨時休業とイベントを載せる週数 (既定: %(default)s)"
    ),
    "when it is composed, ISO 8601 (default: now)": ("作成日時、ISO 8601 (既定: 現在)"),
    "when it is sent, ISO 8601 (default: now)": ("配信日時、ISO 8601 (既定: 現在)"),
    "when, ISO 8601 (default: now)": ("日時、ISO 8601 (既定: 現在)"),
    "write an iCalendar feed of events (per organiser, municipality, audience)": (
        "イベントの iCalendar フィードを書き出す (主催者・区市町村・対象者ごと)"
    ),
    "write the issue here": ("号をこのファイルに書き出す"),
}

# Texts with a part that varies (the installed plugins): a pattern and its Japanese.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^Installed exporters: (?P<names>.*) \(those that write directories apply\)\.$"
        ),
        "インストール済みのエクスポーター: {names} (ディレクトリを書き出すものが使えます)。",
    ),
    (
        re.compile(r"^Installed importers: (?P<names>.*) \(those that read directories apply\)\.$"),
        "インストール済みのインポーター: {names} (ディレクトリを読むものが使えます)。",
    ),
    (
        re.compile(r"^the new status: (?P<names>.*)$"),  # referral transition: codes
        "新しい状態: {names}",
    ),
)


def japanese(text: str) -> str | None:
    """The Japanese of an English help text, or None when the catalogue has none."""
    if text in CATALOGUE:
        return CATALOGUE[text]
    for pattern, template in _PATTERNS:
        found = pattern.match(text)
        if found is not None:
            return template.format(**found.groupdict())
    return None


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found, seen = [parser], {id(parser)}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if id(child) not in seen:
                    seen.add(id(child))
                    found.extend(_parsers(child))
    return found


def _texts(parser: argparse.ArgumentParser) -> list[tuple[object, str, str]]:
    """Every help text of ``parser`` and its commands: (holder, attribute, text)."""
    texts: list[tuple[object, str, str]] = []
    for each in _parsers(parser):
        if each.description:
            texts.append((each, "description", each.description))
        for action in each._actions:
            if isinstance(action, argparse._SubParsersAction):
                texts.extend((choice, "help", choice.help) for choice in action._choices_actions
                             if choice.help)  # fmt: skip
            elif action.help and action.help is not argparse.SUPPRESS:
                texts.append((action, "help", action.help))
    return texts


def missing(parser: argparse.ArgumentParser) -> list[str]:
    """The help texts of ``parser`` (built in English) the catalogue has no Japanese for."""
    return sorted({text for _, _, text in _texts(parser) if japanese(text) is None})


class _JapaneseFormatter(argparse.RawDescriptionHelpFormatter):
    """Usage says 使い方; help lines are wrapped by terminal columns (a kanji takes two)
    and between characters where there is no space, as Japanese is written."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        from saihan.cli.table import wrap

        return wrap(" ".join(text.split()), max(width, 10))

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, prefix="使い方: ")


def translate(parser: argparse.ArgumentParser) -> None:
    """Put the Japanese of every help text into ``parser`` and its commands; a text the
    catalogue lacks stays English (the test of the catalogue fails for it)."""
    for holder, attribute, text in _texts(parser):
        setattr(holder, attribute, japanese(text) or text)
    for each in _parsers(parser):
        each.formatter_class = _JapaneseFormatter
        each._positionals.title = "位置引数"
        each._optionals.title = "オプション"
        if each.epilog and each.epilog.startswith("example:\n"):
            each.epilog = "例:\n" + each.epilog.removeprefix("example:\n")
