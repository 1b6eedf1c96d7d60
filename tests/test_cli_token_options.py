"""The smart-card options (`common.add_token_options`): `dws user add` and `dws office enrol --user` take the same
four, with the same help but for what --checkpoint-key-label does on each engine, and refuse an incomplete set in
the same words, before anything is opened (exit 2)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from clihelp import Cli

from workstation.cli.main import build_parser

OPTIONS = ["--pkcs11-module", "--token-label", "--key-label", "--checkpoint-key-label"]
GIVEN = {"--pkcs11-module": "/no/such/module.so", "--token-label": "dws-card", "--key-label": "sign"}
USER_ADD = ["user", "add", "tara", "--role", "reviewer"]
ENROL = ["office", "enrol", "--profile", "office.json", "--user", "tara", "--role", "preparer"]


def subparser(*path: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def token_group(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    return next(g for g in parser._action_groups if "smart card (PKCS#11)" in (g.title or ""))


def test_both_commands_take_the_same_token_options() -> None:
    local, office = token_group(subparser("user", "add")), token_group(subparser("office", "enrol"))
    helps = [{a.option_strings[0]: (a.help, a.metavar, a.default) for a in g._group_actions} for g in (local, office)]
    assert [list(h) for h in helps] == [OPTIONS, OPTIONS]
    assert {k: v for k, v in helps[0].items() if k != "--checkpoint-key-label"} == \
        {k: v for k, v in helps[1].items() if k != "--checkpoint-key-label"}
    assert "office log" in (helps[1]["--checkpoint-key-label"][0] or "")
    assert "KEY-LABEL-checkpoint" in (helps[0]["--checkpoint-key-label"][0] or "")
    assert "unlocks the store" in (local.title or "") and "unlocks the office" in (office.title or "")


@pytest.mark.parametrize("command", [USER_ADD, ENROL], ids=["user add", "office enrol"])
@pytest.mark.parametrize("left_out", ["--token-label", "--key-label"])
def test_an_incomplete_token_is_refused_alike(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch, command: list[str],
                                              left_out: str) -> None:
    flags = [w for k, v in GIVEN.items() if k != left_out for w in (k, v)]
    done = Cli(tmp_path / "store", capsys, monkeypatch)(*command, *flags, user="admin", passphrase="unused")
    assert (done.code, done.err) == (2, "dws: a key on a token needs --pkcs11-module, --token-label and --key-label "
                                        f"(missing: {left_out})\n")
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize(("command", "message"), [
    (USER_ADD, "a key on a token needs --pkcs11-module, --token-label and --key-label (missing: --pkcs11-module, "
               "--token-label, --key-label)"),
    (ENROL, "--checkpoint-key-label names a key on a token: give --pkcs11-module, --token-label and --key-label too"),
], ids=["user add", "office enrol"])
def test_a_checkpoint_key_alone_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, command: list[str], message: str) -> None:
    done = Cli(tmp_path / "store", capsys, monkeypatch)(*command, "--checkpoint-key-label", "c", user="admin",
                                                         passphrase="unused")
    assert (done.code, done.err) == (2, f"dws: {message}\n")
