"""``omneo-server``: serve, migrate, manage tenants and tokens, and verify balances against the ledger.

Output contract other tools rely on: ``tokens create`` prints the new token as the last line of
stdout, with nothing after it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from omneo_server.settings import load_settings

# The server's modules are imported by the commands that use them: ``--help`` and ``secrets
# new-key`` answer without loading SQLAlchemy, FastAPI and the schema.
if TYPE_CHECKING:
    from omneo_server.db.engine import Database

app = typer.Typer(
    help="The self-hosted Omneo platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
tenants = typer.Typer(help="Manage tenants.", no_args_is_help=True)
tokens = typer.Typer(help="Manage admin API tokens.", no_args_is_help=True)
secrets = typer.Typer(help="Manage the keys that encrypt signing secrets at rest.", no_args_is_help=True)
users = typer.Typer(help="Manage the people who log in.", no_args_is_help=True)
clients = typer.Typer(help="Manage the OAuth clients users log in through.", no_args_is_help=True)
app.add_typer(tenants, name="tenants")
app.add_typer(tokens, name="tokens")
app.add_typer(secrets, name="secrets")
app.add_typer(users, name="users")
app.add_typer(clients, name="oauth-clients")
T = TypeVar("T")


def _say(message: str, error: bool = False) -> None:
    """A line on stderr (stdout is for what other tools read), red for an error."""
    from rich.console import Console

    Console(stderr=True).print(f"[red]{message}[/red]" if error else message)


def _migrate(url: str) -> None:
    """Resolve the secret key (a bad one fails here, not on the first request that needs it), then
    bring the database to the newest schema."""
    from omneo_server.db import migrate as migrations
    from omneo_server.db import secretbox

    try:
        secretbox.box()
        migrations.upgrade(url)
    except secretbox.SecretKeyError as exc:
        _say(str(exc), error=True)
        raise typer.Exit(1) from None


def _with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the (migrated) database, answering domain errors on stderr."""
    from omneo_server.db import secretbox
    from omneo_server.db.engine import Database
    from omneo_server.domain.errors import DomainError

    url = load_settings().database_url
    _migrate(url)

    async def run() -> T:
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        _say(exc.message, error=True)
        raise typer.Exit(1) from None
    except secretbox.SecretKeyError as exc:
        _say(str(exc), error=True)
        raise typer.Exit(1) from None


