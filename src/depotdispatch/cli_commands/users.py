"""`user` and `token`: people who sign in, and the API tokens an admin issues for them."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from typing import Annotated

import typer

from depotdispatch.cli_commands import support as cli
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.services import identity as svc
from depotdispatch.services.views import token_doc, user_doc

user_app = typer.Typer(help="Users: add, passwd, disable, list.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: issue (shown once), revoke, list.", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(metavar="NAME")]
StdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of "
                                        "standard input (for scripts); otherwise you are asked for it.")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InvalidInput("no password on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInput("give --password-stdin to read the password from standard input")
    first: str = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise InvalidInput("the two passwords differ")
    return first


def _now() -> datetime:
    return cli.state.app.auth_clock.now()


@user_app.command("add")
def user_add(name: NameArg, role: Annotated[str, typer.Option("--role", help="viewer, dispatcher or admin.")],
             depot: Annotated[list[str] | None, typer.Option("--depot", help="A depot they work for (repeat); "
                                                             "dispatchers need one, viewers see all without.")] = None,
             password_stdin: StdinOpt = False, as_json: cli.JsonOpt = False) -> None:
    """Add a user who signs in with a password (the first admin is made this way)."""
    user = svc.add_user(cli.state.app.uow(), name, role, depot, _password(password_stdin), _now())
    cli.emit(user_doc(user), as_json, lambda: cli.out.print(
        f"user {user.name} ({user.role}{', depots ' + ', '.join(sorted(user.depots)) if user.depots else ''}) added"))


@user_app.command("passwd")
def user_passwd(name: NameArg, password_stdin: StdinOpt = False) -> None:
    """Set a new password; the user is signed out everywhere."""
    svc.set_password(cli.state.app.uow(), name, _password(password_stdin), _now())
    cli.out.print(f"password of {name} changed; their sessions have ended")


@user_app.command("disable")
def user_disable(name: NameArg, as_json: cli.JsonOpt = False) -> None:
    """Stop a user: no sign-in, no tokens, sessions ended at once. Their past events keep their name."""
    user = svc.disable_user(cli.state.app.uow(), name, _now())
    cli.emit(user_doc(user), as_json, lambda: cli.out.print(f"user {user.name} disabled"))


@user_app.command("list")
def user_list(as_json: cli.JsonOpt = False) -> None:
    users = svc.list_users(cli.state.app.uow())
    docs = [user_doc(u) for u in users]
    cli.emit({"users": docs}, as_json, lambda: cli.table(
        "Users", ["name", "role", "depots", "disabled", "created"],
        [[d["name"], d["role"], ", ".join(d["depots"]) if d["depots"] else "all", "yes" if d["disabled"] else "",
          d["created_at"][:16]] for d in docs]))


@token_app.command("issue")
def token_issue(name: NameArg,
                label: Annotated[str | None, typer.Option("--label", help="What it is for (on the audit log).")] = None,
                days: Annotated[int | None, typer.Option("--days", min=1, help="Expires after this many days.")] = None,
                as_json: cli.JsonOpt = False) -> None:
    """Issue an API token that acts as user NAME. It is shown once: only its hash is kept."""
    now = _now()
    issued = svc.issue_token(cli.state.app.uow(), name, now, label=label,
                             expires_at=now + timedelta(days=days) if days else None)
    doc = {"token": issued.token, "token_id": issued.token_id, "label": issued.label, "user": issued.user.name}

    def human() -> None:
        sys.stdout.write(issued.token + "\n")
        cli.err.print(f"token {issued.label!r} for {issued.user.name} ({issued.user.role}); it is not shown again",
                      highlight=False)

    cli.emit(doc, as_json, human)


@token_app.command("revoke")
def token_revoke(name: NameArg,
                 label: Annotated[str | None, typer.Option("--label", help="Only this token.")] = None,
                 as_json: cli.JsonOpt = False) -> None:
    """Revoke user NAME's tokens (or the one with --label): refused from the next request on."""
    n = svc.revoke_tokens(cli.state.app.uow(), name, _now(), label=label)
    cli.emit({"revoked": n}, as_json, lambda: cli.out.print(f"{n} token{'s' if n != 1 else ''} of {name} revoked"))


@token_app.command("list")
def token_list(user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
               as_json: cli.JsonOpt = False) -> None:
    """Tokens (never the tokens themselves): who, what for, the last change made with it, whether revoked."""
    docs = [token_doc(t) for t in svc.list_tokens(cli.state.app.uow(), user)]
    cli.emit({"tokens": docs}, as_json, lambda: cli.table(
        "API tokens", ["id", "user", "label", "created", "expires", "last change", "revoked"],
        [[d["token_id"], d["user"], d["label"], d["created_at"][:16], (d["expires_at"] or "")[:16],
          (d["last_used_at"] or "")[:16], (d["revoked_at"] or "")[:16]] for d in docs]))


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
