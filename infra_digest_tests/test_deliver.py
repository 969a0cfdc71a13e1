"""Delivery through the real apprise client to fake webhooks and an SMTP server on 127.0.0.1: filters, exactly
once, weekly cadence, a failing channel, the Feishu signature, alerts, and no secret stored or printed."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import textwrap
from pathlib import Path

import pytest

from infra_digest.deliver import feishu
from infra_digest.deliver.alerts import run_failure_alerts
from infra_digest.deliver.message import build_message, clean_text, highlights_from_markdown
from infra_digest.deliver.run import deliver, failed_deliveries, summary
from infra_digest.deliver.select import Period, matches, period_for, rank
from infra_digest.deliver.subscriptions import SubscriptionError, expand, load_subscriptions, parse_subscriptions
from infra_digest.storage.db import connect
from infra_digest_tests.fakes.history import REPOS, add_flags_column, write_history
from infra_digest_tests.fakes.webhook_server import WebhookServer

pytest.importorskip("apprise")

D = dt.date(2026, 3, 11)  # a Wednesday
FAST = (0.0, 0.0)         # retry delays in tests
SLACK_TOKEN = "xoxSLACKtok3n5ecret"
FEISHU_SECRET = "fe1shuS1gningSecret"
SMTP_PASSWORD = "smtpPa55wordS3cret"
SECRETS = (SLACK_TOKEN, FEISHU_SECRET, SMTP_PASSWORD)
ENV = {"SLACK_TOKEN": SLACK_TOKEN, "FEISHU_SECRET": FEISHU_SECRET, "SMTP_PASSWORD": SMTP_PASSWORD}


@pytest.fixture
def db(tmp_path: Path):
    path = tmp_path / "h.duckdb"
    with connect(path) as conn:
        add_flags_column(conn)
        write_history(conn, [D - dt.timedelta(days=k) for k in range(9, -1, -1)])
    return path


@pytest.fixture
def server():
    with WebhookServer(slack_tokens=(SLACK_TOKEN,), feishu_secrets={"fstok": FEISHU_SECRET}) as srv:
        yield srv


def subs_for(srv: WebhookServer, extra: str = "") -> list:
    text = textwrap.dedent(f"""
        subscriptions:
          - name: everything
            to: json://{srv.host}/json/everything
          - name: blackwell-fp4
            lang: en
            to:
              - mmost://{srv.host}/${{SLACK_TOKEN}}
              - url: feishusign://fstok?secret=${{FEISHU_SECRET}}&base=http://{srv.host}
                name: feishu-group
            filters:
              hardware: [nvidia-blackwell, nvidia-blackwell-rtx]
              precision: [fp4]
        """) + textwrap.indent(textwrap.dedent(extra), "  ")
    import yaml

    return parse_subscriptions(yaml.safe_load(text))


def rows(path: Path, sql: str = "SELECT * FROM report.deliveries ORDER BY created_at") -> list[tuple]:
    with connect(path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


# --- subscriptions file -------------------------------------------------------------------------------------

def test_valid_file_loads_with_defaults(tmp_path: Path):
    p = tmp_path / "subs.yaml"
    p.write_text(textwrap.dedent("""
        subscriptions:
          - name: blackwell-fp4
            to: json://127.0.0.1:9000/hook
            lang: en
            cadence: weekly:mon
            filters:
              hardware: [nvidia-blackwell, nvidia-blackwell-rtx]
              precision: fp4
          - name: ops
            to: [json://127.0.0.1:9000/ops]
            alerts: true
            digest: false
        """))
    a, b = load_subscriptions(p)
    assert (a.name, a.lang, a.cadence, a.weekday) == ("blackwell-fp4", "en", "weekly:MON", 0)
    assert a.filters == {"hardware": ("nvidia-blackwell", "nvidia-blackwell-rtx"), "precision": ("fp4",)}
    assert [c.label for c in a.channels] == ["json#1"]
    assert (b.lang, b.cadence, b.alerts, b.digest) == ("zh", "daily", True, False)


def test_invalid_file_lists_every_problem_without_echoing_urls(tmp_path: Path):
    p = tmp_path / "subs.yaml"
    p.write_text(textwrap.dedent("""
        subscriptions:
          - name: a
            to: json://h/x
          - name: a
            to: mailto://me:hunter2literal@smtp.example.org
          - name: b
            to: feishusign://tok?secret=literalsecret
            cadence: monthly
            lang: fr
            filters:
              hardware: [nvidia-blackwel]
              colour: [red]
          - name: "bad name!"
          - to: json://h/y
          - name: c
            to: nosuchservice://h/y
        """))
    with pytest.raises(SubscriptionError) as err:
        load_subscriptions(p)
    msg = str(err.value)
    for expected in ("used twice", "password written in the URL", "'secret' written literally", "monthly",
                     "lang 'fr'", "'nvidia-blackwel'", "unknown filter 'colour'", "'name' is required", "'to' is required",
                     "apprise has no nosuchservice:// service"):
        assert expected in msg, expected
    assert "hunter2literal" not in msg and "literalsecret" not in msg


def test_missing_file_and_bad_yaml_are_clear(tmp_path: Path):
    with pytest.raises(SubscriptionError, match="no subscriptions file"):
        load_subscriptions(tmp_path / "nope.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("subscriptions:\n  - name: [unclosed\n")
    with pytest.raises(SubscriptionError, match="not valid YAML at line"):
        load_subscriptions(p)


def test_environment_references_expand_at_send_time_only():
    url, secrets = expand("mmost://h/${SLACK_TOKEN}?x=${OTHER}", {"SLACK_TOKEN": "t0k", "OTHER": "o"})
    assert url == "mmost://h/t0k?x=o" and secrets == ["t0k", "o"]
    with pytest.raises(SubscriptionError) as err:
        expand("mmost://h/${SLACK_TOKEN}", {})
    assert "SLACK_TOKEN" in str(err.value)


# --- filters, periods, ranking, messages --------------------------------------------------------------------

def test_filters_or_within_a_key_and_across_keys():
    item = {"repo": "vllm-project/vllm", "hardware": ("nvidia-blackwell-rtx",), "precision": ("fp4",), "topics": (),
            "models": (), "change_type": "fix", "flags": ("crash",)}
    assert matches(item, {})
    assert matches(item, {"hardware": ["nvidia-blackwell", "nvidia-blackwell-rtx"]})
    assert matches(item, {"hardware": ["nvidia-blackwell-rtx"], "precision": ["fp4"], "flags": ["crash", "security"]})
    assert not matches(item, {"hardware": ["nvidia-blackwell-rtx"], "precision": ["fp8"]})
    assert not matches(item, {"hardware": ["amd"]})
    assert matches(item, {"repos": ["VLLM-project/vllm"], "change_types": ["fix", "perf"]})
    assert not matches(item, {"change_types": ["docs"]})


def test_weekly_period_ends_on_its_weekday_only():
    sub = parse_subscriptions({"subscriptions": [{"name": "w", "to": "json://h/x", "cadence": "weekly:SUN"}]})[0]
    sunday = dt.date(2026, 3, 15)
    assert period_for(sub, sunday) == Period(dt.date(2026, 3, 9), sunday, "weekly:2026-03-09..2026-03-15")
    assert all(period_for(sub, sunday - dt.timedelta(days=k)) is None for k in range(1, 7))


def test_ranking_is_explainable_and_puts_flagged_hardware_items_first():
    items = [
        {"repo": "a/b", "day": D, "item_kind": "commit", "item_id": "1", "change_type": "ci", "hardware": (),
         "precision": (), "models": (), "flags": ()},
        {"repo": "a/b", "day": D, "item_kind": "commit", "item_id": "2", "change_type": "fix", "hardware": ("amd",),
         "precision": ("fp8",), "models": (), "flags": ("security",)},
        {"repo": "a/b", "day": D, "item_kind": "issue", "item_id": "3", "change_type": "bug", "hardware": (),
         "precision": (), "models": (), "flags": ()},
    ]
    ranked = rank(items)
    assert [r["item_id"] for r in ranked] == ["2", "3", "1"]
    assert ranked[0]["reasons"] == ["flag:security+50", "type:fix+12", "hardware+8", "precision+8"]


def test_each_channel_has_its_own_length_limit():
    from infra_digest.deliver.channels import limit_for

    assert limit_for("discord://1234567890/abcdefghijklmnop") == 2000
    assert limit_for("tgram://123456789:AAHabcdefghijklmnopqrstuvwxyz12345/12345") <= 4096 - 250  # title in body
    assert limit_for("wecombot://abcdef1234") < 2048
    assert limit_for("feishusign://tok?secret=x") == limit_for("dingtalk://abcdef1234567890") == 6000
    assert limit_for("json://127.0.0.1/x") == 32768
    assert limit_for("json://127.0.0.1/x", 900) == 900


def test_untrusted_text_never_becomes_a_link_or_a_mention():
    text = clean_text("see https://evil.example/x and www.evil.example @here @channel <!everyone> a\x00b\nc")
    assert "https://" not in text and "www.evil" not in text
    assert "@here" not in text and "@channel" not in text and "<!everyone>" not in text
    assert "\x00" not in text and "\n" not in text


def test_message_cut_to_channel_limit_keeps_top_items_and_links_to_full_list():
    items = rank({"repo": REPOS[0], "day": D, "item_kind": "commit", "item_id": f"{n:040x}", "title": f"change {n}",
                  "url": f"https://github.com/{REPOS[0]}/commit/{n:040x}", "change_type": "fix" if n % 7 else "ci",
                  "hardware": (), "precision": (), "models": (), "topics": (), "flags": ("crash",) if n == 13 else ()}
                 for n in range(60))
    period = Period(D, D, f"daily:{D}")
    full = build_message(lang="en", period=period, sub_name="s", items=items, page_url="https://site/sub/s.html#p-x")
    assert full.items == 60 and not full.truncated
    small = build_message(lang="en", period=period, sub_name="s", items=items, limit=1000,
                          page_url="https://site/sub/s.html#p-x")
    assert small.chars <= 1000 and small.truncated and 0 < small.items < 60
    assert "change 13" in small.body.split("\n")[1]  # the flagged item first
    assert f"{60 - small.items} more not shown; the full list: https://site/sub/s.html#p-x" in small.body


def test_highlights_are_parsed_and_filtered_to_matched_items():
    md = "\n".join(["# t", "## Highlights",
                    "- **x/y** broke [`abc1234`](https://github.com/x/y/commit/abc1234) [evil](https://evil.example/)",
                    "- **x/z** other [#5](https://github.com/x/z/issues/5)", "## Details", "- not a highlight"])
    hs = highlights_from_markdown(md, "en")
    assert [h["links"] for h in hs] == [["https://github.com/x/y/commit/abc1234"], ["https://github.com/x/z/issues/5"]]
    assert "https://evil.example" not in hs[0]["text"] and "broke abc1234" in hs[0]["text"]


# --- delivery over real HTTP ---------------------------------------------------------------------------------

def test_delivers_filtered_messages_exactly_once_to_json_slack_and_signed_feishu(db, server):
    subs = subs_for(server)
    with connect(db) as conn:
        results = deliver(conn, D, subs, site_url="https://digest.example.org", environ=ENV, retry_delays=FAST)
    assert {(r.subscription, r.channel, r.status) for r in results} == {
        ("everything", "json#1", "sent"), ("blackwell-fp4", "mmost#1", "sent"),
        ("blackwell-fp4", "feishu-group", "sent")}
    everything = server.received("/json/everything")
    assert len(everything) == 1
    body = everything[0]["json"]["message"]
    # every item of the day with its GitHub link; the javascript: URL is not a link; nothing hostile as markup
    for sha in (r for r in body.split() if r.startswith("https://")):
        assert sha.startswith("https://github.com/"), sha
    assert body.count("https://github.com/") >= 4 + 2  # 4 linked items + highlight links
    assert "javascript:" not in body and "https://evil.example" not in body and "@here" not in body
    assert "## 今日要点" not in body and "要点" in body  # highlights come first, as text
    # the filtered subscription gets only the SM120 FP4 item, on both channels
    slack = server.received("/hooks/")
    feishu_msgs = server.received("/open-apis/")
    assert len(slack) == 1 and len(feishu_msgs) == 1
    for text in (slack[0]["json"]["text"], feishu_msgs[0]["json"]["content"]["text"]):
        assert "Matching items (1)" in text and "NVFP4 MoE on SM120" in text
        assert "MI300" not in text and "FP8 GEMM" not in text
    assert feishu_msgs[0]["json"]["sign"] and feishu_msgs[0]["json"]["timestamp"]
    # a second run sends nothing and says so; --resend sends again
    with connect(db) as conn:
        again = deliver(conn, D, subs, environ=ENV, retry_delays=FAST)
        assert {r.status for r in again} == {"already-sent"} and summary(again).startswith("nothing sent")
        assert len(server.received()) == 3
        resent = deliver(conn, D, subs[:1], environ=ENV, retry_delays=FAST, resend=True)
    assert [r.status for r in resent] == ["sent"] and len(server.received("/json/everything")) == 2
    recorded = rows(db, "SELECT subscription, channel, status, resend FROM report.deliveries ORDER BY created_at")
    assert recorded == [("everything", "json#1", "sent", False), ("blackwell-fp4", "mmost#1", "sent", False),
                        ("blackwell-fp4", "feishu-group", "sent", False), ("everything", "json#1", "sent", True)]


def test_feishu_signature_is_what_feishu_verifies(server):
    ok, reason = feishu.post(f"http://{server.host}/open-apis/bot/v2/hook/fstok", "hello", FEISHU_SECRET)
    assert ok, reason
    ok, reason = feishu.post(f"http://{server.host}/open-apis/bot/v2/hook/fstok", "hello", "wrong-secret")
    assert not ok and "19021" in reason
    ok, reason = feishu.post(f"http://{server.host}/open-apis/bot/v2/hook/fstok", "hello", None)
    assert not ok and "19021" in reason
    # a known vector: key "1599360473\ntest" over an empty message
    assert feishu.sign("test", 1599360473) == WebhookServer.feishu_sign("test", "1599360473")


def test_failing_channel_is_retried_recorded_and_never_blocks_the_others(db, server):
    subs = subs_for(server, f"""
        - name: two-channels
          to:
            - {{url: "json://{server.host}/json/broken", name: broken}}
            - {{url: "json://{server.host}/json/fine", name: fine}}
        - name: flaky
          to: json://{server.host}/json/flaky
        - name: unset-secret
          to: mmost://{server.host}/${{NOT_SET_ANYWHERE}}
        """)
    server.fail("/json/broken")             # always 500
    server.fail("/json/flaky", times=1)     # one 500, then fine
    with connect(db) as conn:
        results = {(r.subscription, r.channel): r for r in deliver(conn, D, subs, environ=ENV, retry_delays=FAST)}
        assert results[("two-channels", "broken")].status == "failed"
        assert "after 3 attempt(s)" in results[("two-channels", "broken")].detail
        assert results[("two-channels", "fine")].status == "sent"
        assert results[("flaky", "json#1")].status == "sent"
        assert results[("unset-secret", "mmost#1")].status == "failed"
        assert "NOT_SET_ANYWHERE" in results[("unset-secret", "mmost#1")].detail
        assert results[("everything", "json#1")].status == "sent"
        assert len(server.received("/json/broken", ok_only=False)) == 3
        attempts = dict(((s, c), a) for s, c, a in conn.execute(
            "SELECT subscription, channel, attempts FROM report.deliveries").fetchall())
        assert attempts[("flaky", "json#1")] == 2
        assert {(s, c) for s, _, c, _, _ in failed_deliveries(conn, D)} == {("two-channels", "broken"),
                                                                            ("unset-secret", "mmost#1")}
        # the channel comes back: the next run sends only what failed
        server.fail("/json/broken", times=0)
        before = len(server.received("/json/fine"))
        again = {(r.subscription, r.channel): r.status for r in deliver(conn, D, subs, environ=ENV, retry_delays=FAST)}
        assert again[("two-channels", "broken")] == "sent" and again[("two-channels", "fine")] == "already-sent"
        assert len(server.received("/json/fine")) == before
        assert {(s, c) for s, _, c, _, _ in failed_deliveries(conn, D)} == {("unset-secret", "mmost#1")}


def test_weekly_subscription_gets_one_message_covering_seven_days(db, server):
    subs = subs_for(server, f"""
        - name: weekly-amd
          cadence: weekly:WED
          to: json://{server.host}/json/weekly
          filters: {{hardware: [amd]}}
        """)[2:]
    with connect(db) as conn:
        statuses = []
        for k in range(7, -1, -1):   # Wednesday D-7 (not in the history's reach for a full week), ..., Wednesday D
            day = D - dt.timedelta(days=k)
            statuses.append([r.status for r in deliver(conn, day, subs, environ=ENV, retry_delays=FAST)])
    assert statuses[1:7] == [["not-due"]] * 6
    msgs = server.received("/json/weekly")
    assert len(msgs) == 2  # D-7 and D
    body = msgs[-1]["json"]["message"]
    title = msgs[-1]["json"]["title"]
    assert f"{D - dt.timedelta(days=6)} – {D}" in title
    issues = [f"/issues/{2000 + i}" for i in range(10)]  # day index i -> issue 2000+i; D is index 9
    assert all(u in body for u in issues[3:10]) and issues[2] not in body


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_through_local_smtp_and_no_secret_stored_or_printed(db, server, tmp_path, capsys, caplog, monkeypatch):
    aiosmtpd = pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    del aiosmtpd
    received = []

    class Handler:
        async def handle_DATA(self, server_, session, envelope):  # noqa: N802
            received.append(envelope.content.decode("utf-8", "replace"))
            return "250 OK"

    def authenticator(server_, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == SMTP_PASSWORD
        return AuthResult(success=ok)

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd's start() connects to the port it was given)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        subs_file = tmp_path / "subs.yaml"
        subs_file.write_text(textwrap.dedent(f"""
            subscriptions:
              - name: mail
                to: mailto://digest:${{SMTP_PASSWORD}}@127.0.0.1:{port}?from=digest@example.org&to=reader@example.org
                filters: {{flags: [crash]}}
              - name: slack-bad-token-secret
                to: mmost://{server.host}/${{SLACK_TOKEN}}x
              - name: feishu
                to: feishusign://fstok?secret=${{FEISHU_SECRET}}&base=http://{server.host}
            """))
        for k, v in ENV.items():
            monkeypatch.setenv(k, v)
        caplog.set_level(logging.DEBUG)
        logging.getLogger("apprise").setLevel(logging.DEBUG)
        from infra_digest.deliver.cli import add_deliver_arguments

        parser = add_deliver_arguments(argparse.ArgumentParser())
        args = parser.parse_args(["--date", str(D), "--db", str(db), "--subscriptions", str(subs_file)])
        monkeypatch.setattr("infra_digest.deliver.channels.RETRY_DELAYS", FAST)
        code = args.func(args)
        out = capsys.readouterr()
        assert code == 1  # the bad Slack token fails; the others are sent
        assert "mail → mailto#1" in out.out and "sent" in out.out
        assert len(received) == 1 and "NVFP4 MoE on SM120" in received[0] and "MI300" in received[0]
        assert "FP8 GEMM" not in received[0]  # not flagged crash
        code = args.func(args)
        out2 = capsys.readouterr()
        assert "already-sent" in out2.out and len(received) == 1
    finally:
        controller.stop()
    with connect(db, read_only=True) as conn:
        dump = " ".join(str(v) for row in conn.execute("SELECT * FROM report.deliveries").fetchall() for v in row)
    printed = out.out + out.err + out2.out + out2.err + caplog.text
    for secret in SECRETS:
        assert secret not in dump, "secret stored in report.deliveries"
        assert secret not in printed, "secret printed or logged"
        assert secret[:8] not in dump and secret[-8:] not in printed


def test_alerts_once_per_failure_and_per_failed_run(tmp_path, server):
    path = tmp_path / "h.duckdb"
    with connect(path) as conn:
        write_history(conn, [D], failed={D: [REPOS[1]]})
    subs = parse_subscriptions({"subscriptions": [
        {"name": "ops", "to": f"json://{server.host}/json/ops", "alerts": True, "digest": False, "lang": "en"},
        {"name": "readers", "to": f"json://{server.host}/json/readers"}]})
    with connect(path) as conn:
        deliver(conn, D, subs, environ=ENV, retry_delays=FAST)
        deliver(conn, D, subs, environ=ENV, retry_delays=FAST)
        alerts = server.received("/json/ops")
        assert len(alerts) == 1
        assert "incomplete" in alerts[0]["json"]["title"] and REPOS[1] in alerts[0]["json"]["message"]
        assert "HTTP 502" in alerts[0]["json"]["message"]
        assert len(server.received("/json/readers")) == 1  # readers get the digest, not the alert
        # a different failure of the same day alerts again
        write_history(conn, [D], failed={D: [REPOS[1], REPOS[2]]})
        deliver(conn, D, subs, environ=ENV, retry_delays=FAST)
        assert len(server.received("/json/ops")) == 2
        # a failed run: once per run id
        for _ in range(2):
            run_failure_alerts(conn, subs, run_id="run-42", job="report_job",
                               error="daily_report: boom at https://api.example/x?token=abc", environ=ENV,
                               retry_delays=FAST)
        run_alerts = [m for m in server.received("/json/ops") if "run-42" in m["json"]["message"]]
        assert len(run_alerts) == 1 and "token=abc" not in run_alerts[0]["json"]["message"]


def test_asset_functions_deliver_skip_old_days_and_check_failures(db, server, tmp_path, monkeypatch):
    from infra_digest.deliver.asset import deliveries_check, materialize_deliveries, run_failure_alert

    monkeypatch.setattr("infra_digest.deliver.channels.RETRY_DELAYS", FAST)
    subs_file = tmp_path / "subs.yaml"
    subs_file.write_text(textwrap.dedent(f"""
        subscriptions:
          - name: ok
            to: json://{server.host}/json/ok
          - name: down
            to: json://{server.host}/json/down
            alerts: true
        """))
    server.fail("/json/down")
    with connect(db) as conn:
        meta = materialize_deliveries(conn, [D - dt.timedelta(days=20), D], subscriptions_file=str(subs_file),
                                      today=D + dt.timedelta(days=1))
        assert (meta["sent"], meta["failed"], meta["too_old_days"]) == (1, 1, [str(D - dt.timedelta(days=20))])
        passed, check = deliveries_check(conn, [D])
        assert not passed and check["failed_channels"] == 1 and check["failures"][0].startswith("down [daily:")
        assert materialize_deliveries(conn, [D], subscriptions_file=None)["subscriptions"] == 0
        server.fail("/json/down", times=0)
        lines = run_failure_alert(conn, str(subs_file), run_id="r1", job="report_job", error="boom")
        assert len(lines) == 1 and lines[0].startswith("down → json#1 [alert:run:r1]: sent: alert, ")
        materialize_deliveries(conn, [D], subscriptions_file=str(subs_file), today=D)
        assert deliveries_check(conn, [D])[0]


def test_the_documented_subscriptions_example_is_valid():
    import re

    import yaml

    doc = (Path(__file__).resolve().parents[1] / "docs" / "delivery.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", doc, re.S).group(1)
    subs = parse_subscriptions(yaml.safe_load(block))
    assert [s.name for s in subs] == ["blackwell-fp4", "sglang-weekly", "mail-fp8", "operators"]
    assert [c.label for c in subs[1].channels] == ["slack#1", "feishu-infra"] and subs[1].weekday == 0
    assert subs[3].alerts and not subs[3].digest