async def _first_run(db: Database, handle: str) -> str | None:
    """On an empty database: create the default tenant and an all-scopes admin token."""
    from sqlalchemy import func, select

    from omneo_server.db.tables import Tenant
    from omneo_server.domain import access

    async with db.write() as session:
        if (await session.execute(select(func.count()).select_from(Tenant))).scalar_one():
            return None
        tenant = await access.create_tenant(session, handle)
        _row, token = await access.create_token(session, tenant.id, "admin", ["*"])
        return token


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema (Alembic upgrade head)."""
    _migrate(load_settings().database_url)
    _say("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Migrate, create a tenant and admin token on first start, then serve the API."""
    import uvicorn

    from omneo_server.app import create_app

    settings = load_settings()
    token = _with_db(lambda db: _first_run(db, settings.tenant))
    if token:
        print(
            f"\nCreated tenant '{settings.tenant}' and an admin API token (scope *).\n"
            f"It is shown only this once; keep it safe:\n\n    {token}\n",
            flush=True,
        )
    print(f"Serving the Omneo API on http://{host}:{port}/api/v3 (docs: http://{host}:{port}/docs)", flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command("worker")
def run_worker(
    tenant: Annotated[str | None, typer.Option(help="Work for this tenant's handle only (default: all).")] = None,
) -> None:
    """Run the background worker alone (events, deliveries, schedules) until interrupted. Any number
    may run against one PostgreSQL; with SQLite, run one (or leave it to ``serve``)."""
    from omneo_server.db.engine import Database
    from omneo_server.domain import access
    from omneo_server.jobs import worker

    settings = load_settings()
    _migrate(settings.database_url)

    async def run() -> None:
        db = Database(settings.database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        only = None
        if tenant:
            async with db.read() as session:
                only = [(await access.find_tenant(session, tenant)).id]
        _say("Worker running; Ctrl-C stops it.")
        try:
            await worker.run(db, settings, stop, only)
        finally:
            await db.dispose()

    asyncio.run(run())


@tenants.command("create")
def create_tenant(handle: str, name: Annotated[str | None, typer.Option()] = None) -> None:
    """Create a tenant."""
    from omneo_server.domain import access

    async def work(db: Database) -> None:
        async with db.write() as session:
            await access.create_tenant(session, handle, name)

    _with_db(work)
    print(f"Created tenant {handle}")


@tokens.command("create")
def create_token(
    tenant: Annotated[str, typer.Option(help="Tenant handle.")],
    name: Annotated[str, typer.Option(help="A name for the token.")],
    scope: Annotated[list[str] | None, typer.Option(help="A scope; repeat for several (default *).")] = None,
) -> None:
    """Mint an admin API token; the token is the last line printed."""
    from omneo_server.domain import access

    async def work(db: Database) -> str:
        async with db.write() as session:
            row = await access.find_tenant(session, tenant)
            _token, plaintext = await access.create_token(session, row.id, name, scope or ["*"])
            return plaintext

    plaintext = _with_db(work)
    print(plaintext)


@users.command("create")
def create_user(
    tenant: Annotated[str, typer.Option(help="Tenant handle.")],
    email: Annotated[str, typer.Option(help="The email they log in with.")],
    role: Annotated[list[str] | None, typer.Option(help="A role handle (admin, manager, reporting…); repeat.")] = None,
    name: Annotated[str | None, typer.Option(help="Their name (default: the email).")] = None,
) -> None:
    """Create a user (to bootstrap a tenant's first admin); the password, made here, is the last
    line printed (shown once: they change it after logging in)."""
    import secrets as random

    from sqlalchemy import select

    from omneo_server.db import tables as t
    from omneo_server.domain import access
    from omneo_server.domain import users as people
    from omneo_server.domain.context import Ctx
    from omneo_server.domain.errors import Invalid
    from omneo_server.settings import load_settings as settings

    password = random.token_urlsafe(18)

    async def work(db: Database) -> None:
        async with db.write() as session:
            row = await access.find_tenant(session, tenant)
            handles = role or []
            found = (
                (await session.execute(select(t.Role).where(t.Role.tenant_id == row.id, t.Role.handle.in_(handles))))
                .scalars()
                .all()
            )
            unknown = sorted(set(handles) - {r.handle for r in found})
            if unknown:
                raise Invalid.field("role", f"The tenant {tenant} has no role {', '.join(unknown)}.")
            body = people.UserIn(
                name=name or email,
                email=email,
                password=password,
                password_confirmation=password,
                roles=[{"id": r.id} for r in found],
            )
            await people.create(session, Ctx(row.id, settings(), "cli", frozenset({"*"})), body)

    _with_db(work)
    print(f"Created user {email} in tenant {tenant}; their password:")
    print(password)


@clients.command("create")
def create_oauth_client(
    tenant: Annotated[str, typer.Option(help="Tenant handle.")],
    name: Annotated[str, typer.Option(help="A name for the application.")],
) -> None:
    """Make a client for the password grant (``POST /oauth/token``); its id, then its secret (the
    last line, shown once), are printed."""
    from omneo_server.domain import access, oauth

    async def work(db: Database) -> tuple[int, str]:
        async with db.write() as session:
            row = await access.find_tenant(session, tenant)
            client, secret = await oauth.create_client(session, row.id, name)
            return client.id, secret

    client_id, secret = _with_db(work)
    print(f"Created OAuth client {name} in tenant {tenant}; client id:")
    print(client_id)
    print("client secret:")
    print(secret)


@secrets.command("new-key")
def new_secret_key() -> None:
    """Print a fresh key for OMNEO_SECRET_KEY."""
    from omneo_server.db import secretbox

    print(secretbox.new_key())


@secrets.command("rotate")
def rotate_secrets() -> None:
    """Re-encrypt every stored secret with the first key of OMNEO_SECRET_KEY. To rotate: make a key
    with ``secrets new-key``, set ``OMNEO_SECRET_KEY=new,old`` everywhere, run this, then drop ``old``."""
    from omneo_server.db import secretbox

    async def work(db: Database) -> int:
        async with db.write() as session:
            connection = await session.connection()
            return await connection.run_sync(lambda sync: secretbox.rotate_all(sync))

    rewritten = _with_db(work)
    print(f"Re-encrypted {rewritten} secret(s) with the first key of OMNEO_SECRET_KEY.")


@app.command()
def verify(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's handle (default: all).")] = None,
) -> None:
    """Recompute every cached balance from the ledger; list each difference and exit 1 if any."""
    from omneo_server.domain import access
    from omneo_server.domain.incentives import ledger

    async def work(db: Database) -> list[str]:
        async with db.read() as session:
            tenant_id = (await access.find_tenant(session, tenant)).id if tenant else None
            return await ledger.verify(session, tenant_id)

    problems = _with_db(work)
    for problem in problems:
        print(problem)
    if problems:
        _say(f"{len(problems)} balance(s) disagree with the ledger.", error=True)
        raise typer.Exit(1)
    _say("Every balance agrees with the ledger.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
