from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from servicehall.catalog.excel import catalog_export, exportable
from servicehall.catalog.models import ServiceItem
from servicehall.org.models import ServiceCenter


class Command(BaseCommand):
    help = ("Write the public catalogue (current approved versions) to an .xlsx workbook, "
            "in the layout catalog_import reads; the same catalogue always gives the same bytes.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file to write")
        parser.add_argument("--center", help="export only this centre (its code)")

    def handle(self, *args, **options):
        items = ServiceItem.objects.all()
        if options["center"]:
            center = ServiceCenter.objects.filter(code=options["center"]).first()
            if center is None:
                raise CommandError(f"未找到中心编码为“{options['center']}”的中心")
            items = items.filter(center=center)
        items = exportable(items)
        try:
            Path(options["file"]).write_bytes(catalog_export(items))
        except OSError as exc:
            raise CommandError(f"无法写入文件 {options['file']}：{exc.strerror}") from None
        self.stdout.write(f"已导出 {len(items)} 个事项到 {options['file']}")
