from django.core.management.base import BaseCommand, CommandError

from servicehall.accounts.models import User
from servicehall.accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for USERNAME; the key is printed once, as the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the key is for (kiosk, platform…)")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"用户不存在或已停用：{options['username']}")
        key, raw = api_key_create(actor=None, user=user, name=options["name"])
        self.stdout.write(f"已为 {user.username} 创建接口密钥（前缀 {key.prefix}），请妥善保存，之后无法再次查看：")
        self.stdout.write(raw)
