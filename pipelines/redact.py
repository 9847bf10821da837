"""Masking the values of the contract's `personal:` columns in what a page shows.

The values (names) are many -- a province has tens of thousands -- so instead of one huge regular
expression the text is scanned once: at each character that can start a value, the longest value
starting there (a set lookup per possible length) is replaced by ＊＊.
"""

from __future__ import annotations

import html
import json

MASK = "＊＊"


class Scrubber:
    def __init__(self, values):
        words = {str(v).strip() for v in values if v is not None}
        words = {w for w in words if len(w) >= 2}
        self.words = words | {html.escape(w, quote=True) for w in words} | {json.dumps(w)[1:-1] for w in words}
        self.first = {w[0] for w in self.words}
        self.lengths = sorted({len(w) for w in self.words}, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.words)

    def __call__(self, text):
        if not isinstance(text, str) or not self.words:
            return text
        first, words, lengths = self.first, self.words, self.lengths
        out: list[str] = []
        i = start = 0
        n = len(text)
        while i < n:
            if text[i] in first:
                for L in lengths:
                    if text[i:i + L] in words:
                        out.append(text[start:i])
                        out.append(MASK)
                        i += L
                        start = i
                        break
                else:
                    i += 1
            else:
                i += 1
        if not out:
            return text
        out.append(text[start:])
        return "".join(out)
