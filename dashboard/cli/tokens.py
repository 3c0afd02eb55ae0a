"""``tokens create|list|revoke``: the credentials of wall displays (``/wall?token=…``)."""

from __future__ import annotations

import click

from dashboard.cli.groups import main, prepared_settings, system_actor


@main.group()
def tokens() -> None:
    """Wall-display tokens: open /wall?token=… without a login, read-only, until revoked."""


@tokens.command("create")
@click.argument("name")
def tokens_create(name: str) -> None:
    """Create a token; its secret is printed once, alone on the last line."""
    settings = prepared_settings()
    from dashboard.services.display import InvalidToken, create_token

    try:
        secret = create_token(settings, system_actor(), name)
    except InvalidToken as exc:
        raise click.ClickException(_refusal(exc, name)) from None
    click.echo(f"display token {name} created; open /wall?token=<token> on the wall (shown only now):")
    click.echo(secret)


@tokens.command("list")
def tokens_list() -> None:
    """List tokens (never their secrets)."""
    settings = prepared_settings()
    from dashboard.services.display import list_tokens

    def when(value) -> str:
        return value.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if value else "-"

    rows = list_tokens(settings)
    if not rows:
        click.echo("no display tokens")
    for row in rows:
        state = f"revoked {when(row.revoked_at)}" if row.revoked_at else "active"
        click.echo(f"{row.name:<20} created {when(row.created_at)}  last used {when(row.last_used_at)}  {state}")


@tokens.command("revoke")
@click.argument("name")
def tokens_revoke(name: str) -> None:
    """Revoke a token: its wall is refused from its next request."""
    settings = prepared_settings()
    from dashboard.services.display import InvalidToken, revoke_token

    try:
        changed = revoke_token(settings, system_actor(), name)
    except InvalidToken as exc:
        raise click.ClickException(_refusal(exc, name)) from None
    click.echo(f"display token {name} revoked" if changed else f"display token {name} was already revoked")


def _refusal(exc, name: str) -> str:
    return {"bad_name": "a token name must be 1 to 64 characters without spaces",
            "name_taken": f"a token named {name!r} exists already (revoke it, or choose another name)",
            "not_found": f"no token named {name!r}"}.get(exc.code, f"refused: {exc.code}")
