"""A `normalize-text` plugin written in Python, built with componentize-py.

It proves that the plugin contract (`wit/ocr-plugin.wit`) does not depend on Rust: any language
that can produce a WebAssembly component for the world `text-normalizer-plugin` can be a
plugin.

Configuration (tenant plugin config, all optional):
- `upper`: `true` upper-cases the text of every line (default `false`).

Upper-casing can change the number of characters (`ß` becomes `SS`): such a line gets an empty
`char-confidences`, and the host fills in the line confidence for every character.
"""

from typing import List

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import host, types


class TextNormalizer(exports.TextNormalizer):
    def normalize_text(self, page: types.PageInfo, lines: List[types.TextLine]) -> List[types.TextLine]:
        value = (host.get_config("upper") or "false").strip()
        if value not in ("true", "false"):
            raise Err(types.PluginError(message=f"config upper must be true or false, got {value!r}"))
        upper = value == "true"
        changed = 0
        for line in lines:
            if not upper:
                continue
            text = line.text.upper()
            if text != line.text:
                changed += 1
            if len(text) != len(line.text):
                line.char_confidences = []
            line.text = text
        host.log(types.LogLevel.INFO, f"page {page.page_index}: upper-cased {changed} of {len(lines)} lines (python)")
        return lines
