"""Run a per-vendor SQL script from a migration (statements separated by `---`)."""


def run_vendor_script(schema_editor, *, postgresql: str, sqlite: str) -> None:
    script = postgresql if schema_editor.connection.vendor == "postgresql" else sqlite
    for statement in script.split("---"):
        if statement.strip():
            schema_editor.execute(statement.strip(), params=None)
