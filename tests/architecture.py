"""An import contract that import-linter cannot express with its own types: migrations
import no application code.

A migration runs years after it was written, against the code of that day: a data step
that calls the application (``stats.rebuild``, a service) silently changes what an old
migration does whenever that code changes. So a migration's data step is frozen SQL or
a private copy of the logic as it stood. Migration files are not modules import-linter's
graph can hold (their names start with a date), so this contract reads them itself.
Registered in ``pyproject.toml`` (``[tool.importlinter]``) and checked by ``make lint``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def application_imports(path: Path, package: str, allowed: set[str]) -> list[tuple[int, str]]:
    """(line, module) of every import of ``package`` in the file, at any depth (an
    import inside a function counts too), but the ``allowed`` modules."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            if (name == package or name.startswith(package + ".")) and name not in allowed:
                found.append((node.lineno, name))
    return found


class MigrationsImportNoApplicationCode(Contract):
    """The files of ``directory`` import nothing of ``package`` but ``allowed`` modules."""

    type_name = "migrations_import_no_application_code"

    directory = fields.StringField()
    package = fields.StringField()
    allowed = fields.SetField(subfield=fields.StringField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        allowed: set[str] = set(self.allowed or ())  # type: ignore[arg-type]
        package: str = self.package  # type: ignore[assignment]
        directory = Path(self.directory)  # type: ignore[arg-type]
        broken: list[tuple[str, int, str]] = []
        for path in sorted(directory.glob("*.py")):
            for line, module in application_imports(path, package, allowed):
                broken.append((path.name, line, module))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        rows: Any = check.metadata["broken"]
        for name, line, module in rows:
            output.print_error(f"{self.directory}/{name}:{line} imports {module}", bold=False)
            output.new_line()
