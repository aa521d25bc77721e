"""Administration commands: users, API keys, the audit log, backup and restore.

Every change made here is itself written to the audit log, with the operating-system
user as the actor (``cli:<login>``): the command line is as accountable as the API.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dualtrace.errors import InputError
from dualtrace.security.accounts import Accounts
from dualtrace.security.audit import AuditLog, default_actor, record_event
from dualtrace.security.backup import backup, read_manifest, restore
from dualtrace.security.roles import Role
from dualtrace.show.cli.console import JsonOpt, StoreOpt, console, err_console, print_json
from dualtrace.store import Store, default_store_path

users_app = typer.Typer(help="Manage users (roles: viewer, analyst, admin).", no_args_is_help=True)
keys_app = typer.Typer(help="Create and revoke API keys.", no_args_is_help=True)
audit_app = typer.Typer(help="Check and read the tamper-evident audit log.", no_args_is_help=True)


def cli_actor() -> str:
    return default_actor()


def _store(path: Path | None) -> Store:
    return Store.open(path or default_store_path())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("Password", hide_input=True)
    second = typer.prompt("Repeat password", hide_input=True)
    if first != second:
        raise InputError("the two passwords differ", field="password")
    return str(first)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (a-z 0-9 . _ - @).")],
    role: Annotated[str, typer.Option("--role", help="viewer, analyst or admin.")] = "viewer",
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Service account: API keys only.")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Add a user; asks for the password (stored as an argon2 hash)."""
    parsed = Role.parse(role)
    password = None if no_password else _read_password(password_stdin)
    with _store(store) as s:
        user = Accounts(s.con).add_user(name, parsed, password)
        record_event(s.con, cli_actor(), "users.add", user.name, {"role": user.role.label})
    if json:
        print_json({"name": user.name, "role": user.role.label})
    else:
        console.print(f"added user [bold]{user.name}[/] ({user.role.label})")


