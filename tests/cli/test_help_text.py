"""Every option and subcommand of ``bayesnu`` has help text; options with a default state it."""

from __future__ import annotations

import argparse

from bayesnu.cli import build_parser


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            helped = {c.dest: c.help for c in a._choices_actions}
            for name, sub in a.choices.items():
                yield (*path, name), helped.get(name)  # the subcommand's own help line
                yield from _walk(sub, (*path, name))


def test_every_option_and_command_has_help():
    missing, no_default = [], []
    for path, obj in _walk(build_parser()):
        where = " ".join(path) or "bayesnu"
        if not isinstance(obj, argparse.ArgumentParser):
            if not obj or not str(obj).strip():
                missing.append(f"{where} (subcommand)")
            continue
        for a in obj._actions:
            if isinstance(a, argparse._HelpAction | argparse._VersionAction
                          | argparse._SubParsersAction):
                continue
            name = "/".join(a.option_strings) or a.dest
            if a.help is None or a.help == argparse.SUPPRESS or not a.help.strip():
                missing.append(f"{where} {name}")
                continue
            flag = isinstance(a, argparse._StoreTrueAction | argparse._StoreFalseAction
                              | argparse._StoreConstAction)
            if (a.option_strings and not flag and not a.required
                    and "default" not in a.help.lower()):
                no_default.append(f"{where} {name}")
    assert not missing, f"{len(missing)} options/commands without help: {missing}"
    assert not no_default, f"{len(no_default)} options whose help does not state the default: " \
                           f"{no_default}"


def test_help_runs_for_every_command(capsys):
    from bayesnu.cli import main

    for path, obj in _walk(build_parser()):
        if isinstance(obj, argparse.ArgumentParser) and path:
            assert main([*path, "--help"]) == 0
            out = capsys.readouterr().out
            assert out.startswith("usage: bayesnu " + " ".join(path))
