#!/usr/bin/env python3
"""Writes lib/passforge/operations.rb, the Ruby client's table of operations
(operationId → HTTP method, path template, whether it needs a credential),
from ../openapi.json. Run by ../generate.sh; `--check` fails when the
written file is not current."""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "openapi.json"
TARGET = HERE / "lib/passforge/operations.rb"


def render() -> str:
    doc = json.loads(DOC.read_text())
    lines = [
        "# frozen_string_literal: true",
        "",
        "# Written by sdk/ruby/generate_operations.py from sdk/openapi.json: do not edit.",
        "module Passforge",
        "  # operationId => [HTTP method, path template, summary]",
        "  OPERATIONS = {",
    ]
    rows = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            summary = op.get("summary", "").replace("\\", "\\\\").replace("'", "\\'")
            rows.append((op["operationId"], method.upper(), path, summary))
    for op_id, method, path, summary in sorted(rows):
        lines.append(f"    '{op_id}' => ['{method}', '{path}', '{summary}'].freeze,")
    lines += ["  }.freeze", "end", ""]
    return "\n".join(lines)


def main() -> int:
    out = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text() != out:
            print(f"{TARGET} is not current: run python3 {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
