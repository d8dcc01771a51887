"""Which options of a list a typed message names: "bk ttg" or "bằng khen thủ tướng" for
"Bằng khen của Thủ tướng Chính phủ", "tiêu chí 2.1" for "2.1 Hoàn thành xuất sắc...",
"gò dầu" for "VKSND huyện Gò Dầu".

Both sides are read by the matcher's own analyzer (folding, the abbreviations of
synonyms.yaml, synonyms, typo repair of the message), so a form understands the words
the questions are understood with. A message names an option when every word it
carries is among the option's words; words that carry nothing (stopwords, "chọn",
the heading of a numbered section such as "tiêu chí" before "2.1") are left out.
"""

from __future__ import annotations

from content.analysis import SECTION_MARK, Analyzer

# Words said while picking ("chọn mục 2.1", "lấy bằng khen thủ tướng") that name nothing.
PICKING_WORDS = frozenset({"chon", "lay", "muc"})


def _content_words(analyzer: Analyzer, toks: list[str]) -> set[str]:
    lex = analyzer.lexicon
    sections = [t for t in toks if t.startswith(SECTION_MARK)]
    # "tiêu chí 2.1": the number names the option, the heading only says what it is.
    heading = {w for head in lex.section_heads for w in head} if sections else set()
    return {t for t in toks if not t.startswith(SECTION_MARK) and t not in lex.stopwords
            and t not in PICKING_WORDS and t not in heading}


def named(analyzer: Analyzer, typed: str, options: list[str]) -> list[int]:
    """The indexes of the options (each its label and other ways to say it) that `typed`
    names; empty when it names none, several when its words fit several."""
    words = _content_words(analyzer, analyzer.analyze_query(typed)[0])
    if not words:
        return []
    out = []
    for i, option in enumerate(options):
        if words <= set(analyzer.analyze(option)):
            out.append(i)
    return out
