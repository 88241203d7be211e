"""`betang token create USER NAME` issues a machine token and prints it once; `revoke PREFIX` revokes."""

from django.core.management.base import BaseCommand, CommandError

from betang.accounts.models import ApiToken, User
from betang.accounts.services import token_create, token_revoke
from betang.core import clock


class Command(BaseCommand):
    help = "Issue or revoke API tokens for machines (POS, outposts, integrations)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token; the secret is printed once")
        create.add_argument("username")
        create.add_argument("name", help="what the token is for, e.g. 'POS gerai Sei Pasah'")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "create":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user {options['username']!r}")
            issued = token_create(user=user, name=options["name"], actor=None, occurred_at=clock.now())
            self.stdout.write(issued.secret)
            self.stderr.write("Store this token now; it is not shown again.")
        else:
            token = ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True).first()
            if token is None:
                raise CommandError(f"no active token with prefix {options['prefix']!r}")
            token_revoke(token=token, actor=None, occurred_at=clock.now())
            self.stdout.write(f"revoked {token.prefix}")
