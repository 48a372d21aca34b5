"""Values from CRM files shown in Dagster's markdown without becoming markdown.

The Dagster UI renders markdown metadata and descriptions with GitHub-flavoured
markdown: a header `![t](http://host/x.png)` would make the browser fetch an
image, `[x](url)` would show a link and a `|` would break a table. Tabular
metadata therefore goes into `dg.MetadataValue.table` (plain text cells);
where markdown stays, every data value passes through `md_escape`.
"""

from __future__ import annotations

import re
from typing import Any

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that start markup
# (emphasis, code, links, images, headings, lists, tables, HTML, strike-through), plus ':' and '&'
# so that GFM autolinks (http://..., www.x.y) and character references (&#91;) stay text.
MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~:&")
_SPECIAL_RE = re.compile("[" + re.escape("".join(sorted(MARKDOWN_SPECIAL))) + "]")
_NEWLINE_RE = re.compile("\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def md_escape(value: Any) -> str:
    """`value` as markdown text that renders literally, on one line (a newline shows as `\\n`)."""
    text = _SPECIAL_RE.sub(lambda m: "\\" + m.group(0), str(value))
    return _NEWLINE_RE.sub(r"\\\\n", text)
