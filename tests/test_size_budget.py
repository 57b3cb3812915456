"""The size budget of STYLE.md: no module over 800 lines, no function over 60 lines
of Python (lines inside a multi-line string, such as a C template, don't count)."""
import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "tracer"


def _python_lines(func: ast.AST) -> int:
    lines = set(range(func.lineno, func.end_lineno + 1))
    for node in ast.walk(func):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            lines -= set(range(node.lineno + 1, node.end_lineno + 1))
    return len(lines)


def test_modules_and_functions_stay_small():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        if source.count("\n") > 800:
            too_long.append(f"{path.relative_to(PACKAGE)}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _python_lines(node)
                if n > 60:
                    too_long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}: {n} lines")
    assert not too_long, "over the size budget:\n" + "\n".join(too_long)
