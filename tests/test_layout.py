"""The folders show the design: imports between them run one way only, down the layers."""

import ast
from pathlib import Path

COACH = Path(__file__).resolve().parent.parent / "coach"
# Top first: a folder may import the folders below it, never one above.
LAYERS = ["cli", "session", "sheets", "record", "inputs", "sound", "voice", "plan", "common"]
SIBLINGS = {  # neither uses the other
    frozenset({"sound", "voice"}),
    frozenset({"record", "inputs"}),
    *(frozenset({"sheets", other}) for other in ("session", "record", "inputs", "sound", "voice")),
}


def imported_folders(module: Path) -> set[str]:
    folders = set()
    for node in ast.walk(ast.parse(module.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "coach" and len(parts) > 1:
                folders.add(parts[1])
    return folders


def test_imports_between_folders_run_downward() -> None:
    upward = []
    for folder in LAYERS:
        for module in sorted((COACH / folder).rglob("*.py")):
            for used in imported_folders(module) - {folder}:
                assert used in LAYERS, f"{module}: imports coach.{used}, which is in no layer"
                if LAYERS.index(used) < LAYERS.index(folder) or frozenset({used, folder}) in SIBLINGS:
                    upward.append(f"{module.relative_to(COACH)} imports coach.{used}")
    assert upward == []


def test_every_folder_says_what_it_holds_and_may_use() -> None:
    for folder in [p for p in COACH.rglob("*") if p.is_dir() and (p / "__init__.py").exists()]:
        docstring = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
        assert docstring, f"{folder}: no docstring"
        if folder.parent == COACH and folder.name != "cli":
            assert "May use:" in docstring or "Imports nothing" in docstring, folder


def test_no_module_at_the_top_but_the_entry_points() -> None:
    assert sorted(p.name for p in COACH.glob("*.py")) == ["__init__.py", "__main__.py"]
