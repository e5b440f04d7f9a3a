"""`flask verify ...`: ask providers to check their listings, from cron (operations/provider.py)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .extensions import db

verify_cli = AppGroup("verify", help="""Ask providers to check their listings by e-mail.

Each listing's contact gets a signed link that works once, for VERIFY_LINK_DAYS days
(default 21). Mail goes through the SMTP server set by DIRECTORY_MAIL_SERVER and friends
(see docs/admin-guide.md). Run both commands daily from cron, e.g.:

  flask --app directory verify send-requests --due-within 14

  flask --app directory verify send-reminders
""")


@verify_cli.command("send-requests")
@click.option("--due-within", "due_within", type=click.IntRange(0, 3650), default=14,
              show_default=True, metavar="DAYS",
              help="Ask for every published listing due for its check within DAYS days "
                   "(overdue ones included).")
@click.option("--dry-run", is_flag=True,
              help="Only say what would be sent: no message, nothing saved.")
def send_requests_command(due_within: int, dry_run: bool) -> None:
    """E-mail a check link to the provider of every listing due within --due-within days.

    Skipped, and counted in the summary: listings without an e-mail address (on the listing
    or a contact), listings already waiting on the provider (a link that still works, or an
    answer in the review queue), and listings whose last message to that address bounced.
    """
    from .cli import _cli_actor, _fail
    from .operations import provider, set_actor

    set_actor(_cli_actor())
    problem = provider.sending_problem()
    if problem and not dry_run:
        _fail(f"Nothing sent: {problem}", 1)
    plan = provider.plan_requests(due_within)
    if dry_run:
        for service, address in plan.to_ask:
            click.echo(f"Would ask: {service.name} <{address}>")
        _summary("Dry run: nothing sent.", would_send=len(plan.to_ask), plan=plan)
        db.session.rollback()
        return
    with click.progressbar(length=len(plan.to_ask), label="Sending", file=sys.stderr) as bar:
        result = provider.send_requests(plan.to_ask, commit=db.session.commit,
                                        progress=bar.update)
    for req in result.failed:
        click.secho(f"Failed: {req.service.name}: {req.error}", fg="yellow", err=True)
    _summary("Done.", sent=len(result.sent), failed=len(result.failed),
             refused=len(result.refused), plan=plan)


def _summary(title: str, *, plan, **counts: int) -> None:
    click.echo(title)
    for label, count in counts.items():
        click.echo(f"  {label.replace('_', ' ')}: {count}")
    click.echo(f"  skipped without e-mail: {len(plan.no_email)}")
    click.echo(f"  already pending: {len(plan.already_pending)}")
    click.echo(f"  skipped, address bounced before: {len(plan.bounced)}")


@verify_cli.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="Only say what would be sent: nothing saved.")
def send_reminders_command(dry_run: bool) -> None:
    """Remind providers who have not answered (VERIFY_REMINDER_DAYS after the first message,
    default 7 and 14 days), and mark links past their date expired."""
    from .cli import _cli_actor, _fail
    from .operations import provider, set_actor

    set_actor(_cli_actor())
    problem = provider.sending_problem()
    if problem and not dry_run:
        _fail(f"Nothing sent: {problem}", 1)
    due = provider.due_reminders()
    if dry_run:
        for req, number in due:
            click.echo(f"Would remind ({number}): {req.service.name} <{req.email}>")
        click.echo(f"Dry run: nothing sent.\n  would remind: {len(due)}")
        db.session.rollback()
        return
    expired = provider.expire_requests()
    db.session.commit()
    sent = failed = 0
    with click.progressbar(due, label="Reminding", file=sys.stderr) as bar:
        for req, number in bar:
            if provider.send_request(req, reminder=number):
                sent += 1
            else:
                failed += 1
                click.secho(f"Failed: {req.service.name}: {req.error}", fg="yellow", err=True)
            db.session.commit()
    click.echo(f"Done.\n  reminders sent: {sent}\n  failed: {failed}\n  expired: {expired}")


@verify_cli.command("mark-bounced")
@click.argument("addresses", nargs=-1)
@click.option("--from-file", "from_file", type=click.File("r"),
              help="Read addresses from this file (one a line; '-' for standard input).")
def mark_bounced_command(addresses: tuple[str, ...], from_file) -> None:
    """Mark the latest unanswered request to each ADDRESS bounced (e.g. fed from the bounce
    mailbox); bounced listings are shown to the team and skipped by send-requests."""
    from .cli import _cli_actor
    from .operations import provider, set_actor

    set_actor(_cli_actor())
    wanted = list(addresses)
    if from_file is not None:
        wanted.extend(line.strip() for line in from_file if line.strip())
    marked = provider.bounce_addresses(wanted)
    db.session.commit()
    click.echo(f"Marked bounced: {len(marked)}")
