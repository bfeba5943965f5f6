"""``geo-tenglong ruleset``: list, show and check rulesets."""

from __future__ import annotations

import click

from ..rules import builtin_rulesets, load_ruleset


@click.group("ruleset")
def ruleset_group():
    """List, show and check county rulesets (规则集)."""


@ruleset_group.command("list")
def list_cmd():
    """List the built-in rulesets."""
    for name in builtin_rulesets():
        rs = load_ruleset(name)
        click.echo(f"{name}\t{rs.info.county}\t{rs.info.document}")


@ruleset_group.command("check")
@click.argument("ruleset", metavar="NAME|PATH")
def check_cmd(ruleset):
    """Validate a ruleset file and print its targets and rules (exit 2 naming the bad key)."""
    rs = load_ruleset(ruleset)
    click.echo(f"{rs.name}: {rs.info.county} — {rs.info.document}")
    for t in rs.targets:
        click.echo(f"  {t.rule_id:7} {t.clause:8} {t.label} {t.op} {t.value:g} {t.unit}")
    for rule_id, spec in rs.rules.items():
        click.echo(f"  {rule_id:14} {spec.clause:8} {spec.title}")
