"""Hosting platforms as data: detection from the environment (in its order), `--platform NAME|auto|none`,
`smtpdoctor platforms`, and the provider's dated auth retirements against an injected clock."""

from __future__ import annotations

import json
from datetime import date

import pytest

from smtpdoctor.app import CheckOptions, run_check
from smtpdoctor.knowledge.extras import load_extras, parse_extras
from smtpdoctor.knowledge.platforms import load_platforms, parse_platforms
from smtpdoctor.knowledge.providers import default_providers_path, load_providers
from smtpdoctor.render.i18n import Lang, render_param
from smtpdoctor.settings.model import load_settings_input

PROVIDERS = load_providers(default_providers_path())
PLATFORMS = load_platforms()


@pytest.mark.parametrize("env, expected", [
    ({"VERCEL": "1", "AWS_LAMBDA_FUNCTION_NAME": "f"}, "vercel"),
    ({"SITE_ID": "s", "SITE_NAME": "n", "AWS_LAMBDA_FUNCTION_NAME": "f"}, "netlify"),
    ({"AWS_LAMBDA_FUNCTION_NAME": "f"}, "aws-lambda"),
    ({"RAILWAY_ENVIRONMENT_NAME": "production"}, "railway"),
    ({"SB_REGION": "eu-west-1"}, "supabase-edge"),
    ({"K_SERVICE": "api"}, "gcp"),
    ({"WEBSITE_SITE_NAME": "x"}, "azure"),
    ({"FLY_APP_NAME": "x"}, "fly"),
    ({"DYNO": "web.1"}, "heroku"),
    ({"GITHUB_ACTIONS": "true"}, "github-actions"),
    ({"GITLAB_CI": "true"}, "gitlab-ci"),
    ({"RENDER": ""}, None),  # empty is not set
])
def test_detection_order(env, expected):
    found = PLATFORMS.detect(env)
    assert (found[0].id if found else None) == expected


def test_every_rule_has_a_source_and_unconfirmed_ones_say_reported():
    for platform in PLATFORMS.platforms.values():
        for rule in platform.rules:
            assert rule.source
            if not rule.confirmed:
                assert "eported" in rule.lift.en and "по сообщениям" in rule.lift.ru.lower()


def test_broken_platform_file_is_refused_when_parsed(monkeypatch):
    monkeypatch.setenv("SMTPDOCTOR_NO_CACHE", "1")
    from pydantic import ValidationError

    unsourced = '[[platform]]\nid = "x"\nname = "X"\ndetect = []\ndetect_order = 1\n[[platform.rule]]\n' \
                'tier = {en = "a", ru = "б"}\nblocked_ports = [25]\nlift = {en = "open it", ru = "откройте"}\n' \
                'confirmed = false\nsource = "s"\n'
    with pytest.raises(ValidationError, match="reported"):
        parse_platforms(unsourced)
    with pytest.raises(ValidationError):
        parse_extras('[provider.x]\nmx = ["MX.EXAMPLE"]\n')


def _check(env: dict, **options):
    opts = CheckOptions(offline=True, **options)
    return run_check(load_settings_input({}, env), env, PROVIDERS, opts)


GMAIL = {"SMTP_HOST": "smtp.gmail.com", "SMTP_USER": "me@gmail.com", "SMTP_PASS": "abcdabcdabcdabcd"}


def test_platform_rules_before_deploy():
    report = _check({**GMAIL, "SMTP_PORT": "465"}, platform="linode")
    found = next(f for f in report.findings if f.code == "net.egress_blocked")
    assert found.variant == "platform" and found.params["platform_id"] == "linode" and found.params["port"] == 465
    assert report.platform == "linode"
    assert found.params["alternative"].id == "platform.alternative.api"  # Gmail offers only 465/587
    text = render_param(found.params["since"], Lang.RU)
    assert "5 ноября 2019 года" in text


def test_platform_auto_from_environment_and_reported_wording():
    report = _check({**GMAIL, "SMTP_PORT": "25", "GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "github-hosted"})
    found = next(f for f in report.findings if f.code == "net.egress_blocked")
    assert found.params["certainty"].id == "platform.certainty.reported"
    assert found.params["how"].params["vars"] == ("GITHUB_ACTIONS",)
    assert found.params["alternative"].params["port"] == 587
    self_hosted = _check({**GMAIL, "SMTP_PORT": "25", "GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "self-hosted"})
    assert not any(f.code == "net.egress_blocked" for f in self_hosted.findings)
    assert not any(f.code == "net.egress_blocked" for f in _check({**GMAIL, "SMTP_PORT": "25", "DYNO": "w"},
                                                                    platform="none").findings)


def test_open_port_gives_no_platform_finding():
    assert not any(f.code == "net.egress_blocked" for f in _check({**GMAIL, "SMTP_PORT": "587"}, platform="vercel").findings)


M365 = {"SMTP_HOST": "smtp.office365.com", "SMTP_PORT": "587", "SMTP_USER": "me@contoso.com", "SMTP_PASS": "hunter2hunter2"}


def test_m365_is_warned_in_december_2026_before_the_default_flips():
    report = _check(M365, today=date(2026, 12, 5))
    found = next(f for f in report.findings if f.code == "auth.basic_auth_retiring")
    assert found.params["date"] == "2026-12-31" and found.severity.value == "warning"
    assert render_param(found.params["when"], Lang.EN) == "end of December 2026"
    assert render_param(found.params["when"], Lang.RU) == "конец декабря 2026 года"
    assert "5.7.139" in found.params["error"].text
    # long before: no warning; with an OAuth2 token instead of a password: none either
    assert not any(f.code == "auth.basic_auth_retiring" for f in _check(M365, today=date(2024, 1, 1)).findings)
    from smtpdoctor.secret import Secret

    assert not any(f.code == "auth.basic_auth_retiring"
                   for f in _check(M365, today=date(2026, 12, 5), oauth2_token=Secret("tok-abc")).findings)


def test_retirement_dates_are_data():
    m365 = load_extras().get("microsoft365")
    announced = [c for c in m365.auth_changes if c.status == "announced"]
    assert announced and announced[0].month_only


def test_platforms_command(run_cli):
    for lang in ("en", "ru"):
        text = run_cli(["platforms", "--lang", lang], env={"VERCEL": "1"})
        assert text.code == 0 and "render" in text.out and "Vercel Functions" in text.out
    doc = json.loads(run_cli(["platforms", "--format", "json"], env={"RENDER": "true"}).out)
    assert doc["detected"] == {"id": "render", "variables": ["RENDER"]}
    render = next(p for p in doc["platforms"] if p["id"] == "render")
    assert render["rules"][0]["blocked_ports"] == [25, 465, 587] and render["rules"][0]["since"] == "2025-09-26"
    assert all(r["source"] for p in doc["platforms"] for r in p["rules"])


def test_unknown_platform_is_a_usage_error(run_cli):
    result = run_cli(["check", "--offline", "--platform", "mars"], env=GMAIL)
    assert result.code == 2 and "mars" in result.err and "Traceback" not in result.all