@users_app.command("list")
def users_list(store: StoreOpt = None, json: JsonOpt = False) -> None:
    """List users, their roles and whether they are disabled."""
    with _store(store) as s:
        users = Accounts(s.con).users()
    if json:
        print_json(
            [
                {
                    "name": u.name,
                    "role": u.role.label,
                    "has_password": u.has_password,
                    "disabled": u.disabled,
                    "created_at": u.created_at.isoformat(),
                }
                for u in users
            ]
        )
        return
    table = Table("user", "role", "password", "status", "created")
    for u in users:
        table.add_row(
            u.name,
            u.role.label,
            "yes" if u.has_password else "keys only",
            "disabled" if u.disabled else "active",
            u.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@users_app.command("disable")
def users_disable(name: str, store: StoreOpt = None, json: JsonOpt = False) -> None:
    """Disable a user: password, sessions and every key stop working."""
    with _store(store) as s:
        user = Accounts(s.con).disable_user(name)
        record_event(s.con, cli_actor(), "users.disable", user.name, {})
    if json:
        print_json({"name": user.name, "disabled": True})
    else:
        console.print(f"disabled user [bold]{user.name}[/]")


@keys_app.command("create")
def keys_create(
    user: Annotated[str, typer.Argument(help="The user the key acts for.")],
    role: Annotated[
        str | None, typer.Option("--role", help="Limit the key below the user's role.")
    ] = None,
    label: Annotated[str | None, typer.Option("--label", help="What the key is for.")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Create an API key; the key is printed once and cannot be shown again."""
    with _store(store) as s:
        key, clear = Accounts(s.con).create_key(user, Role.parse(role) if role else None, label)
        record_event(
            s.con,
            cli_actor(),
            "keys.create",
            key.key_id,
            {"user": key.user_name, "role": key.role.label},
        )
    if json:
        print_json(
            {"key_id": key.key_id, "user": key.user_name, "role": key.role.label, "key": clear}
        )
        return
    err_console.print(
        f"key [bold]{key.key_id}[/] for {key.user_name} ({key.role.label}); store it now, "
        "it is not shown again:"
    )
    sys.stdout.write(clear + "\n")


@keys_app.command("list")
def keys_list(
    user: Annotated[str | None, typer.Option("--user")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """List API keys (ids only; the secrets are not stored)."""
    with _store(store) as s:
        keys = Accounts(s.con).keys(user)
    if json:
        print_json(
            [
                {
                    "key_id": k.key_id,
                    "user": k.user_name,
                    "label": k.label,
                    "role": k.role.label,
                    "created_at": k.created_at.isoformat(),
                    "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                }
                for k in keys
            ]
        )
        return
    table = Table("key id", "user", "role", "label", "status")
    for k in keys:
        table.add_row(
            k.key_id,
            k.user_name,
            k.role.label,
            k.label or "",
            "revoked" if k.revoked_at else "active",
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str, store: StoreOpt = None, json: JsonOpt = False) -> None:
    """Revoke an API key at once."""
    with _store(store) as s:
        key = Accounts(s.con).revoke_key(key_id)
        record_event(s.con, cli_actor(), "keys.revoke", key.key_id, {"user": key.user_name})
    if json:
        print_json({"key_id": key.key_id, "revoked": True})
    else:
        console.print(f"revoked key [bold]{key.key_id}[/] of {key.user_name}")


@audit_app.command("verify")
def audit_verify(store: StoreOpt = None, json: JsonOpt = False) -> None:
    """Recompute the hash chain; exit 1 if any entry was edited or deleted."""
    with Store.open(store or default_store_path(), read_only=True) as s:
        result = AuditLog(s.con).verify()
    if json:
        print_json(result.to_dict())
    else:
        for warning in result.warnings:
            err_console.print(f"[yellow]warning:[/] {warning}")
        for problem in result.problems:
            err_console.print(f"[bold red]tampered:[/] {problem}")
        if result.ok:
            console.print(
                f"audit log intact: {result.entries} entries, head {result.head_seq} "
                f"{result.head_hash[:16]}…"
            )
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("head")
def audit_head(store: StoreOpt = None, json: JsonOpt = False) -> None:
    """Print the chain head (seq and hash): record it elsewhere to pin today's log."""
    with Store.open(store or default_store_path(), read_only=True) as s:
        seq, digest = AuditLog(s.con).head()
    if json:
        print_json({"seq": seq, "hash": digest})
    else:
        sys.stdout.write(f"{seq} {digest}\n")


@audit_app.command("log")
def audit_log(
    limit: Annotated[int, typer.Option("--limit", help="How many of the newest entries.")] = 50,
    actor: Annotated[str | None, typer.Option("--actor")] = None,
    action: Annotated[str | None, typer.Option("--action")] = None,
    target: Annotated[str | None, typer.Option("--target")] = None,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Show the newest audit entries: who did what, when, to what."""
    with Store.open(store or default_store_path(), read_only=True) as s:
        entries = AuditLog(s.con).entries(limit, actor, action, target)
    if json:
        print_json([e.to_dict() for e in entries])
        return
    table = Table("seq", "when (UTC)", "actor", "action", "target", "details")
    for e in entries:
        details = e.details
        table.add_row(
            str(e.seq),
            e.logged_at[:19].replace("T", " "),
            e.actor,
            e.action,
            e.target,
            details if len(details) <= 80 else details[:79] + "…",
        )
    console.print(table)


def backup_command(
    file: Annotated[Path, typer.Argument(help="Backup file to write (a DuckDB file).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Copy the store to FILE with a manifest (row counts, checksums) and FILE.sha256."""
    manifest = backup(store or default_store_path(), file, cli_actor(), overwrite=force)
    if json:
        print_json(manifest.to_dict())
        return
    total = sum(rows for rows, _ in manifest.tables.values())
    console.print(
        f"backed up {len(manifest.tables)} tables, {total:,} rows to {file} "
        f"(sha256 {manifest.file_sha256 and manifest.file_sha256[:16]}…); verified"
    )


def restore_command(
    file: Annotated[Path, typer.Argument(help="Backup file written by dualtrace backup.")],
    check_only: Annotated[
        bool, typer.Option("--check", help="Only verify the backup; change nothing.")
    ] = False,
    store: StoreOpt = None,
    json: JsonOpt = False,
) -> None:
    """Verify FILE and replace the store with it (the old store is kept as .pre-restore)."""
    if check_only:
        manifest = read_manifest(file)
    else:
        manifest = restore(file, store or default_store_path(), cli_actor())
    if json:
        print_json({**manifest.to_dict(), "restored": not check_only})
        return
    total = sum(rows for rows, _ in manifest.tables.values())
    verb = "verified" if check_only else "restored"
    console.print(
        f"{verb} {len(manifest.tables)} tables, {total:,} rows from {file} "
        f"(backup of {manifest.created_at}); counts and checksums match"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
